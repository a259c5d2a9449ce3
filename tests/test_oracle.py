# SPDX-License-Identifier: MIT
"""An independent oracle: PyTorch (float64, autograd) recomputes every per-layer
variable of docs/schema.md from the very weights and inputs gradsweep used.

For each loss (probe, mse) a small float64 sweep over every activation x init
x sigma_w x sigma_b x depth runs for real under mpirun; `gradsweep export`
then hands over, per configuration, x, r or y, the unit weights U and biases
beta, and gradsweep's own delta, grad_w, grad_b and loss. PyTorch rebuilds
W = sigma_w U and b = sigma_b beta as leaf tensors, runs forward with
torch.nn.functional activations and backward with autograd, and computes the
statistics its own way (cosine-similarity matrix, var(0), autograd phi'). The
values stored in the RESULTS FILE (not the export's copy) must agree to 1e-10
relative; saturated_frac and dead_frac exactly.

Run with Debian's interpreter (-s shows the worst relative error per variable):
    GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest -s tests/test_oracle.py
"""
import itertools
import math
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torch_activations
from conftest import run_gradsweep

torch.set_default_dtype(torch.float64)

RTOL = 1e-10
TINY = np.finfo(np.float64).tiny  # floor for sums of squares: they cannot cancel
SATURATION = 1e-3                  # GS_SATURATION_THRESHOLD
SLOPE = 0.2                        # leaky_relu_slope; far from the default 0.01 on purpose

ACTIVATIONS = ["linear", "relu", "leaky_relu", "tanh", "sigmoid", "selu", "gelu", "silu",
               "elu", "softplus", "erf"]
INITS = ["gaussian", "uniform", "orthogonal"]
DEPTHS = [3, 6]            # two depths: rows of depth 3 have NaN padding up to L_max = 6
SIGMA_BS = [0.0, 0.3]
SIGMA_WS = [0.9, 1.6]      # ordered and chaotic side for most activations
WIDTH, BATCH, SEED = 12, 7, 0

PER_LAYER = ["q", "preact_mean", "c", "act_ch_sq_mean", "act_ch_var", "saturated_frac",
             "dead_frac", "delta_sq", "grad_w_norm", "grad_b_norm"]
EXACT = {"saturated_frac", "dead_frac"}  # counts over the same z: no rounding to forgive
RATIOS = ["log10_delta_ratio", "log10_grad_ratio", "log10_q_ratio"]

SWEEP = """\
name: oracle-{loss}
base_seed: 20240917
precision: float64
loss: {loss}
leaky_relu_slope: {slope}
grid:
  activation: [{activations}]
  init: [{inits}]
  width: [{width}]
  depth: [{depths}]
  batch: [{batch}]
  sigma_b: [{sigma_bs}]
  sigma_w: [{sigma_ws}]
  seed: [{seed}]
"""


def sweep_text(loss):
    join = lambda values: ", ".join(map(str, values))  # noqa: E731
    return SWEEP.format(loss=loss, slope=SLOPE, activations=join(ACTIVATIONS),
                        inits=join(INITS), width=WIDTH, depths=join(DEPTHS), batch=BATCH,
                        sigma_bs=join(SIGMA_BS), sigma_ws=join(SIGMA_WS), seed=SEED)


def selected(activation, init, depth, sigma_b, sigma_w):
    """Which configurations are exported and checked. Each export is a separate
    process whose singleton MPI_Init costs ~0.3 s, so all 264 per loss would
    take the test past a minute. Half of them still cover every activation x
    init x depth (for both losses), and the (sigma_b, sigma_w) pairs rotate
    so that each activation x init sees all four across its two depths."""
    a, i, d = ACTIVATIONS.index(activation), INITS.index(init), DEPTHS.index(depth)
    pair = 2 * SIGMA_BS.index(sigma_b) + SIGMA_WS.index(sigma_w)
    return (pair - (a + i) - 2 * d) % 4 in (0, 1)


# ---- the oracle --------------------------------------------------------------------

def phi(name, z):
    """The activation as PyTorch users write it (torch_activations.py)."""
    return torch_activations.phi(name, z, SLOPE)


