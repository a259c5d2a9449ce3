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


def torch_oracle(net, loss, activation, weights, biases):
    """Forward, backward and every statistic of one network whose layers are
    the arrays weights[l] (fan_out, fan_in) and biases[l] (fan_out), plus for
    each value the scale below which a difference counts as absolute (see
    check)."""
    x = torch.from_numpy(net["x"][()])
    target = torch.from_numpy(net["r" if loss == "probe" else "y"][()])
    depth, B = len(weights), x.shape[0]
    W = [torch.tensor(w, requires_grad=True) for w in weights]
    b = [torch.tensor(beta, requires_grad=True) for beta in biases]

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

    def network(self, where, net, stored, oracle):
        """One exported network: the results file's row (stored: each per-layer
        variable's row and each ratio), the export's arrays (layers padded to
        the widest: each compared in its (fan_out, fan_in) corner) and the loss,
        against what torch_oracle computed."""
        ref, floors, arrays, array_floors, summary, (loss_ref, loss_floor) = oracle
        depth = len(ref["q"])
        for name in PER_LAYER:
            for l in range(depth):
                self.value(name, f"{where}, layer {l + 1}", float(stored[name][l]),
                           ref[name][l], floors[name][l], exact=name in EXACT)
        for name in arrays:
            ours = net[name][()]
            for l in range(depth):
                fi, fo = int(net["fan_in"][l]), int(net["fan_out"][l])
                mine = (ours[l][:, :fo] if name == "delta" else
                        ours[l][:fo, :fi] if name == "grad_w" else ours[l][:fo])
                self.array(name, f"{where}, layer {l + 1}", mine, arrays[name][l],
                           array_floors[name][l])
        # a log10 ratio near 0 is judged absolutely: 1e-10 in log10 is
        # 2.3e-10 relative in the ratio itself
        for name in RATIOS:
            self.value(name, where, float(stored[name]), summary[name], 1.0)
        self.value("loss_value", where, float(net.attrs["loss_value"]), loss_ref, loss_floor)

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


def exports(sweep, chosen, folder):
    """(i, path, result) of `gradsweep export` for each configuration i of
    chosen. Exports are mostly process start-up latency: they overlap."""
    def export(i):
        path = folder / f"net_{i}.h5"
        return i, path, run_gradsweep(["export", sweep, "--config", i, "-o", path])

    with ThreadPoolExecutor(max_workers=8) as pool:
        yield from pool.map(export, chosen)


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

    check = Checker()
    for i, path, out in exports(sweep, chosen, tmp_path):
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
            weights = [sigma_w * u for u in net["unit_weights"][()]]
            biases = [sigma_b * beta for beta in net["unit_biases"][()]]
            for name in PER_LAYER:
                row = stored[name][i]
                if not np.all(np.isnan(row[depth:])):
                    check.fail(f"{where}: {name} beyond depth is {row[depth:]}, not NaN")
                # Same code, same draws, one rank instead of two: results do
                # not depend on the ranks, so the export's copy is bit-identical.
                if not np.array_equal(net[name][()], row[:depth]):
                    check.fail(f"{where}: {name}: export {net[name][()]} differs from "
                               f"the results file's {row[:depth]}")
            check.network(where, net, {name: stored[name][i] for name in (*PER_LAYER, *RATIOS)},
                          torch_oracle(net, loss, act, weights, biases))
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


# ---- networks as people build them (issue 12) ----------------------------------------
#
# Non-square layers (a first layer of input_width features, a last of
# output_width units, a network of one layer), every init, every fan, and the
# frameworks' defaults with their own biases. PyTorch rebuilds each layer
# from the exported unit draws U and beta with scales it computes ITSELF from
# the configuration (std = sigma_w / sqrt(fan), W = std sqrt(fan_in) U; biases
# sigma_b beta, or torch_default's beta / sqrt(fan_in) with beta ~ U(-1, 1)),
# so that the fan logic is checked too, not only the passes.

