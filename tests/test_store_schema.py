# SPDX-License-Identifier: MIT
"""The results file written by src/store.c against schema gradsweep/1.

Runs tests/store_harness.c (path in $GS_STORE_HARNESS, set by CTest; default
build/tests/store_harness) under real mpirun with 1 and 3 ranks, then reads the files the way
users do: h5py, xarray with both the netcdf4 and h5netcdf engines, `ncdump -h`
and `h5dump -H`.

Run with Debian's interpreter:  /usr/bin/python3 -m pytest tests/test_store_schema.py
"""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

from conftest import MPIEXEC, MPIEXEC_FLAGS, SOURCE_DIR
from schema_contract import (FLAGS, PER_CONFIG, PER_LAYER, PER_LAYER_THEORY, THEORY,
                             THEORY_PER_CONFIG, check_h5dump, check_h5py_variables, check_ncdump,
                             check_root_attributes, check_xarray)

# ---- the harness's sweep, mirrored ----------------------------------------------
# activation {relu=1, tanh=3} x depth {3, 5} x sigma_w {1.0, 1.5} x seed {0, 1};
# canonical order: activation init width depth batch sigma_b sigma_w seed (seed fastest)
N, L_MAX = 16, 5
NONFINITE, FAILED, PENDING, UNDERFLOW = 5, 9, 7, 11