def dphi(name, z):
    """phi'(z) by autograd of phi (elementwise, so the gradient of the sum is
    the derivative), with PyTorch's own conventions at kinks."""
    z = z.detach().clone().requires_grad_(True)
    (d,) = torch.autograd.grad(phi(name, z).sum(), z)
    return d


def torch_oracle(net, loss, activation, sigma_w, sigma_b):
    """Forward, backward and every statistic of one network, plus for each
    value the scale below which a difference counts as absolute (see check)."""
    x = torch.from_numpy(net["x"][()])
    target = torch.from_numpy(net["r" if loss == "probe" else "y"][()])
    unit_w, unit_b = net["unit_weights"][()], net["unit_biases"][()]
    depth, B = unit_w.shape[0], x.shape[0]
    W = [torch.tensor(sigma_w * u, requires_grad=True) for u in unit_w]
    b = [torch.tensor(sigma_b * beta, requires_grad=True) for beta in unit_b]

    a, zs, acts = x, [], [x]
    for l in range(depth):
        z = a @ W[l].T + b[l]
        z.retain_grad()
        a = phi(activation, z)
        zs.append(z)
        acts.append(a)
    if loss == "probe":
        per_sample = (target * zs[-1]).sum(1)
    else:
        per_sample = 0.5 * ((zs[-1] - target) ** 2).sum(1)
    total = per_sample.mean()
    total.backward()

    out = {name: [] for name in PER_LAYER}
    floors = {name: [] for name in PER_LAYER}
    arrays = {"delta": [], "grad_w": [], "grad_b": []}
    array_floors = {"delta": [], "grad_w": [], "grad_b": []}
    for l in range(depth):
        z, a, a_prev = zs[l].detach(), acts[l + 1].detach(), acts[l].detach()
        delta = B * zs[l].grad  # loss is the batch mean: dl/dz per sample is B dloss/dz
        d = dphi(activation, z)
        saturated = d.abs() < SATURATION
        cos = F.cosine_similarity(z[:, None, :], z[None, :, :], dim=-1)
        nonzero = z.norm(dim=1) > 0
        pairs = (nonzero[:, None] & nonzero[None, :]) & ~torch.eye(B, dtype=torch.bool)
        a_sq = (a ** 2).mean().item()
        delta_norm = delta.norm().item()
        # Cauchy-Schwarz bounds of the gradients: what they would be if no
        # sample's contribution cancelled another's (rounding scales with these).
        gw_bound = delta_norm * a_prev.norm().item() / B
        gb_bound = delta_norm / math.sqrt(B)
        stats = {
            "q": ((z ** 2).mean(), TINY),
            # the mean of z may vanish by symmetry; its natural size is sqrt(q)
            "preact_mean": (z.mean(), math.sqrt((z ** 2).mean().item())),
            # a cosine is bounded by 1 and its rounding error is absolute
            "c": (cos[pairs].mean(), 1.0),
            # a channel mean is off by ~eps * rms(a), so both are relative to mean(a^2)
            "act_ch_sq_mean": (a.mean(0).pow(2).mean(), a_sq),
            "act_ch_var": (a.var(0, unbiased=False).mean(), a_sq),
            "saturated_frac": (saturated.double().mean(), 0.0),
            "dead_frac": (saturated.all(0).double().mean(), 0.0),
            "delta_sq": ((delta ** 2).mean(), TINY),
            "grad_w_norm": (torch.linalg.norm(W[l].grad), gw_bound),
            "grad_b_norm": (torch.linalg.norm(b[l].grad), gb_bound),
        }
        for name, (value, floor) in stats.items():
            out[name].append(value.item())
            floors[name].append(floor)
        for name, value, floor in (("delta", delta, delta_norm), ("grad_w", W[l].grad, gw_bound),
                                   ("grad_b", b[l].grad, gb_bound)):
            arrays[name].append(value.numpy())
            array_floors[name].append(floor)

    q, dsq, gw = out["q"], out["delta_sq"], out["grad_w_norm"]
    summary = {
        "log10_delta_ratio": 0.5 * math.log10(dsq[0] / dsq[-1]),
        "log10_grad_ratio": math.log10(gw[0] / gw[-1]),
        "log10_q_ratio": math.log10(q[-1] / q[0]),
    }
    if loss == "probe":  # <r, z> may cancel across samples: floor at |r| |z| / B
        loss_floor = target.norm().item() * zs[-1].norm().item() / B
    else:
        loss_floor = TINY
    return out, floors, arrays, array_floors, summary, (total.item(), loss_floor)


