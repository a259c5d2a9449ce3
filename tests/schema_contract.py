# SPDX-License-Identifier: MIT
"""The results-file contract (schema gradsweep/1, docs/schema.md), as checks
that any results file must pass, read the ways users read it: h5py, xarray
(netcdf4 and h5netcdf engines), ncdump -h and h5dump -H.

Used on the store harness's synthetic files (test_store_schema.py) and on
files written by real sweeps (test_results_file.py)."""
import math
import re
import subprocess

import h5py
import numpy as np
import xarray as xr

PER_CONFIG = {  # name: dtype
    "depth": "int32", "width": "int32", "activation": "int32", "sigma_w": "float64",
    "sigma_b": "float64", "init": "int32", "seed": "int64", "batch": "int32",
    "status": "int32", "first_nonfinite_layer": "int32",
    "first_nonfinite_forward_layer": "int32", "first_nonfinite_backward_layer": "int32",
    "first_underflow_layer": "int32",
    "log10_delta_ratio": "float64", "log10_grad_ratio": "float64", "log10_q_ratio": "float64",
    "elapsed_s": "float64", "rank": "int32",
    # mean-field theory (issue 3; docs/theory.md)
    "chi1_theory": "float64", "q_star_theory": "float64", "xi_q_theory": "float64",
    "xi_c_theory": "float64", "sigma_w_critical_theory": "float64",
}
# gs_layer_stats fields, in struct order
PER_LAYER = ["q", "preact_mean", "c", "act_ch_sq_mean", "act_ch_var", "saturated_frac",
             "dead_frac", "delta_sq", "grad_w_norm", "grad_b_norm"]
# mean-field predictions per layer (gs_layer_theory fields, in struct order)
PER_LAYER_THEORY = ["q_theory", "delta_sq_theory", "c_theory"]
THEORY_PER_CONFIG = ["chi1_theory", "q_star_theory", "xi_q_theory", "xi_c_theory",
                     "sigma_w_critical_theory"]
# name: dimensions; SCHEMA.md names q_theory, delta_sq_theory and chi1_theory
THEORY = {**{name: 2 for name in PER_LAYER_THEORY}, **{name: 1 for name in THEORY_PER_CONFIG}}

FLAGS = {
    "activation": "linear relu leaky_relu tanh sigmoid selu gelu silu elu softplus erf",
    "init": "gaussian uniform orthogonal truncated_normal torch_trunc_normal",
    "status": "pending done nonfinite failed underflow",
}
INT_FILL = {"status": 0, "first_nonfinite_layer": 0, "first_nonfinite_forward_layer": 0,
            "first_nonfinite_backward_layer": 0, "first_underflow_layer": 0, "rank": -1}
NAN_FILL = {"log10_delta_ratio", "log10_grad_ratio", "log10_q_ratio", "elapsed_s", *PER_LAYER,
            *PER_LAYER_THEORY, *THEORY_PER_CONFIG}
COORDINATES = {"depth", "width", "activation", "sigma_w", "sigma_b", "init", "seed", "batch"}
UNITS = {"elapsed_s": "s", "sigma_w": "1", "sigma_b": "1", "log10_delta_ratio": "1",
         "log10_grad_ratio": "1", "log10_q_ratio": "1", **{name: "1" for name in PER_LAYER},
         **{name: "1" for name in [*PER_LAYER_THEORY, *THEORY_PER_CONFIG]}}
DESCRIBED = {"c", "log10_delta_ratio", "log10_grad_ratio", "log10_q_ratio", "status", "init",
             *PER_LAYER_THEORY, *THEORY_PER_CONFIG}

ROOT_ATTRIBUTES = {  # name: numpy type, or str
    "schema": str, "gradsweep_version": str, "created_utc": str, "command_line": str,
    "sweep_spec": str, "loss": str, "loss_definition": str, "precision": str,
    "base_seed": np.uint64, "mpi_ranks": np.int32, "blas": str, "blas_threads": np.int32,
    "sweep_name": str, "leaky_relu_slope": np.float64, "canonical_order": str,
    "Conventions": str,
}
CLOSE_ATTRIBUTES = {
    "completed_utc": str, "wall_time_s": np.float64, "configs_done": np.int64,
    "configs_nonfinite": np.int64, "configs_failed": np.int64, "configs_pending": np.int64,
    "configs_underflow": np.int64,
}
CANONICAL_ORDER = "activation init width depth batch sigma_b sigma_w seed"