SHAPED_SWEEPS = {
    # every init x fan, non-square both ways, gaussian biases
    "inits": """\
name: oracle-shapes
base_seed: 77
precision: float64
loss: {loss}
grid:
  activation: [tanh, relu]
  init: [gaussian, uniform, orthogonal, truncated_normal, torch_trunc_normal]
  width: [12]
  depth: [1, 3]
  batch: [7]
  sigma_b: [0.3]
  sigma_w: [1.3, 4.0]
  input_width: [20, 9]
  output_width: [5]
  fan: [in, out, avg]
""",
    # the frameworks' defaults: PyTorch's biases, Keras' fan avg and zeros
    "frameworks": """\
name: oracle-frameworks
base_seed: 78
precision: float64
loss: {loss}
grid:
  activation: [relu, gelu]
  init: [uniform, orthogonal]
  width: [12]
  depth: [1, 3]
  batch: [7]
  sigma_w: [torch_default, keras_default, he]
  input_width: [20]
  output_width: [5, 15]
""",
}
FANS = ["in", "out", "avg"]
NAMES = ["number", "he", "lecun", "xavier", "torch_default", "keras_default"]


def expected_layers(cfg, depth):
    """Each layer's (fan_in, fan_out, weight scale, bias scale, uniform biases)
    from the configuration, by the frameworks' own definitions."""
    layers = []
    for l in range(depth):
        fan_in = cfg["input_width"] if l == 0 else cfg["width"]
        fan_out = cfg["output_width"] if l == depth - 1 else cfg["width"]
        fan = {"in": fan_in, "out": fan_out, "avg": (fan_in + fan_out) / 2}[cfg["fan"]]
        std = cfg["sigma_w"] / math.sqrt(fan)  # Var(W_ij) = sigma_w^2 / fan
        torch_bias = cfg["sigma_w_name"] == "torch_default"
        bias_scale = 1 / math.sqrt(fan_in) if torch_bias else cfg["sigma_b"]
        layers.append((fan_in, fan_out, std * math.sqrt(fan_in), bias_scale, torch_bias))
    return layers


