# SPDX-License-Identifier: MIT
"""docs/analysis.md cannot rot: every fenced block tagged `tested:<name>`
(```python tested:h5py, ```sh tested:ncdump, ```r tested:r, ...) is run as
written — Python blocks with Debian's /usr/bin/python3, shell blocks with
bash, R blocks with Rscript (r-cran-hdf5r) — in a folder holding a real
results.h5 from the real binary under mpirun. Each must succeed without
warnings and print what the file holds: the test recomputes those numbers
with h5py and compares."""
import os
import re
import subprocess

import h5py
import numpy as np
import pytest

from conftest import SOURCE_DIR, run_gradsweep

DOC = SOURCE_DIR / "docs" / "analysis.md"
SWEEP = """\
name: readers
base_seed: 5
precision: float32
grid:
  activation: [linear, relu, tanh]
  depth: [4, 16]
  width: [16, 32]
  sigma_w: [0.5, 1.0, he, 2.0]
  seed: {range: 2}
  batch: [16]
"""
BLOCK = re.compile(r"^```(\w+) tested:([\w-]+)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
RUNNERS = {"python": ["/usr/bin/python3", "-c"], "sh": ["bash", "-e", "-c"]}
EXPECTED_BLOCKS = {"library", "h5py", "xarray", "cube", "pandas", "ncdump", "h5dump", "r"}


def blocks():
    return {name: (lang, code) for lang, name, code in BLOCK.findall(DOC.read_text())}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readers")
    (folder / "sweep.yaml").write_text(SWEEP)
    out = run_gradsweep(["sweep.yaml", "-o", "results.h5"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    return folder


@pytest.fixture(scope="module")
def data(folder):
    with h5py.File(folder / "results.h5", "r") as f:
        v = {name: f[name][:] for name in ("depth", "width", "sigma_w", "seed", "status",
                                            "log10_delta_ratio", "q")}
        v["activation"] = np.array(f["activation"].attrs["flag_meanings"].split())[f["activation"][:]]
    return v


def run_block(name, folder):
    lang, code = blocks()[name]
    env = dict(os.environ, PYTHONPATH=str(SOURCE_DIR / "analysis"), MPLBACKEND="Agg")
    if lang == "r":
        (folder / f"{name}.R").write_text(code)
        cmd = ["Rscript", f"{name}.R"]
    else:
        cmd = [*RUNNERS[lang], code]
    try:
        out = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=120, env=env)
    except FileNotFoundError as err:
        pytest.fail(f"{err.filename} is missing: scripts/deps.sh test installs it (r-cran-hdf5r)")
    assert out.returncode == 0, f"{name}:\n{out.stdout}\n{out.stderr}"
    assert "Warning" not in out.stderr and "Error" not in out.stderr, f"{name}:\n{out.stderr}"
    return out.stdout


def test_every_reader_has_a_tested_block():
    found = blocks()
    assert set(found) == EXPECTED_BLOCKS
    assert {found[n][0] for n in found} == {"python", "sh", "r"}
    text = DOC.read_text()
    assert "```matlab" in text and "```julia" in text  # documented, not installable here


def test_library(folder, data):
    out = run_block("library", folder)
    assert "{'activation': 3, 'depth': 2, 'width': 2, 'sigma_w': 4, 'seed': 2}" in out
    assert (folder / "relu.png").stat().st_size > 10_000
    assert "healthy_low" in out and "best_sigma_w" in out


def test_h5py(folder, data):
    out = run_block("h5py", folder)
    assert out.splitlines()[0] == "gradsweep/1 readers float32"
    i = np.flatnonzero((data["activation"] == "relu") & (data["status"] == 1))[0]
    assert f"config {i}: relu, depth {data['depth'][i]}, sigma_w {data['sigma_w'][i]:.4g}" in out
    assert "dimensions of q: ['config', 'layer']" in out


def test_xarray(folder, data):
    out = run_block("xarray", folder)
    n, l_max = data["q"].shape
    assert f"{{'config': {n}, 'layer': {l_max}}}" in out
    first = data["q"][data["activation"] == "relu"][:4, 0]
    printed = [float(x) for x in re.search(r"\[([^\]]*)\]", out).group(1).split()]
    np.testing.assert_allclose(printed, first, rtol=1e-6)


def test_cube(folder, data):
    out = run_block("cube", folder)
    assert "{'activation': 3, 'depth': 2, 'width': 2, 'sigma_w': 4, 'seed': 2}" in out
    # the printed depth x sigma_w table: relu, widest, mean over seeds, rounded to 0.1
    rows = {int(line.split()[0]): [float(x) for x in line.split()[1:]]
            for line in out.splitlines() if re.match(r"^\d+\s+-?[\d.]", line)}
    for depth, printed in rows.items():
        want = [np.mean(data["log10_delta_ratio"][(data["activation"] == "relu")
                                                   & (data["width"] == 32) & (data["depth"] == depth)
                                                   & (data["sigma_w"] == s)])
                for s in sorted(set(data["sigma_w"]))]
        np.testing.assert_allclose(printed, want, atol=0.051)
    assert sorted(rows) == [4, 16]


def test_pandas(folder, data):
    out = run_block("pandas", folder)
    for activation in ("linear", "relu", "tanh"):
        assert activation in out
    assert re.search(r"^config\s+layer\s*$", out, re.M) and "delta_sq" in out
    # describe()'s rows: [activation] depth count mean std min 25% 50% 75% max
    counts = [int(float(line.split()[-8])) for line in out.splitlines()
              if len(line.split()) in (9, 10) and re.match(r"^(linear|relu|tanh)?\s+(4|16)\s", line)]
    assert len(counts) == 6
    assert sum(counts) == int(((data["status"] == 1) & np.isfinite(data["log10_delta_ratio"])).sum())


def test_ncdump(folder, data):
    out = run_block("ncdump", folder)
    n, l_max = data["q"].shape
    assert f"config = {n} ;" in out and f"layer = {l_max} ;" in out
    assert "double q(config, layer) ;" in out and "sigma_w =" not in out.split("data:")[0]
    assert out.rstrip().endswith("}") and f"{data['sigma_w'][-1]:g} ;" in out


def test_h5dump(folder, data):
    out = run_block("h5dump", folder)
    assert 'DATASET "q"' in out and "linear relu leaky_relu tanh" in out
    q = data["q"]
    assert f"(0,0): {q[0, 0]:g}, {q[0, 1]:g}," in out and "COUNT ( 3, 5 )" in out


def test_r(folder, data):
    out = run_block("r", folder)
    n, l_max = data["q"].shape
    assert f"gradsweep/1 : {n} configurations, {l_max} layers" in out
    means = {}
    for line in out.splitlines():
        m = re.match(r"^\d+\s+(\w+)\s+(\d+)\s+(\S+)$", line)
        if m:
            means[m.group(1), int(m.group(2))] = float(m.group(3))
    assert len(means) == 6
    ok = (data["status"] == 1) & np.isfinite(data["log10_delta_ratio"])
    for (activation, depth), value in means.items():
        rows = ok & (data["activation"] == activation) & (data["depth"] == depth)
        assert value == pytest.approx(data["log10_delta_ratio"][rows].mean(), rel=1e-6, abs=1e-7)