# ---- comparing ---------------------------------------------------------------------

class Checker:
    """Collects every disagreement (so one run shows them all) and the worst
    relative error per variable (quoted when the oracle is reported)."""

    def __init__(self):
        self.failures = []
        self.worst = {}  # name: (relative error, where)

    def value(self, name, where, ours, ref, floor, exact=False):
        """|ours - ref| <= RTOL * max(|ref|, floor); floor is the quantity's
        natural scale, below which the error is judged in absolute terms."""
        scale = max(abs(ref), floor)
        err = abs(ours - ref) / scale if scale > 0 else abs(ours - ref)
        if not np.isfinite(err):
            err = math.inf
        self._record(name, where, err)
        if (ours != ref) if exact else not err <= RTOL:
            self.failures.append(f"{where}: {name}: gradsweep {ours!r}, torch {ref!r}, "
                                 f"relative error {err:.3e} (scale {scale:.3e})")

    def array(self, name, where, ours, ref, floor):
        """Entry by entry, relative to the layer's norm (or floor if larger)."""
        scale = max(float(np.linalg.norm(ref)), floor)
        diff = np.abs(ours - ref)
        if ours.shape != ref.shape or not np.all(np.isfinite(diff)):
            err, index = math.inf, None
        else:
            index = np.unravel_index(np.argmax(diff), diff.shape)
            err = diff[index] / scale if scale > 0 else diff[index]
        self._record(name, where, err)
        if not err <= RTOL:
            at = "shape/finite" if index is None else f"entry {tuple(map(int, index))}"
            got = "?" if index is None else f"{ours[index]!r}, torch {ref[index]!r}"
            self.failures.append(f"{where}: {name} {at}: gradsweep {got}, relative error "
                                 f"{err:.3e} (layer norm {scale:.3e})")

    def fail(self, message):
        self.failures.append(message)

    def _record(self, name, where, err):
        if name not in self.worst or err > self.worst[name][0]:
            self.worst[name] = (err, where)

    def report(self, title):
        lines = [f"worst relative error per variable, {title}:"]
        for name, (err, where) in self.worst.items():
            value = "exact" if name in EXACT and err == 0 else f"{err:.3e}"
            lines.append(f"  {name:18s} {value:>9s}   ({where})")
        return "\n".join(lines)


def decode(f, name):
    """Codes to names through the variable's CF flag_values / flag_meanings."""
    var = f[name]
    meanings = var.attrs["flag_meanings"]
    meanings = (meanings.decode() if isinstance(meanings, bytes) else meanings).split()
    lookup = dict(zip(var.attrs["flag_values"].tolist(), meanings))
    return [lookup[int(code)] for code in var[:]]


