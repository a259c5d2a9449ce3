# SPDX-License-Identifier: MIT
"""Correlated inputs and measured depth scales (issue 15) with the real
binary, real mpirun and real files:

- the inputs have the pairwise correlation asked for (c[0] = rho within its
  sampling error) and second moment 1;
- the measured xi_c agrees with the mean-field xi_c within its standard error
  at width 1024, in the ordered and the chaotic phase of tanh with sigma_b > 0;
- a sweep without the axis writes exactly the file it wrote before, and
  input_correlation: [0] the same numbers plus the new variables;
- where a fit is meaningless the value is NaN with the reason that says why;
- --resume and gradsweep export carry the new variables.
Statistical checks use fixed seeds and tolerances from the sampling errors,
derived in each test."""
import math
import shutil

import h5py
import numpy as np
import pytest

from conftest import run_gradsweep
from schema_contract import DEPTH_SCALE_VARIABLES, check_depth_scale_variables

EXCLUDED = {"rank", "elapsed_s"}  # who computed a row, and how long it took
REASONS = ("no_data fitted no_fixed_point repelling marginal too_shallow long_transient "
           "short_transient no_decay").split()


def sweep(folder, name, args, ranks=2):
    out = run_gradsweep([*map(str, args), "--progress", "0", "-o", name], ranks=ranks, cwd=folder)
    assert out.returncode == 0, out
    return folder / name


def read(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in f}, dict(f.attrs)


def reason_names(data, which):
    return [REASONS[code] for code in data[f"xi_{which}_measured_reason"]]


# ---- the inputs ------------------------------------------------------------------------------

# x_s = sqrt(rho) g + sqrt(1 - rho) e_s with |g|^2 = n exactly (draw.h): the mean
# cosine over the B(B-1)/2 pairs then deviates from rho only through the
# per-sample terms, Var ≈ (1-rho)^2/n [4 rho (1-rho)/B + 2/(B(B-1)) + 2 rho^2/B]
# (delta method, as depth_scale_c_noise without its term shared by every pair),
# and q[0] = mean x^2 by Var = [4 rho (1-rho) + 2 (1-rho)^2]/(n B). Tolerance:
# 4 standard deviations (the cosine's own bias, ~rho(1-rho^2)/(2n) < 1e-4, is far
# below).
def c0_sd(rho, n, b):
    return math.sqrt((1 - rho) ** 2 / n * (4 * rho * (1 - rho) / b + 2 / (b * (b - 1))
                                           + 2 * rho ** 2 / b))


def q0_sd(rho, n, b):
    return math.sqrt((4 * rho * (1 - rho) + 2 * (1 - rho) ** 2) / (n * b))


def mean_cosine(x):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    gram = u @ u.T
    b = len(u)
    return (gram.sum() - np.trace(gram)) / (b * (b - 1))


@pytest.mark.parametrize("rho", [0.3, 0.9])
def test_inputs_have_the_correlation_asked_for(tmp_path, rho):
    n, b = 1024, 64
    args = ["export", "--depth", "2", "--width", n, "--batch", b, "--sigma-w", "1",
            "--activation", "tanh", "--input-correlation", f"0,{rho}", "--precision", "float64",
            "--config", 1, "-o", "x.h5"]
    out = run_gradsweep(args, cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "x.h5", "r") as f:
        x = f["x"][:]
        assert f.attrs["input_correlation"] == rho
    assert x.shape == (b, n)
    c0, q0 = mean_cosine(x), float(np.mean(x ** 2))
    assert abs(c0 - rho) <= 4 * c0_sd(rho, n, b), (c0, rho, c0_sd(rho, n, b))
    assert abs(q0 - 1) <= 4 * q0_sd(rho, n, b), (q0, q0_sd(rho, n, b))
    # Every pair, not just the mean: each cosine is within 5 sd of one pair's
    # sampling error (1 - rho^2)/sqrt(n) of rho (2016 pairs: a Gaussian passes 5 sd
    # with probability 0.999).
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    pairs = (u @ u.T)[np.triu_indices(b, 1)]
    assert np.abs(pairs - rho).max() <= 5 * (1 - rho ** 2) / math.sqrt(n)


