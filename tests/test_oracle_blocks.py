# SPDX-License-Identifier: MIT
"""PyTorch (float64, autograd) against gradsweep for residual blocks and
LayerNorm (issue 12): every per-layer variable, delta, grad_w, grad_b and the
loss, to 1e-10 relative, as tests/test_oracle.py does for plain networks.

A float64 sweep over activation x init x sigma_w x depth x output_width x
branch_scale (none, 0.7, 1/sqrt(depth)) x norm (none, layernorm), with an
input_width other than width (non-square first layer) and an output_width
both equal to width (the last layer a residual block) and not (a dense head),
runs under mpirun; `gradsweep export` hands over the unit draws and
gradsweep's own arrays. PyTorch rebuilds the network from the draws with
the block structure it decides ITSELF from the configuration:

    layer 1:      z = x W1^T + b1
    layer l >= 2: z = z_prev + alpha (phi(N(z_prev)) W^T + b)   residual block
                  (a last layer of output_width != width: z = phi(N(z_prev)) W^T + b)
    N = F.layer_norm(., (width,), eps=1e-5) (no affine) or the identity

and computes the statistics its own way (trunk_ch_var = z.var(0).mean(),
branch_ch_var of the branch alpha (phi(N(z_prev)) W^T + b)); the backward
is autograd's, so LayerNorm's hand-written backward is checked against it.

Run with Debian's interpreter (-s shows the worst relative error per variable):
    GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest -s tests/test_oracle_blocks.py
"""
import math

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import run_gradsweep
from test_oracle import (PER_LAYER, RATIOS, SATURATION, TINY, Checker, attr, decode,
                         dphi, exports, phi)

torch.set_default_dtype(torch.float64)

EPS = 1e-5  # GS_LAYERNORM_EPS, PyTorch's nn.LayerNorm default
BLOCK_STATS = ["trunk_ch_var", "branch_ch_var"]
WIDTH, INPUT_WIDTH = 12, 9

SWEEP = """\
name: oracle-blocks-{loss}
base_seed: 4242
precision: float64
loss: {loss}
grid:
  activation: [linear, relu, tanh, gelu]
  init: [gaussian, orthogonal]
  width: [{width}]
  depth: [2, 5]
  batch: [7]
  sigma_b: [0.3]
  sigma_w: [0.9, 1.6]
  input_width: [{input_width}]
  output_width: [{width}, 5]
  branch_scale: [none, 0.7, 1/sqrt(depth)]
  norm: [none, layernorm]
"""


def expected_blocks(cfg):
    """(residual, alpha) per layer, from the configuration alone."""
    depth, name = cfg["depth"], cfg["branch_name"]
    out = []
    for l in range(depth):
        fan_in = INPUT_WIDTH if l == 0 else WIDTH
        fan_out = cfg["output_width"] if l == depth - 1 else WIDTH
        residual = name != "none" and l >= 1 and fan_in == fan_out
        alpha = (1 / math.sqrt(depth) if name == "1/sqrt(depth)" else 0.7) if residual else None
        out.append((residual, alpha))
    return out


