# SPDX-License-Identifier: MIT
"""A real sweep's results file, end to end: the real binary under real
mpirun writes it through parallel HDF5; it must honour the whole contract
(schema_contract.py), hold each configuration in canonical order, keep inf/NaN
as they came out, and record enough to reproduce itself."""
import itertools

import h5py
import numpy as np
import pytest
import yaml

from schema_contract import PER_LAYER, check_contract

SWEEP = """\
name: contract
base_seed: 7
precision: float32
grid:
  activation: [linear, tanh]
  depth: [3, 40]
  width: [16, 24]
  sigma_w: [0.9, 1.0, 30.0]   # 30: a float32 linear net overflows within 40 layers
  sigma_b: [0.0, 0.1]
  seed: {range: 2}
  batch: [8]
"""
AXES = {  # canonical order, slowest first
    "activation": [0, 3], "init": [0], "width": [16, 24], "depth": [3, 40], "batch": [8],
    "sigma_b": [0.0, 0.1], "sigma_w": [0.9, 1.0, 30.0], "seed": [0, 1],
}
N = int(np.prod([len(v) for v in AXES.values()]))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from conftest import run_gradsweep
    folder = tmp_path_factory.mktemp("contract")
    (folder / "sweep.yaml").write_text(SWEEP)
    out = run_gradsweep(["sweep.yaml", "-o", "results.h5"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    return folder


def test_contract(results):
    attrs = check_contract(results / "results.h5", N, 40, ranks=2)
    assert attrs["sweep_name"] == "contract" and attrs["base_seed"] == 7
    assert attrs["precision"] == "float32" and attrs["loss"] == "probe"
    assert attrs["sweep_file"] == SWEEP
    assert attrs["blas_threads"] == 1 and attrs["blas"].startswith("OpenBLAS")
    assert attrs["configs_done"] + attrs["configs_nonfinite"] == N
    assert attrs["configs_underflow"] == 0
    assert attrs["configs_failed"] == 0 and attrs["configs_pending"] == 0


def test_canonical_order(results):
    with h5py.File(results / "results.h5", "r") as f:
        for i, point in enumerate(itertools.product(*AXES.values())):
            for name, value in zip(AXES, point):
                assert f[name][i] == value, (i, name)


def test_rows(results):
    with h5py.File(results / "results.h5", "r") as f:
        v = {name: f[name][:] for name in
             ["depth", "status", "rank", "elapsed_s", "sigma_w", "activation",
              "first_nonfinite_layer", "log10_delta_ratio", *PER_LAYER]}
    for i in range(N):
        depth = v["depth"][i]
        for name in PER_LAYER:
            assert np.isnan(v[name][i, depth:]).all(), (i, name)  # beyond the depth: fill
        assert v["rank"][i] in (0, 1) and v["elapsed_s"][i] > 0
        overflowing = v["activation"][i] == 0 and v["sigma_w"][i] == 30.0 and depth == 40
        if overflowing:
            # z grows ×30 a layer: float32 (3.4e38) overflows near layer 26.
            assert v["status"][i] == 2, i
            assert 20 <= v["first_nonfinite_layer"][i] <= 30, (i, v["first_nonfinite_layer"][i])
            assert not np.isfinite(v["q"][i, depth - 1])  # stored as it came out
        else:
            assert v["status"][i] == 1 and v["first_nonfinite_layer"][i] == 0, i
            for name in ("q", "delta_sq", "grad_w_norm", "act_ch_var"):
                assert np.isfinite(v[name][i, :depth]).all(), (i, name)
            assert np.isfinite(v["log10_delta_ratio"][i])


def test_sweep_spec_reproduces_the_file(results, gradsweep):
    """The canonical sweep text stored in the file, run again, gives the
    same numbers: a results file carries its own recipe."""
    with h5py.File(results / "results.h5", "r") as f:
        spec = f.attrs["sweep_spec"]
        q = f["q"][:]
        delta_sq = f["delta_sq"][:]
    parsed = yaml.safe_load(spec)
    assert parsed["grid"]["sigma_w"] == [0.9, 1.0, 30.0]
    (results / "again.yaml").write_text(spec)
    out = gradsweep(["again.yaml", "-o", "again.h5"], cwd=results)
    assert out.returncode == 0, out
    with h5py.File(results / "again.h5", "r") as f:
        assert f["q"][:].tobytes() == q.tobytes()
        assert f["delta_sq"][:].tobytes() == delta_sq.tobytes()


# ---- signals that die: status underflow ------------------------------------------------------

# float32 linear and relu nets at sigma_w = 0.001 shrink z a thousandfold a
# layer (relu: also halves it): from q ~ 1 the smallest float32 (1.4e-45) is
# passed after ~15 layers and z is exactly 0 from then on. At sigma_w = 1
# (linear) and sqrt(2) (relu) nothing dies.
UNDERFLOW_SWEEP = ["--depth", "50", "--width", "64", "--batch", "16", "--activation",
                   "linear,relu", "--sigma-w", "0.001,1,1.4142135623730951", "--seed", "0,1",
                   "--progress", "0.001"]


@pytest.fixture(scope="module")
def underflow(tmp_path_factory):
    from conftest import run_gradsweep
    folder = tmp_path_factory.mktemp("underflow")
    out = run_gradsweep([*UNDERFLOW_SWEEP, "-o", "u.h5"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    with h5py.File(folder / "u.h5", "r") as f:
        v = {name: f[name][:] for name in ("status", "sigma_w", "first_underflow_layer",
                                           "first_nonfinite_layer", "log10_delta_ratio",
                                           "log10_grad_ratio", "log10_q_ratio", "q", "delta_sq")}
        v["attrs"] = dict(f.attrs)
    return v, out.stderr


def test_vanished_signal_is_not_done(underflow):
    v, stderr = underflow
    tiny = v["sigma_w"] == 0.001
    assert (v["status"][tiny] == 4).all() and (v["status"][~tiny] == 1).all(), v["status"]
    for i in np.flatnonzero(tiny):
        layer = v["first_underflow_layer"][i]
        # the first layer whose q is exactly zero: z vanished there
        assert 5 <= layer <= 30 and v["q"][i, layer - 1] == 0 and (v["q"][i, :layer - 1] > 0).all()
        assert v["first_nonfinite_layer"][i] == 0
        assert np.isinf(v["log10_delta_ratio"][i]) or np.isinf(v["log10_q_ratio"][i])
    assert (v["first_underflow_layer"][~tiny] == 0).all()
    # what a user filtering on done gets: finite numbers only
    done = v["status"] == 1
    for name in ("log10_delta_ratio", "log10_grad_ratio", "log10_q_ratio"):
        assert np.isfinite(v[name][done]).all(), name
    attrs = v["attrs"]
    assert attrs["configs_underflow"] == tiny.sum() and attrs["configs_done"] == (~tiny).sum()
    # the progress line and the summary count them too
    assert f"failed 0, underflow {tiny.sum()}" in stderr, stderr
    assert f"{(~tiny).sum()} done, 0 nonfinite, 0 failed, {tiny.sum()} underflow" in stderr, stderr


def test_dead_relu_layer_is_underflow_of_the_backward_signal(tmp_path):
    """A relu layer whose every unit is dead (z < 0 for every sample: here
    biases of sd 20 swamp the weights, so a unit is dead when its bias is
    negative, and all 3 units of a layer are with probability 1/8) sends back
    an exactly zero delta: the backward signal died there although z did not."""
    from conftest import run_gradsweep
    out = run_gradsweep(["--depth", "6", "--width", "3", "--batch", "8", "--activation", "relu",
                         "--sigma-w", "0.5", "--sigma-b", "20", "--seed", "0:19:20",
                         "--precision", "float64", "-o", "d.h5", "--progress", "0"], cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "d.h5", "r") as f:
        status, layer = f["status"][:], f["first_underflow_layer"][:]
        q, delta_sq, dead = f["q"][:], f["delta_sq"][:], f["dead_frac"][:]
    dead_net = (dead == 1).any(axis=1)
    assert dead_net.any() and (~dead_net).any(), dead  # both kinds among the seeds
    for i in range(len(status)):
        if dead_net[i]:
            assert status[i] == 4 and (q[i] > 0).all(), i
            assert delta_sq[i, layer[i] - 1] == 0 and dead[i, layer[i] - 1] == 1, i
        else:
            assert status[i] == 1 and layer[i] == 0, i


# ---- a network sweep (issue 12) ------------------------------------------------------

NETWORK_SWEEP = """\
name: network
base_seed: 8
grid:
  activation: [relu]
  depth: [2, 3]
  width: [16]
  sigma_w: [he, torch_default]
  init: [uniform, truncated_normal]
  batch: [4]
  input_width: [30]
  output_width: [3, 16]
  fan: [in, avg]
"""


def test_network_sweep_file(tmp_path, gradsweep):
    (tmp_path / "sweep.yaml").write_text(NETWORK_SWEEP)
    out = gradsweep(["sweep.yaml", "-o", "results.h5"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    n = 2 * 2 * 2 * 2 * 2
    attrs = check_contract(tmp_path / "results.h5", n, 3, ranks=2,
                           network_axes=("input_width", "output_width", "fan"))
    assert attrs["configs_done"] == n
    spec = yaml.safe_load(attrs["sweep_spec"])["grid"]
    assert spec["sigma_w"] == ["he", "torch_default"] and spec["fan"] == ["in", "avg"]
    with h5py.File(tmp_path / "results.h5", "r") as f:
        # canonical order: ... sigma_w seed input_width output_width fan (fastest)
        assert list(f["fan"][:4]) == [0, 2, 0, 2] and list(f["output_width"][:4]) == [3, 3, 16, 16]
        assert set(f["input_width"][:]) == {30}
        names = f["sigma_w_name"].attrs["flag_meanings"].split()
        assert [names[k] for k in f["sigma_w_name"][:8:4]] == ["he", "torch_default"]
        assert np.allclose(f["sigma_w"][:8:4], [np.sqrt(2), np.sqrt(1 / 3)], rtol=1e-15)
    # and the same sweep again, from the canonical text it stored
    (tmp_path / "again.yaml").write_text(attrs["sweep_spec"])
    out = gradsweep(["again.yaml", "-o", "again.h5"], cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "results.h5", "r") as a, h5py.File(tmp_path / "again.h5", "r") as b:
        for name in ("q", "delta_sq", "q_theory", "fan", "sigma_w_name", "init"):
            assert np.array_equal(a[name][:], b[name][:], equal_nan=True), name


def test_plain_sweep_has_no_network_variables(results):
    with h5py.File(results / "results.h5", "r") as f:
        for name in ("input_width", "output_width", "fan", "sigma_w_name"):
            assert name not in f


# ---- residual blocks and norms (issue 12) ---------------------------------------------

BLOCK_SWEEP = """\
name: blocks
base_seed: 9
grid:
  activation: [tanh]
  depth: [3]
  width: [16]
  sigma_w: [1.0]
  batch: [4]
  output_width: [16, 5]
  branch_scale: [none, 0.5, 1/sqrt(depth)]
  norm: [none, layernorm]
"""


def test_block_sweep_file(tmp_path, gradsweep):
    (tmp_path / "sweep.yaml").write_text(BLOCK_SWEEP)
    out = gradsweep(["sweep.yaml", "-o", "results.h5"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    n = 2 * 3 * 2
    attrs = check_contract(tmp_path / "results.h5", n, 3, ranks=2,
                           network_axes=("output_width", "branch_scale", "norm"))
    assert attrs["configs_done"] == n
    spec = yaml.safe_load(attrs["sweep_spec"])["grid"]
    assert spec["branch_scale"] == ["none", 0.5, "1/sqrt(depth)"]
    assert spec["norm"] == ["none", "layernorm"]
    with h5py.File(tmp_path / "results.h5", "r") as f:
        # canonical order: ... output_width branch_scale norm (fastest)
        assert list(f["norm"][:6]) == [0, 1, 0, 1, 0, 1]
        alpha = f["branch_scale"][:6]
        assert np.isnan(alpha[:2]).all() and list(alpha[2:]) == [0.5, 0.5, 1 / np.sqrt(3), 1 / np.sqrt(3)]
        branch = f["branch_ch_var"][:]
        # blocks are layers 2..L, and not a last layer of output_width 5 (the head)
        for i in range(n):
            residual = [not np.isnan(alpha[i % 6]) and l >= 1 and
                        (l < 2 or f["output_width"][i] == 16) for l in range(3)]
            assert [not np.isnan(v) for v in branch[i]] == residual, i
        assert np.all(f["trunk_ch_var"][:] > 0)
    # the canonical text reads back to the same sweep
    (tmp_path / "again.yaml").write_text(attrs["sweep_spec"])
    out = gradsweep(["again.yaml", "-o", "again.h5"], cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "results.h5", "r") as a, h5py.File(tmp_path / "again.h5", "r") as b:
        for name in ("q", "delta_sq", "q_theory", "branch_scale", "norm", "branch_ch_var"):
            assert np.array_equal(a[name][:], b[name][:], equal_nan=True), name


def test_plain_sweep_has_no_block_variables(results):
    with h5py.File(results / "results.h5", "r") as f:
        for name in ("branch_scale", "norm", "trunk_ch_var", "branch_ch_var"):
            assert name not in f