def check_h5py_variables(path, n, l_max):
    with h5py.File(path, "r") as f:
        assert f["config"].dtype == np.int64 and list(f["config"][:]) == list(range(n))
        assert f["layer"].dtype == np.int32 and list(f["layer"][:]) == list(range(1, l_max + 1))
        for name in ("config", "layer"):
            assert f[name].attrs["CLASS"] == b"DIMENSION_SCALE"
            assert isinstance(f[name].attrs["long_name"], str)
        per_layers = [*PER_LAYER, *PER_LAYER_THEORY]
        for name, dtype in {**PER_CONFIG, **{v: "float64" for v in per_layers}}.items():
            ds = f[name]
            per_layer = name in per_layers
            assert ds.dtype == np.dtype(dtype), name
            assert ds.shape == ((n, l_max) if per_layer else (n,)), name
            dims = ["config", "layer"] if per_layer else ["config"]
            assert [d.label for d in ds.dims] == dims, name
            assert [d[0].name for d in ds.dims] == ["/" + d for d in dims], name
            assert ds.chunks is None and ds.compression is None, name  # contiguous, unfiltered
            assert not ds.id.get_create_plist().get_obj_track_times(), name
            attrs = ds.attrs
            assert isinstance(attrs["long_name"], str) and attrs["long_name"], name
            if name in UNITS:
                assert attrs["units"] == UNITS[name], name
            else:
                assert "units" not in attrs, name
            if name in DESCRIBED:
                assert isinstance(attrs["description"], str), name
            if name in FLAGS:
                meanings = FLAGS[name]
                assert attrs["flag_meanings"] == meanings
                assert attrs["flag_values"].dtype == ds.dtype
                assert list(attrs["flag_values"]) == list(range(len(meanings.split())))
            else:
                assert "flag_values" not in attrs and "flag_meanings" not in attrs, name
            if name in NAN_FILL:
                assert math.isnan(ds.fillvalue), name
                assert attrs["_FillValue"].dtype == np.float64 and np.isnan(attrs["_FillValue"])
            else:
                assert "_FillValue" not in attrs, name  # integers: xarray would mask codes
            if name in INT_FILL:
                assert ds.fillvalue == INT_FILL[name], name


def check_root_attributes(path, ranks, closed=True):
    """The root attributes every file has; returns them as a dict."""
    with h5py.File(path, "r") as f:
        attrs = dict(f.attrs)
    wanted = {**ROOT_ATTRIBUTES, **(CLOSE_ATTRIBUTES if closed else {})}
    for name, kind in wanted.items():
        assert name in attrs, name
        value = attrs[name]
        if kind is str:
            assert isinstance(value, str), (name, type(value))  # vlen UTF-8, not bytes
        else:
            assert isinstance(value, kind), (name, type(value))
    assert attrs["schema"] == "gradsweep/1"
    stamps = ("created_utc", "completed_utc") if closed else ("created_utc",)
    for stamp in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attrs[stamp])
    assert attrs["mpi_ranks"] == ranks
    assert attrs["loss"] in ("probe", "mse")
    assert attrs["loss_definition"].startswith(attrs["loss"] + ": l = ")
    assert attrs["precision"] in ("float32", "float64")
    assert attrs["canonical_order"] == CANONICAL_ORDER
    assert attrs["Conventions"] == "CF-1.8"
    return attrs


def check_xarray(path, n, l_max, engine):
    with xr.open_dataset(path, engine=engine) as ds:
        assert dict(ds.sizes) == {"config": n, "layer": l_max}
        assert list(ds["config"].values) == list(range(n))
        assert list(ds["layer"].values) == list(range(1, l_max + 1))
        for name, dtype in PER_CONFIG.items():
            assert ds[name].dims == ("config",), name
            assert ds[name].dtype == np.dtype(dtype), name  # integers stay integers
        for name in [*PER_LAYER, *PER_LAYER_THEORY]:
            assert ds[name].dims == ("config", "layer") and ds[name].dtype == np.float64
            assert ds[name].attrs["units"] == "1" and "long_name" in ds[name].attrs
        for name, meanings in FLAGS.items():
            assert ds[name].attrs["flag_meanings"] == meanings
        assert ds.attrs["schema"] == "gradsweep/1" and isinstance(ds.attrs["blas"], str)


def check_ncdump(path, n, l_max):
    out = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"config = {n} ;" in text and f"layer = {l_max} ;" in text
    cdl = {"int32": "int", "int64": "int64", "float64": "double"}
    assert "int64 config(config) ;" in text and "int layer(layer) ;" in text
    for name, dtype in PER_CONFIG.items():
        assert f"\t{cdl[dtype]} {name}(config) ;" in text, name
    for name in [*PER_LAYER, *PER_LAYER_THEORY]:
        assert f"\tdouble {name}(config, layer) ;" in text, name
        assert f"\t\t{name}:_FillValue = NaN ;" in text, name
    assert "status:_FillValue" not in text and "rank:_FillValue" not in text
    assert 'string :schema = "gradsweep/1" ;' in text
    assert "status:flag_values = 0, 1, 2, 3, 4 ;" in text
    assert 'string status:flag_meanings = "pending done nonfinite failed underflow" ;' in text
    return text


def check_h5dump(path):
    out = subprocess.run(["h5dump", "-H", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert 'DATASET "q"' in out.stdout and 'ATTRIBUTE "schema"' in out.stdout


def check_contract(path, n, l_max, ranks, closed=True):
    """Every structural check, with every reader."""
    check_h5py_variables(path, n, l_max)
    attrs = check_root_attributes(path, ranks, closed)
    for engine in ("netcdf4", "h5netcdf"):
        check_xarray(path, n, l_max, engine)
    check_ncdump(path, n, l_max)
    check_h5dump(path)
    return attrs