def block_oracle(net, loss, activation, weights, biases, blocks, layernorm):
    """Forward, backward and every statistic of the network; the same return
    values as test_oracle.torch_oracle (values, floors, arrays, array floors,
    summary, loss), with the block statistics added."""
    x = torch.from_numpy(net["x"][()])
    target = torch.from_numpy(net["r" if loss == "probe" else "y"][()])
    depth, B = len(weights), x.shape[0]
    W = [torch.tensor(w, requires_grad=True) for w in weights]
    b = [torch.tensor(beta, requires_grad=True) for beta in biases]

    def norm(z):
        return F.layer_norm(z, (z.shape[1],), eps=EPS) if layernorm else z

    a, z_prev, zs, hs, acts, branches = x, None, [], [], [x], []
    for l in range(depth):
        residual, alpha = blocks[l]
        if residual:
            r = alpha * (a @ W[l].T + b[l])
            z = z_prev + r
        else:
            r, z = None, a @ W[l].T + b[l]
        z.retain_grad()
        h = norm(z)
        a = phi(activation, h)
        zs.append(z)
        hs.append(h)
        acts.append(a)
        branches.append(r)
        z_prev = z
    if loss == "probe":
        per_sample = (target * zs[-1]).sum(1)
    else:
        per_sample = 0.5 * ((zs[-1] - target) ** 2).sum(1)
    total = per_sample.mean()
    total.backward()

    names = PER_LAYER + BLOCK_STATS
    out = {name: [] for name in names}
    floors = {name: [] for name in names}
    arrays = {"delta": [], "grad_w": [], "grad_b": []}
    array_floors = {"delta": [], "grad_w": [], "grad_b": []}
    for l in range(depth):
        z, a, a_prev = zs[l].detach(), acts[l + 1].detach(), acts[l].detach()
        delta = B * zs[l].grad
        d = dphi(activation, hs[l].detach())  # phi' at N(z)
        saturated = d.abs() < SATURATION
        cos = F.cosine_similarity(z[:, None, :], z[None, :, :], dim=-1)
        nonzero = z.norm(dim=1) > 0
        pairs = (nonzero[:, None] & nonzero[None, :]) & ~torch.eye(B, dtype=torch.bool)
        a_sq = (a ** 2).mean().item()
        q = (z ** 2).mean()
        delta_norm = delta.norm().item()
        gw_bound = delta_norm * a_prev.norm().item() / B
        gb_bound = delta_norm / math.sqrt(B)
        scale = blocks[l][1] or 1.0  # a block's gradients carry alpha
        r = branches[l]
        stats = {
            "q": (q, TINY),
            "preact_mean": (z.mean(), math.sqrt(q.item())),
            "c": (cos[pairs].mean(), 1.0),
            "act_ch_sq_mean": (a.mean(0).pow(2).mean(), a_sq),
            "act_ch_var": (a.var(0, unbiased=False).mean(), a_sq),
            "saturated_frac": (saturated.double().mean(), 0.0),
            "dead_frac": (saturated.all(0).double().mean(), 0.0),
            "delta_sq": ((delta ** 2).mean(), TINY),
            "grad_w_norm": (torch.linalg.norm(W[l].grad), scale * gw_bound),
            "grad_b_norm": (torch.linalg.norm(b[l].grad), scale * gb_bound),
            # gradsweep takes the trunk's channel variance from the sums of z
            # and z^2 (E z^2 - (E z)^2): its rounding is relative to q
            "trunk_ch_var": (z.var(0, unbiased=False).mean(), q.item()),
            "branch_ch_var": ((r.detach().var(0, unbiased=False).mean(),
                               (r.detach() ** 2).mean().item()) if r is not None
                              else (torch.tensor(math.nan), 0.0)),
        }
        for name, (value, floor) in stats.items():
            out[name].append(value.item())
            floors[name].append(floor)
        for name, value, floor in (("delta", delta, delta_norm),
                                   ("grad_w", W[l].grad, scale * gw_bound),
                                   ("grad_b", b[l].grad, scale * gb_bound)):
            arrays[name].append(value.numpy())
            array_floors[name].append(floor)

    q, dsq, gw = out["q"], out["delta_sq"], out["grad_w_norm"]
    summary = {
        "log10_delta_ratio": 0.5 * math.log10(dsq[0] / dsq[-1]),
        "log10_grad_ratio": math.log10(gw[0] / gw[-1]),
        "log10_q_ratio": math.log10(q[-1] / q[0]),
    }
    if loss == "probe":
        loss_floor = target.norm().item() * zs[-1].norm().item() / B
    else:
        loss_floor = TINY
    return out, floors, arrays, array_floors, summary, (total.item(), loss_floor)


def check_network(check, where, net, stored, oracle):
    """Checker.network with the block statistics (NaN where the oracle has
    no branch: both must be NaN)."""
    ref, floors = oracle[0], oracle[1]
    for name in BLOCK_STATS:
        for l in range(len(ref[name])):
            ours, want = float(stored[name][l]), ref[name][l]
            if math.isnan(want):
                if not math.isnan(ours):
                    check.fail(f"{where}, layer {l + 1}: {name} {ours!r}, expected NaN "
                               "(not a residual block)")
                continue
            check.value(name, f"{where}, layer {l + 1}", ours, want, floors[name][l])
    check.network(where, net, stored, oracle)