def expected_config(i):
    return {"activation": [1, 3][i // 8], "init": 0, "width": 4, "depth": [3, 5][i // 4 % 2],
            "batch": 2, "sigma_b": 0.0, "sigma_w": [1.0, 1.5][i // 2 % 2], "seed": i % 2}


def synthetic(i, layer, k):
    return i + layer / 10 + 1000 * k


# ---- running the harness ----------------------------------------------------------

EXIT_OUTPUT = 3


@pytest.fixture(scope="session")
def harness():
    path = os.environ.get("GS_STORE_HARNESS", str(SOURCE_DIR / "build" / "tests" / "store_harness"))
    assert Path(path).exists(), f"{path} is missing: build first (cmake --build --preset default)"
    return path


def run_harness(harness, ranks, path, *options):
    return subprocess.run(
        [MPIEXEC, *MPIEXEC_FLAGS, "-n", str(ranks), harness, str(path), *options],
        capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def files(harness, tmp_path_factory):
    out = {}
    for ranks in (1, 3):
        path = tmp_path_factory.mktemp(f"ranks{ranks}") / "results.h5"
        result = run_harness(harness, ranks, path)
        assert result.returncode == 0, result.stderr
        out[ranks] = path
    return out


@pytest.fixture(params=[1, 3], ids=["1rank", "3ranks"])
def results(request, files):
    return request.param, files[request.param]


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---- h5py -----------------------------------------------------------------------

def test_h5py_variables(results):
    _, path = results
    check_h5py_variables(path, N, L_MAX)


def test_h5py_root_attributes(results):
    ranks, path = results
    attrs = check_root_attributes(path, ranks)
    assert attrs["gradsweep_version"] == "0.1.0"
    assert attrs["base_seed"] == 12345678901234567890
    assert attrs["mpi_ranks"] == ranks and attrs["blas_threads"] == 1
    assert attrs["blas"] == "OpenBLAS harness (rank 0)"  # rank 0's value, not another rank's
    assert attrs["wall_time_s"] == 1.5  # rank 0's summary
    assert attrs["loss"] == "probe" and attrs["loss_definition"].startswith("probe: l = <r, z[L]>")
    assert attrs["precision"] == "float64" and attrs["sweep_name"] == "store_harness"
    assert attrs["leaky_relu_slope"] == 0.01
    assert attrs["canonical_order"] == "activation init width depth batch sigma_b sigma_w seed"
    assert attrs["Conventions"] == "CF-1.8"
    assert attrs["sweep_file"] == "depth: [3, 5]\nwidth: 4\n"
    counts = [attrs[f"configs_{s}"] for s in ("done", "nonfinite", "failed", "pending",
                                                "underflow")]
    assert counts == [12, 1, 1, 1, 1]


def test_values(results):
    ranks, path = results
    with h5py.File(path, "r") as f:
        v = {name: f[name][:] for name in [*PER_CONFIG, *PER_LAYER]}
    for i in range(N):
        for name, value in expected_config(i).items():
            assert v[name][i] == value, (i, name)
        depth = expected_config(i)["depth"]
        for k, name in enumerate(PER_LAYER):
            row = v[name][i]
            assert np.all(np.isnan(row[depth:])), (i, name)  # beyond depth: fill
            if i in (PENDING, FAILED):
                assert np.all(np.isnan(row)), (i, name)
            elif not (i in (NONFINITE, UNDERFLOW) and name == "q"):
                assert list(row[:depth]) == [synthetic(i, l, k) for l in range(1, depth + 1)]
        status = {PENDING: 0, NONFINITE: 2, FAILED: 3, UNDERFLOW: 4}.get(i, 1)
        assert v["status"][i] == status, i
        assert v["rank"][i] == (-1 if i == PENDING else i % ranks), i
        if i in (PENDING, FAILED):
            assert all(np.isnan(v[n][i]) for n in ("log10_delta_ratio", "log10_grad_ratio",
                                                   "log10_q_ratio")), i
    assert np.isnan(v["elapsed_s"][PENDING]) and v["elapsed_s"][FAILED] == 0.5
    q = v["q"][NONFINITE]
    assert q[0] == synthetic(NONFINITE, 1, 0) and np.isposinf(q[1]) and np.isnan(q[2])
    assert [v[f"first_nonfinite{s}_layer"][NONFINITE] for s in ("", "_forward", "_backward")] \
        == [2, 2, 3]
    assert v["first_nonfinite_layer"][PENDING] == 0
    assert v["first_nonfinite_layer"][FAILED] == 0  # a failed row keeps its fill
    q = v["q"][UNDERFLOW]
    depth = expected_config(UNDERFLOW)["depth"]
    assert q[0] == synthetic(UNDERFLOW, 1, 0) and (q[1:depth] == 0).all()
    assert v["first_underflow_layer"][UNDERFLOW] == 2 and np.isneginf(v["log10_q_ratio"][UNDERFLOW])
    assert (v["first_underflow_layer"][np.arange(N) != UNDERFLOW] == 0).all()
    assert v["log10_delta_ratio"][3] == 0.03 and v["log10_q_ratio"][3] == 0.06


def test_rank_count_does_not_change_the_data(files):
    with h5py.File(files[1], "r") as one, h5py.File(files[3], "r") as three:
        assert set(one) == set(three)
        for name in one:
            if name in ("rank", "elapsed_s"):
                continue
            np.testing.assert_array_equal(one[name][:], three[name][:], err_msg=name)
            assert dict(one[name].attrs).keys() == dict(three[name].attrs).keys()


def test_identical_runs_differ_only_in_dates(harness, files, tmp_path):
    again = tmp_path / "again.h5"
    assert run_harness(harness, 1, again).returncode == 0
    a, b = files[1].read_bytes(), again.read_bytes()
    assert len(a) == len(b)
    differing = sum(x != y for x, y in zip(a, b))
    assert differing <= 2 * len("2026-11-29T10:58:59Z")  # created_utc, completed_utc


# ---- xarray, ncdump, h5dump ---------------------------------------------------------

@pytest.mark.parametrize("engine", ["netcdf4", "h5netcdf"])
def test_xarray(results, engine):
    ranks, path = results
    check_xarray(path, N, L_MAX, engine)
    with xr.open_dataset(path, engine=engine) as ds:
        assert list(ds["status"].values).count(0) == 1 and ds["status"].values[PENDING] == 0
        assert ds["rank"].values[PENDING] == -1
        assert np.isnan(ds["q"].values[0, 3:]).all() and ds["q"].values[0, 0] == 0.1
        assert ds["q"].sel(config=2, layer=3).item() == synthetic(2, 3, 0)
        assert ds.attrs["mpi_ranks"] == ranks and ds.attrs["base_seed"] == 12345678901234567890


def test_ncdump_header(results):
    _, path = results
    text = check_ncdump(path, N, L_MAX)
    assert ":base_seed = 12345678901234567890ULL ;" in text


def test_h5dump_header(results):
    _, path = results
    check_h5dump(path)


def test_theory_variables(results):
    """The mean-field predictions: per layer and per configuration, written for
    every configuration that was computed or failed (the theory needs no
    workspace), NaN for pending rows and beyond each depth."""
    _, path = results
    with h5py.File(path, "r") as f:
        for name, ndim in THEORY.items():
            assert f[name].ndim == ndim, name
        v = {name: f[name][:] for name in [*PER_LAYER_THEORY, *THEORY_PER_CONFIG]}
    for i in range(N):
        depth = expected_config(i)["depth"]
        for k, name in enumerate(PER_LAYER_THEORY):
            row = v[name][i]
            assert np.all(np.isnan(row[depth:])), (i, name)
            if i == PENDING:
                assert np.all(np.isnan(row)), (i, name)
            else:  # FAILED too
                assert list(row[:depth]) == [synthetic(i, l, 100 + k)
                                             for l in range(1, depth + 1)], (i, name)
        for k, name in enumerate(THEORY_PER_CONFIG):
            if i == PENDING:
                assert np.isnan(v[name][i]), (i, name)
            else:
                assert v[name][i] == i / 8 + 1 + k, (i, name)


# ---- refusing to overwrite ------------------------------------------------------------

def test_existing_file_needs_force(harness, files, tmp_path):
    path = tmp_path / "kept.h5"
    shutil.copy(files[3], path)
    before = digest(path)
    out = run_harness(harness, 3, path, "--no-force")
    assert out.returncode == EXIT_OUTPUT, out.stderr
    assert (f'output file "{path}" exists; pass --force to replace it or choose another -o'
            in out.stderr)
    assert digest(path) == before


def test_force_never_replaces_a_file_that_is_not_hdf5(harness, tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text("depth: [3, 5]\nwidth: 4\n")
    out = run_harness(harness, 3, path)
    assert out.returncode == EXIT_OUTPUT, out.stderr
    assert "is not an HDF5 file; refusing to replace it" in out.stderr
    assert path.read_text() == "depth: [3, 5]\nwidth: 4\n"


def test_force_replaces_an_hdf5_file(harness, files, tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f["old"] = [1, 2, 3]
    assert run_harness(harness, 3, path).returncode == 0
    with h5py.File(path, "r") as f:
        assert "old" not in f and f.attrs["schema"] == "gradsweep/1"


def test_missing_directory(harness, tmp_path):
    path = tmp_path / "no" / "such" / "x.h5"
    out = run_harness(harness, 3, path)
    assert out.returncode == EXIT_OUTPUT, out.stderr
    assert f'directory "{path.parent}": No such file or directory' in out.stderr
    assert not path.parent.exists()


# ---- robustness -----------------------------------------------------------------------

def test_sweep_file_longer_than_64_kib(harness, tmp_path):
    path = tmp_path / "big.h5"
    out = run_harness(harness, 3, path, "--big-attribute")
    assert out.returncode == 0, out.stderr
    with h5py.File(path, "r") as f:
        assert len(f.attrs["sweep_file"]) == 200000
    for engine in ("netcdf4", "h5netcdf"):
        with xr.open_dataset(path, engine=engine) as ds:
            assert len(ds.attrs["sweep_file"]) == 200000
    assert subprocess.run(["ncdump", "-h", str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("ranks", [1, 3])
def test_killed_sweep_leaves_a_readable_file(harness, tmp_path, ranks):
    """Every rank SIGKILLs itself after writing half of its configurations."""
    path = tmp_path / "killed.h5"
    out = run_harness(harness, ranks, path, "--kill-half")
    assert out.returncode != 0
    with h5py.File(path, "r") as f:
        assert f.attrs["schema"] == "gradsweep/1" and "completed_utc" not in f.attrs
        status, rank, depth = f["status"][:], f["rank"][:], f["depth"][:]
        layers = {name: f[name][:] for name in PER_LAYER}
        scalars = {n: f[n][:] for n in ("log10_delta_ratio", "log10_grad_ratio", "elapsed_s")}
    done = np.flatnonzero(status == 1)
    pending = np.flatnonzero(status == 0)
    assert len(done) >= 3 and len(pending) >= 3
    for i in done:  # a row that says done is complete
        for name, values in layers.items():
            assert np.isfinite(values[i, :depth[i]]).all(), (i, name)
        assert all(np.isfinite(v[i]) for v in scalars.values()) and rank[i] >= 0
    for i in pending:
        assert all(np.isnan(values[i]).all() for values in layers.values()) and rank[i] == -1
    for engine in ("netcdf4", "h5netcdf"):
        with xr.open_dataset(path, engine=engine) as ds:
            assert ds["status"].dtype == np.int32