@pytest.mark.parametrize("sweep_name", sorted(SHAPED_SWEEPS))
@pytest.mark.parametrize("loss", ["probe", "mse"])
def test_torch_oracle_shapes(sweep_name, loss, tmp_path, capsys):
    sweep = tmp_path / f"{sweep_name}-{loss}.yaml"
    sweep.write_text(SHAPED_SWEEPS[sweep_name].format(loss=loss))
    results = tmp_path / "results.h5"
    run = run_gradsweep([sweep, "-o", results], ranks=2)
    assert run.returncode == 0, run
    with h5py.File(results, "r") as f:
        n = len(f["config"])
        cfg = [{} for _ in range(n)]
        for name in ("activation", "init", "fan", "sigma_w_name", "status"):
            for i, value in enumerate(decode(f, name)):
                cfg[i][name] = value
        for name in ("depth", "width", "input_width", "output_width", "sigma_w", "sigma_b"):
            for i, value in enumerate(f[name][:].tolist()):
                cfg[i][name] = value
        stored = {name: f[name][:] for name in (*PER_LAYER, *RATIOS)}
    # a third of the configurations (about 80 exports a sweep), rotating through the
    # grid so that each value of each axis is among them
    chosen = [i for i in range(n) if (i + i // 3 + i // 9 + i // 27) % 3 == 0]
    for name in ("activation", "init", "fan", "sigma_w_name", "depth", "input_width",
                 "output_width", "sigma_w"):
        assert {cfg[i][name] for i in chosen} == {c[name] for c in cfg}, name

    check = Checker()
    for i, path, out in exports(sweep, chosen, tmp_path):
        c = cfg[i]
        depth = c["depth"]
        where = (f"config {i} ({loss}, {c['activation']}, {c['init']}, depth {depth}, "
                 f"{c['input_width']} -> {c['width']} -> {c['output_width']}, fan {c['fan']}, "
                 f"sigma_w {c['sigma_w']} ({c['sigma_w_name']}))")
        assert out.returncode == 0, f"{where}: export failed\n{out}"
        with h5py.File(path, "r") as net:
            for key in ("input_width", "output_width", "fan", "sigma_w_name", "init"):
                assert attr(net, key) == c[key], (where, key)
            unit_w, unit_b = net["unit_weights"][()], net["unit_biases"][()]
            weights, biases = [], []
            for l, (fi, fo, w_scale, b_scale, torch_bias) in enumerate(expected_layers(c, depth)):
                assert (net["fan_in"][l], net["fan_out"][l]) == (fi, fo), where
                assert math.isclose(net["layer_sigma_w"][l], w_scale, rel_tol=1e-14), where
                assert math.isclose(net["layer_sigma_b"][l], b_scale, rel_tol=1e-14), where
                assert bool(net["uniform_biases"][l]) == torch_bias, where
                u, beta = unit_w[l, :fo, :fi], unit_b[l, :fo]
                # the padding around each layer is NaN, the layer itself finite
                assert np.all(np.isfinite(u)) and np.isnan(unit_w[l, fo:, :]).all()
                if torch_bias:  # nn.Linear's biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
                    assert np.all(np.abs(beta) < 1)
                weights.append(w_scale * u)
                biases.append(b_scale * beta)
            if c["init"] == "torch_trunc_normal":  # trunc_normal_'s absolute bounds
                assert all(np.abs(w).max() <= 2 for w in weights), where
            if c["sigma_w_name"] == "torch_default" and c["init"] == "uniform":
                for w, (fi, *_) in zip(weights, expected_layers(c, depth)):
                    assert np.abs(w).max() <= 1 / math.sqrt(fi) * (1 + 1e-15), where
            check.network(where, net, {name: stored[name][i] for name in (*PER_LAYER, *RATIOS)},
                          torch_oracle(net, loss, c["activation"], weights, biases))
        if c["status"] != "done":
            check.fail(f"{where}: status {c['status']!r}, expected 'done'")

    report = check.report(f"{sweep_name}, loss {loss}, {len(chosen)} of {n} configurations")
    with capsys.disabled():
        print("\n" + report)
    assert not check.failures, (f"{len(check.failures)} disagreements with PyTorch:\n"
                                + "\n".join(check.failures[:40]) + "\n" + report)


# ---- the draws against the frameworks' own initializers ------------------------------
#
# One layer of 784 -> 512 (401 408 weights) drawn by gradsweep and by PyTorch's
# own initializer, compared as distributions by the two-sample Kolmogorov-Smirnov
# statistic D = max |F_ours - F_torch|. Under the null hypothesis sqrt(n/2) D
# exceeds 2.69 with probability 1e-6 (the asymptotic Kolmogorov distribution),
# so D_crit = 2.69 sqrt(2/n) = 0.0060: a wrong distribution, bound or cut
# fails, and a wrong scale by a fraction e moves D by 0.24 e (max over x of
# x phi(x) for a normal), so e > 2.5 % fails too; finer checks of the
# variances are test_net.c's. Sampling noise does not fail it. Seeds are fixed.

KS_CRITICAL = 2.69  # sqrt(-ln(1e-6 / 2) / 2)


def ks_statistic(a, b):
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def torch_reference(kind, fan_in, fan_out, sigma_w, fan):
    """The weight tensor (fan_out, fan_in) PyTorch's initializer draws for `kind`."""
    torch.manual_seed(12)
    w = torch.empty(fan_out, fan_in)
    if kind == "torch_default":  # nn.Linear.reset_parameters
        return torch.nn.Linear(fan_in, fan_out).weight.detach().numpy()
    if kind == "keras_default":  # glorot_uniform = xavier_uniform_
        return torch.nn.init.xavier_uniform_(w).numpy()
    if kind == "he_uniform":
        return torch.nn.init.kaiming_uniform_(w, nonlinearity="relu").numpy()
    if kind == "he_gaussian":
        return torch.nn.init.kaiming_normal_(w, nonlinearity="relu").numpy()
    std = sigma_w / math.sqrt(fan)
    if kind == "torch_trunc_normal":  # its defaults a = -2, b = 2: absolute bounds
        return torch.nn.init.trunc_normal_(w, std=std).numpy()
    if kind == "truncated_normal":  # Keras' VarianceScaling(distribution="truncated_normal")
        s = std / 0.87962566103423978
        return torch.nn.init.trunc_normal_(w, std=s, a=-2 * s, b=2 * s).numpy()
    if kind == "orthogonal":
        return torch.nn.init.orthogonal_(w, gain=sigma_w).numpy()
    raise ValueError(kind)


# (what PyTorch calls it, gradsweep's options, the layer's fans)
FRAMEWORK_CASES = [
    ("torch_default", ["--sigma-w", "torch_default"], 784, 512),
    ("keras_default", ["--sigma-w", "keras_default"], 784, 512),
    ("he_uniform", ["--sigma-w", "he", "--init", "uniform"], 784, 512),
    ("he_gaussian", ["--sigma-w", "he", "--init", "gaussian"], 784, 512),
    # sigma_w 40: std 1.43, the bounds +-2 1.4 standard deviations out
    ("torch_trunc_normal", ["--sigma-w", "40", "--init", "torch_trunc_normal"], 784, 512),
    ("truncated_normal", ["--sigma-w", "he", "--init", "truncated_normal"], 784, 512),
    ("orthogonal", ["--sigma-w", "1.3", "--init", "orthogonal"], 784, 512),
    # widening: torch's orthogonal_(gain) is fan out's variance here
    ("orthogonal", ["--sigma-w", "1.3", "--init", "orthogonal", "--fan", "out"], 300, 512),
]


@pytest.mark.parametrize("kind,options,fan_in,fan_out", FRAMEWORK_CASES)
def test_draws_match_torch_initializers(kind, options, fan_in, fan_out, tmp_path):
    path = tmp_path / "net.h5"
    out = run_gradsweep(["export", "--depth", "2", "--width", fan_out, "--input-width", fan_in,
                         "--output-width", 10, "--activation", "relu", "--batch", 2,
                         "--precision", "float64", *options, "--config", 0, "-o", path])
    assert out.returncode == 0, out
    with h5py.File(path, "r") as net:
        w = net["layer_sigma_w"][0] * net["unit_weights"][0, :fan_out, :fan_in]
        beta = net["unit_biases"][0, :fan_out] * net["layer_sigma_b"][0]
        sigma_w = float(net.attrs["sigma_w"])
        fan = {"in": fan_in, "out": fan_out, "avg": (fan_in + fan_out) / 2}[attr(net, "fan")]
    ref = torch_reference(kind, fan_in, fan_out, sigma_w, fan)
    d = ks_statistic(w, ref)
    critical = KS_CRITICAL * math.sqrt(2 / w.size)
    assert d < critical, f"{kind}: KS D = {d:.4f} >= {critical:.4f}"
    print(f"{kind}: KS D {d:.4f} (critical {critical:.4f})")
    # and the exact properties: bounds, and orthogonality
    bounds = {"torch_default": 1 / math.sqrt(fan_in),  # kaiming_uniform_(a=sqrt 5)
              "keras_default": math.sqrt(6 / (fan_in + fan_out)),
              "he_uniform": math.sqrt(6 / fan_in), "torch_trunc_normal": 2.0}
    if kind in bounds:  # within the bound, and reaching it (the draws fill the range)
        assert bounds[kind] * 0.999 < np.abs(w).max() <= bounds[kind] * (1 + 1e-15)
    if kind == "truncated_normal":
        assert np.abs(w).max() <= 2 * math.sqrt(2 / fan_in) / 0.87962566103423978 * (1 + 1e-12)
    if kind == "torch_default":  # the biases too: nn.Linear's U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        torch.manual_seed(13)
        ref_b = np.concatenate([torch.nn.Linear(fan_in, fan_out).bias.detach().numpy()
                                for _ in range(20)])
        assert np.abs(beta).max() < 1 / math.sqrt(fan_in)
        assert ks_statistic(beta, ref_b) < KS_CRITICAL * math.sqrt(1 / beta.size + 1 / ref_b.size)
    if kind == "orthogonal":  # W Wᵀ or Wᵀ W is gain² I, as torch's
        gram = w @ w.T if fan_out <= fan_in else w.T @ w
        assert np.allclose(gram, sigma_w ** 2 * np.eye(len(gram)), atol=1e-12)