@pytest.mark.parametrize("loss", ["probe", "mse"])
def test_torch_oracle_blocks(loss, tmp_path, capsys):
    sweep = tmp_path / f"blocks-{loss}.yaml"
    sweep.write_text(SWEEP.format(loss=loss, width=WIDTH, input_width=INPUT_WIDTH))
    results = tmp_path / "results.h5"
    run = run_gradsweep([sweep, "-o", results], ranks=2)
    assert run.returncode == 0, run
    with h5py.File(results, "r") as f:
        assert f.attrs["canonical_order"].split()[-2:] == ["branch_scale", "norm"]
        n = len(f["config"])
        cfg = [{} for _ in range(n)]
        for name in ("activation", "init", "norm", "status"):
            for i, value in enumerate(decode(f, name)):
                cfg[i][name] = value
        for name in ("depth", "width", "output_width", "sigma_w", "sigma_b", "branch_scale"):
            for i, value in enumerate(f[name][:].tolist()):
                cfg[i][name] = value
        stored = {name: f[name][:] for name in (*PER_LAYER, *BLOCK_STATS, *RATIOS)}
    # the branch_scale axis is the second fastest: none, 0.7, 1/sqrt(depth)
    for i, c in enumerate(cfg):
        c["branch_name"] = ["none", "0.7", "1/sqrt(depth)"][(i // 2) % 3]
        want = {"none": math.nan, "0.7": 0.7,
                "1/sqrt(depth)": 1 / math.sqrt(c["depth"])}[c["branch_name"]]
        assert (math.isnan(want) and math.isnan(c["branch_scale"])) or \
            c["branch_scale"] == want, (i, c)
        assert c["norm"] == ["none", "layernorm"][i % 2]
    # a quarter of the configurations (about 100 exports), rotating so that
    # every value of every axis is among them
    chosen = [i for i in range(n) if (i + i // 4 + i // 24 + i // 96) % 4 == 0]
    for name in ("activation", "init", "norm", "branch_name", "depth", "output_width",
                 "sigma_w"):
        assert {cfg[i][name] for i in chosen} == {c[name] for c in cfg}, name

    check = Checker()
    for i, path, out in exports(sweep, chosen, tmp_path):
        c = cfg[i]
        where = (f"config {i} ({loss}, {c['activation']}, {c['init']}, depth {c['depth']}, "
                 f"-> {c['output_width']}, sigma_w {c['sigma_w']}, branch_scale "
                 f"{c['branch_name']}, norm {c['norm']})")
        assert out.returncode == 0, f"{where}: export failed\n{out}"
        blocks = expected_blocks(c)
        with h5py.File(path, "r") as net:
            assert attr(net, "norm") == c["norm"], where
            assert net.attrs["layernorm_eps"] == EPS, where
            unit_w, unit_b = net["unit_weights"][()], net["unit_biases"][()]
            weights, biases = [], []
            for l, (residual, alpha) in enumerate(blocks):
                assert bool(net["residual"][l]) == residual, (where, l)
                if residual:
                    assert math.isclose(net["layer_branch_scale"][l], alpha, rel_tol=1e-15)
                fi, fo = int(net["fan_in"][l]), int(net["fan_out"][l])
                weights.append(net["layer_sigma_w"][l] * unit_w[l, :fo, :fi])
                biases.append(net["layer_sigma_b"][l] * unit_b[l, :fo])
            row = {name: stored[name][i] for name in (*PER_LAYER, *BLOCK_STATS, *RATIOS)}
            check_network(check, where, net, row,
                          block_oracle(net, loss, c["activation"], weights, biases, blocks,
                                       c["norm"] == "layernorm"))
        if c["status"] != "done":
            check.fail(f"{where}: status {c['status']!r}, expected 'done'")

    report = check.report(f"blocks, loss {loss}, {len(chosen)} of {n} configurations")
    with capsys.disabled():
        print("\n" + report)
    assert not check.failures, (f"{len(check.failures)} disagreements with PyTorch:\n"
                                + "\n".join(check.failures[:40]) + "\n" + report)