def test_zero_correlation_draws_the_independent_inputs(tmp_path):
    """input_correlation 0 and no axis at all give the same x, bit for bit."""
    base = ["export", "--depth", "2", "--width", 256, "--batch", 16, "--sigma-w", "1",
            "--activation", "relu", "--config", 0]
    assert run_gradsweep([*base, "-o", "plain.h5"], cwd=tmp_path).returncode == 0
    assert run_gradsweep([*base, "--input-correlation", "0", "-o", "zero.h5"],
                         cwd=tmp_path).returncode == 0
    with h5py.File(tmp_path / "plain.h5", "r") as a, h5py.File(tmp_path / "zero.h5", "r") as b:
        assert a["x"][:].tobytes() == b["x"][:].tobytes()
        assert "input_correlation" not in a.attrs and b.attrs["input_correlation"] == 0


# ---- files without the axis --------------------------------------------------------------

SMALL = ["--depth", "4,9", "--width", "96", "--sigma-w", "0.9,1.3", "--activation", "tanh,relu",
         "--sigma-b", "0.2", "--seed", "0:1:2", "--batch", "24"]


def test_files_without_the_axis_are_unchanged(tmp_path):
    """The numbers of a sweep do not depend on whether it has the axis at
    rho = 0: every variable of the file without it is in the file with it,
    bit for bit; the file without it has none of the new variables and the
    canonical order of before (the file of a sweep without the axis is
    byte-for-byte what main wrote before issue 15: checked with h5diff at
    merge time, docs/theory.md)."""
    plain = sweep(tmp_path, "plain.h5", SMALL)
    zero = sweep(tmp_path, "zero.h5", [*SMALL, "--input-correlation", "0"])
    a, attrs_a = read(plain)
    b, attrs_b = read(zero)
    assert set(b) - set(a) == set(DEPTH_SCALE_VARIABLES)
    for name in set(a) - EXCLUDED:
        assert a[name].dtype == b[name].dtype and a[name].tobytes() == b[name].tobytes(), name
    assert attrs_b["sweep_spec"] == attrs_a["sweep_spec"] + "  input_correlation: [0.0]\n"
    check_depth_scale_variables(plain, len(a["status"]), present=False)
    check_depth_scale_variables(zero, len(b["status"]), present=True)
    assert (b["input_correlation"] == 0).all()


# ---- the measured xi_c against the theory ----------------------------------------------------

@pytest.fixture(scope="module")
def depth_scales(tmp_path_factory):
    """tanh, sigma_b = 0.3, width 1024: sigma_w = 1.0 is ordered (xi_c = 2.81,
    c* = 1), 2.0 chaotic (xi_c = 6.65, c* = 0.264); inputs start uncorrelated.
    4 seeds each, depth 40: ~4 s on 2 ranks."""
    folder = tmp_path_factory.mktemp("depth_scales")
    path = sweep(folder, "xi.h5", ["--depth", 40, "--width", 1024, "--batch", 128,
                                   "--sigma-w", "1.0,2.0", "--sigma-b", "0.3",
                                   "--activation", "tanh", "--seed", "0:3:4",
                                   "--input-correlation", "0"])
    return path