def attr(net, name):
    value = net.attrs[name]
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.parametrize("loss", ["probe", "mse"])
def test_torch_oracle(loss, tmp_path, capsys):
    sweep = tmp_path / f"oracle-{loss}.yaml"
    sweep.write_text(sweep_text(loss))
    results = tmp_path / "results.h5"
    run = run_gradsweep([sweep, "-o", results], ranks=2)
    assert run.returncode == 0, run

    with h5py.File(results, "r") as f:
        assert f.attrs["loss"] == loss and f.attrs["precision"] == "float64"
        assert f.attrs["leaky_relu_slope"] == SLOPE
        coords = {name: decode(f, name) for name in ("activation", "init", "status")}
        coords.update({name: f[name][:] for name in ("depth", "width", "batch", "sigma_w",
                                                     "sigma_b", "seed")})
        stored = {name: f[name][:] for name in (*PER_LAYER, *RATIOS, "first_nonfinite_layer")}
        layers = f["layer"][:]
    l_max = max(DEPTHS)
    assert list(layers) == list(range(1, l_max + 1))

    # The coordinates must be the full grid in the canonical order
    # (activation init width depth batch sigma_b sigma_w seed, seed fastest).
    grid = list(itertools.product(ACTIVATIONS, INITS, [WIDTH], DEPTHS, [BATCH], SIGMA_BS,
                                  SIGMA_WS, [SEED]))
    rows = list(zip(coords["activation"], coords["init"], coords["width"].tolist(),
                    coords["depth"].tolist(), coords["batch"].tolist(),
                    coords["sigma_b"].tolist(), coords["sigma_w"].tolist(),
                    coords["seed"].tolist()))
    assert rows == grid

    chosen = [i for i, (act, init, _, depth, _, sb, sw, _) in enumerate(grid)
              if selected(act, init, depth, sb, sw)]
    for act, init, depth in itertools.product(ACTIVATIONS, INITS, DEPTHS):
        assert any(grid[i][0] == act and grid[i][1] == init and grid[i][3] == depth
                   for i in chosen), (act, init, depth)

    def export(i):
        path = tmp_path / f"net_{i}.h5"
        return path, run_gradsweep(["export", sweep, "--config", i, "-o", path])

    check = Checker()
    # Exports are mostly process start-up latency: overlap them.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for i, (path, out) in zip(chosen, pool.map(export, chosen)):
            act, init, _, depth, _, sigma_b, sigma_w, _ = grid[i]
            where = (f"config {i} ({loss}, {act}, {init}, depth {depth}, "
                     f"sigma_w {sigma_w}, sigma_b {sigma_b})")
            assert out.returncode == 0, f"{where}: export failed\n{out}"
            with h5py.File(path, "r") as net:
                # The export must be the results file's row i, or nothing below means anything.
                for key, want in (("activation", act), ("init", init), ("depth", depth),
                                  ("width", WIDTH), ("batch", BATCH), ("sigma_w", sigma_w),
                                  ("sigma_b", sigma_b), ("seed", SEED), ("loss", loss),
                                  ("leaky_relu_slope", SLOPE), ("config", i)):
                    assert attr(net, key) == want, (where, key)
                ref, floors, arrays, array_floors, summary, (loss_ref, loss_floor) = \
                    torch_oracle(net, loss, act, sigma_w, sigma_b)

                for name in PER_LAYER:
                    row = stored[name][i]
                    if not np.all(np.isnan(row[depth:])):
                        check.fail(f"{where}: {name} beyond depth is {row[depth:]}, not NaN")
                    # Same code, same draws, one rank instead of two: results do
                    # not depend on the ranks, so the export's copy is bit-identical.
                    if not np.array_equal(net[name][()], row[:depth]):
                        check.fail(f"{where}: {name}: export {net[name][()]} differs from "
                                   f"the results file's {row[:depth]}")
                    for l in range(depth):
                        check.value(name, f"{where}, layer {l + 1}", float(row[l]),
                                    ref[name][l], floors[name][l], exact=name in EXACT)
                for name in arrays:
                    ours = net[name][()]
                    for l in range(depth):
                        check.array(name, f"{where}, layer {l + 1}", ours[l], arrays[name][l],
                                    array_floors[name][l])
                # a log10 ratio near 0 is judged absolutely: 1e-10 in log10 is
                # 2.3e-10 relative in the ratio itself
                for name in RATIOS:
                    check.value(name, where, float(stored[name][i]), summary[name], 1.0)
                check.value("loss_value", where, float(net.attrs["loss_value"]), loss_ref,
                            loss_floor)
            if coords["status"][i] != "done":
                check.fail(f"{where}: status {coords['status'][i]!r}, expected 'done'")
            if stored["first_nonfinite_layer"][i] != 0:
                check.fail(f"{where}: first_nonfinite_layer "
                           f"{stored['first_nonfinite_layer'][i]}, expected 0")

    report = check.report(f"loss {loss}, {len(chosen)} of {len(grid)} configurations")
    with capsys.disabled():
        print("\n" + report)
    assert not check.failures, (f"{len(check.failures)} disagreements with PyTorch:\n"
                                + "\n".join(check.failures[:40]) + "\n" + report)