@pytest.mark.parametrize("sigma_w", [1.0, 2.0])
def test_measured_xi_c_matches_the_theory(depth_scales, sigma_w):
    """Each seed's xi_c_measured lies within 3 of its standard errors of
    xi_c_theory, and so does their combination: the inverse-variance mean of
    the fitted decay factors chi = exp(-1/xi) (chi, not xi, is what the fit
    estimates with a symmetric error) within 3 combined standard errors. The
    standard error is calibrated: over 20-30 seeds of these configurations the
    z-scores have an RMS of 0.5-0.95 (docs/theory.md); 3 of them is a 0.3 %
    false-alarm rate for a Gaussian."""
    d = read(depth_scales)[0]
    rows = np.flatnonzero(np.isclose(d["sigma_w"], sigma_w))
    assert len(rows) == 4
    theory = d["xi_c_theory"][rows[0]]
    assert theory == pytest.approx({1.0: 2.8066, 2.0: 6.6483}[sigma_w], rel=1e-4)
    assert reason_names(d, "c")[rows[0]] == "fitted"
    chis, weights = [], []
    for i in rows:
        xi, se = d["xi_c_measured"][i], d["xi_c_measured_stderr"][i]
        assert REASONS[d["xi_c_measured_reason"][i]] == "fitted", i
        assert np.isfinite(xi) and 0 < se < 0.3 * xi, (xi, se)
        assert abs(xi - theory) <= 3 * se, (i, xi, se, theory)
        first, last = d["xi_c_fit_first_layer"][i], d["xi_c_fit_last_layer"][i]
        assert 2 <= first and first + 2 <= last <= 40, (first, last)
        chi = math.exp(-1 / xi)
        chis.append(chi)
        weights.append((chi * math.log(chi) ** 2 / se) ** 2)  # 1 / se(chi)^2
    combined = np.dot(chis, weights) / np.sum(weights)
    assert abs(combined - math.exp(-1 / theory)) <= 3 / math.sqrt(np.sum(weights))
    # c_theory starts from c[0] = 0: c[1] = sigma_b^2 / q[1]; it ends at c*
    q1 = sigma_w ** 2 + 0.09
    assert d["c_theory"][rows[0], 0] == pytest.approx(0.09 / q1, rel=1e-12)
    assert d["c_star_theory"][rows[0]] == pytest.approx(d["c_theory"][rows[0], 39], abs=1e-3)


# ---- where a fit is meaningless --------------------------------------------------------------

# (sweep options, expected reason of xi_c, of xi_q), each determined by the
# configuration alone: the theory's fixed point or stability, the depth, the
# transient, or a network that overflowed.
CASES = {
    "relu at He's scale without bias: chi = 1 for q and c (marginal)": (
        ["--activation", "relu", "--sigma-w", "1.4142135623730951", "--depth", 12], "marginal",
        "marginal"),
    "relu above He's scale: q* = inf (no fixed point)": (
        ["--activation", "relu", "--sigma-w", "1.5", "--sigma-b", "0.1", "--depth", 12],
        "no_fixed_point", "no_fixed_point"),
    "tanh without bias in the ordered phase: q* = 0, no correlation fixed point": (
        ["--activation", "tanh", "--sigma-w", "0.8", "--depth", 12], "no_fixed_point", None),
    "three layers: two steps": (
        ["--activation", "tanh", "--sigma-w", "1.0", "--sigma-b", "0.3", "--depth", 3],
        "too_shallow", "too_shallow"),
    "tanh near the edge, 15 layers: the mean-field c settles only at layer ~20": (
        ["--activation", "tanh", "--sigma-w", "1.2", "--sigma-b", "0.3", "--depth", 15],
        "long_transient", None),
    "tanh with sigma_b = 0.3, chaotic: q settles within 4 layers (xi_q = 0.85)": (
        ["--activation", "tanh", "--sigma-w", "2.0", "--sigma-b", "0.3", "--depth", 20], None,
        "short_transient"),
    "a linear net whose float32 signal overflows: no data": (
        ["--activation", "linear", "--sigma-w", "40", "--depth", 40], "no_data", "no_data"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_meaningless_fits_are_nan_with_their_reason(tmp_path, case):
    args, c_reason, q_reason = CASES[case]
    path = sweep(tmp_path, "r.h5", [*args, "--width", 256, "--batch", 32,
                                    "--input-correlation", "0.5"], ranks=None)
    d = read(path)[0]
    for which, expected in (("c", c_reason), ("q", q_reason)):
        got = reason_names(d, which)[0]
        if expected is None:
            continue
        assert got == expected, (which, got)
        assert np.isnan(d[f"xi_{which}_measured"][0])
        assert np.isnan(d[f"xi_{which}_measured_stderr"][0])
        assert d[f"xi_{which}_fit_first_layer"][0] == 0 == d[f"xi_{which}_fit_last_layer"][0]


# ---- resume and export --------------------------------------------------------------------

RESUMABLE = ["--depth", 24, "--width", 256, "--batch", 64, "--sigma-w", "1.0,2.0",
             "--sigma-b", "0.3", "--activation", "tanh", "--seed", "0:1:2",
             "--input-correlation", "0,0.6"]


def test_resume_and_export_carry_the_new_variables(tmp_path):
    """Rows reset to pending (status and every measured value at its fill, as a
    killed run leaves them) are recomputed by --resume into exactly the
    uninterrupted run's numbers, the new variables included; and gradsweep
    export writes for a configuration the very values the sweep stored."""
    full = sweep(tmp_path, "full.h5", RESUMABLE)
    part = tmp_path / "part.h5"
    shutil.copy(full, part)
    reset = [1, 4, 6]
    with h5py.File(part, "r+") as f:
        for name in DEPTH_SCALE_VARIABLES:
            if name in ("input_correlation", "c_star_theory"):
                continue
            for i in reset:
                f[name][i] = f[name].fillvalue
        for i in reset:
            for name in ("q", "c", "delta_sq"):
                f[name][i] = np.nan
            f["status"][i] = 0
    out = run_gradsweep([*map(str, RESUMABLE), "--progress", "0", "-o", part, "--resume"],
                        ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    a, b = read(full)[0], read(part)[0]
    assert set(a) == set(b)
    for name in set(a) - EXCLUDED:
        assert a[name].tobytes() == b[name].tobytes(), name

    for i in (0, 7):
        out = run_gradsweep(["export", *map(str, RESUMABLE), "--config", i, "-o", f"e{i}.h5"],
                            cwd=tmp_path)
        assert out.returncode == 0, out
        with h5py.File(tmp_path / f"e{i}.h5", "r") as f:
            for name in DEPTH_SCALE_VARIABLES:
                mine, theirs = f.attrs[name], a[name][i]
                assert mine == theirs or (np.isnan(mine) and np.isnan(theirs)), name
            assert f["c_theory"][:].tobytes() == a["c_theory"][i, :24].tobytes()


# ---- the figures -------------------------------------------------------------------------

def test_figures_draw_the_files_numbers(depth_scales, tmp_path):
    """analysis/: correlation_map and depth_scales figures exist for a file
    with the axis, and what they draw is the file's numbers: theory lines are
    c_theory and xi_c_theory, the measured markers xi_c_measured combined over
    the seeds (inverse-variance in chi), and the phase diagram's measured
    6 xi_c the same numbers times 6."""
    import subprocess
    import sys
    from conftest import SOURCE_DIR
    sys.path.insert(0, str(SOURCE_DIR / "analysis"))
    import matplotlib
    matplotlib.use("Agg")
    import gradsweep_plots as gp

    out = subprocess.run(["/usr/bin/python3", str(SOURCE_DIR / "analysis" / "plot.py"),
                          str(depth_scales), "-o", str(tmp_path), "--formats", "png"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    for stem in ("correlation_map_tanh", "depth_scales_tanh", "phase_diagram_tanh"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 20_000, stem

    d = read(depth_scales)[0]
    ds = gp.load(depth_scales)
    combined = {}
    for s in (1.0, 2.0):
        rows = np.isclose(d["sigma_w"], s)
        combined[s] = gp.combine_depth_scales(d["xi_c_measured"][rows],
                                              d["xi_c_measured_stderr"][rows])
        assert np.isfinite(combined[s][0])

    fig = gp.depth_scales(ds)
    ax = fig.axes[0]
    theory = [line for line in ax.lines if line.get_gid() == "theory-line"][0]
    assert np.allclose(theory.get_xdata(), [1.0, 2.0])
    assert np.allclose(theory.get_ydata(), [d["xi_c_theory"][np.isclose(d["sigma_w"], s)][0]
                                            for s in (1.0, 2.0)])
    # errorbar's own line (its caps share the gid, with the marker "_")
    measured = [line for line in ax.lines if line.get_gid() == "measured"
                and line.get_marker() == "o"]
    assert len(measured) == 1
    assert np.allclose(measured[0].get_ydata(), [combined[1.0][0], combined[2.0][0]])

    fig = gp.correlation_map(ds)
    top = fig.axes[0]
    rows = np.flatnonzero(np.isclose(d["sigma_w"], 1.0))
    lines = [line for line in top.lines if line.get_gid() == "theory-line"]
    assert np.array_equal(lines[0].get_ydata(), d["c_theory"][rows[0]])
    marks = [line for line in top.lines if line.get_gid() == "measured"]
    assert np.allclose(marks[0].get_ydata(), d["c"][rows].mean(axis=0))
    assert any(line.get_gid() == "measured-fit" for line in fig.axes[3].lines)

    fig = gp.phase_diagram(ds)
    drawn = [line for line in fig.axes[0].lines if line.get_gid() == "measured-trainable-depth"
             and line.get_marker() == "s"]
    assert len(drawn) == 1
    assert np.allclose(drawn[0].get_ydata(), [6 * combined[s][0] for s in (1.0, 2.0)])


# ---- the example job ---------------------------------------------------------------------

def test_the_depth_scales_job(tmp_path):
    """jobs/depth-scales.yaml (Schoenholz et al. 2017, Figures 2-3) is the
    sweep its comment describes: 468 tanh networks with sigma_b > 0 and two
    input correlations, whose sigma_w grid straddles the edge of chaos of
    each sigma_b. Run here at width 64, depth 15 and one seed (52 networks,
    seconds): every row has the measured depth scales, c[0] is each rho."""
    from conftest import SOURCE_DIR
    job = SOURCE_DIR / "jobs" / "depth-scales.yaml"
    out = run_gradsweep([job, "--dry-run"], cwd=tmp_path)
    assert out.returncode == 0, out
    assert "configurations: 468 = " in out.stdout and "input_correlation 2" in out.stdout
    path = sweep(tmp_path, "small.h5", [job, "--width", 64, "--depth", 15, "--seed", 0])
    d = read(path)[0]
    assert len(d["status"]) == 2 * 13 * 2
    assert sorted(set(d["input_correlation"])) == [0.0, 0.9]
    assert set(DEPTH_SCALE_VARIABLES) <= set(d)
    assert (d["status"] == 1).all()  # done
    for sigma_b in set(d["sigma_b"]):
        rows = d["sigma_b"] == sigma_b
        critical = d["sigma_w_critical_theory"][rows][0]
        assert d["sigma_w"][rows].min() < 0.8 * critical and d["sigma_w"][rows].max() > 1.5 * critical
        assert (d["chi1_theory"][rows] < 1).sum() >= 3 and (d["chi1_theory"][rows] > 1).sum() >= 3
    for rho in (0.0, 0.9):  # c_theory starts from c[0] = rho
        i = np.flatnonzero(d["input_correlation"] == rho)[0]
        s2, b2 = d["sigma_w"][i] ** 2, d["sigma_b"][i] ** 2
        assert d["c_theory"][i, 0] == pytest.approx((s2 * rho + b2) / (s2 + b2), rel=1e-12)
