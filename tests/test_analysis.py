# SPDX-License-Identifier: MIT
"""analysis/: the plotting tool on real sweeps (the real binary under real
mpirun): every figure is written as PNG and PDF and shows data, the numbers
drawn and tabulated are those in the file, the theory overlays appear exactly
when the file has theory, and degenerate sweeps (one depth, width, activation,
sigma_w or seed) still give figures with data in every panel.

The file carries the mean-field theory; the overlays are also checked on a
copy without it (older files), where they must not appear.

"Not blank" is measured against the figure itself: each figure is drawn again
with its data artists (lines, markers, meshes, patches) removed, which leaves
the frame, ticks, titles, labels and caption — the most a blank figure could
show. The data must change at least 1 % of the pixels of every panel of the
main sweep's figures (one curve of 30 markers covers ~2 % of a panel; a heat
map all of it) and at least 20 pixels (one marker) of every panel of the
degenerate sweeps, where a panel may hold a single point. For the main sweep
the PNG file's pixel variance must also exceed the blank version's by 5 %
(the sparsest figure, finite_width, adds ~18 %; a blank adds 0)."""
import math
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import SOURCE_DIR, run_gradsweep

ANALYSIS = SOURCE_DIR / "analysis"
sys.path.insert(0, str(ANALYSIS))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

import gradsweep_plots as gp  # noqa: E402

PYTHON = "/usr/bin/python3"
PLOT = ANALYSIS / "plot.py"
DPI = 150

# Small, fast (~0.3 s on 2 ranks), and with every mark the figures know:
# float32 linear nets with sigma_w = 8 overflow within 48 layers (nonfinite);
# with sigma_w = 0.1 the signal underflows to 0 (status underflow: ratios of
# -inf and 0/0).
SWEEP = """\
name: analysis
base_seed: 11
precision: float32
grid:
  activation: [linear, relu, tanh]
  depth: [3, 12, 48]
  width: [16, 48]
  sigma_w: [0.1, 0.5, 0.8, 1.0, 1.2, he, 2.0, 8.0]
  seed: {range: 3}
  batch: [16]
"""
ACTIVATIONS = ["linear", "relu", "tanh"]
FIGURES = ([f"phase_diagram_{a}" for a in ACTIVATIONS]
           + [f"signal_propagation_{a}" for a in ACTIVATIONS] + ["gradient_flow", "finite_width",
                                                                 "health_report"])
TABLES = ["healthy_band.md", "healthy_band.csv", "health_report.md"]
THEORY = list(gp.THEORY_PER_LAYER + gp.THEORY_PER_CONFIG)

DEGENERATE = {
    # one configuration: one depth, width, activation, sigma_w and seed
    "one-config": ["--depth", "6", "--width", "16", "--sigma-w", "he", "--activation", "relu",
                   "--batch", "8"],
    # one layer (the ratios are 0 by definition), three scales, two seeds
    "depth-1": ["--depth", "1", "--width", "16", "--sigma-w", "0.5,1,2", "--activation", "tanh",
                "--seed", "0,1", "--batch", "8"],
    # one sigma_w and one activation, several depths and widths
    "one-sigma": ["--depth", "2,8", "--width", "8,24", "--sigma-w", "1", "--activation", "linear",
                  "--seed", "0,1,2", "--batch", "8"],
}


def run_plot(results, outdir, *args):
    return subprocess.run([PYTHON, str(PLOT), str(results), "-o", str(outdir), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    (folder / "sweep.yaml").write_text(SWEEP)
    out = run_gradsweep(["sweep.yaml", "-o", "results.h5"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    return folder / "results.h5"


@pytest.fixture(scope="module")
def figures(results):
    outdir = results.parent / "figures"
    out = run_plot(results, outdir)
    assert out.returncode == 0, out.stderr
    assert out.stderr == "", out.stderr  # no warnings either
    return outdir, out.stdout


def read_file(path):
    """The per-configuration arrays, categories as names, straight from h5py."""
    with h5py.File(path, "r") as f:
        v = {name: f[name][:] for name in gp.AXES + ("status", "log10_delta_ratio",
                                                        "log10_grad_ratio")}
        for name in gp.CATEGORICAL:
            v[name] = np.array(f[name].attrs["flag_meanings"].split())[v[name]]
        v["q"], v["delta_sq"] = f["q"][:], f["delta_sq"][:]
    return v


# ---- not blank ---------------------------------------------------------------------------

def render(fig):
    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(float) / 255


def data_ink(fig):
    """(image, blank image, [pixels the data changed in each plot panel])."""
    full = render(fig)
    fig.set_layout_engine("none")  # the blank version keeps every position
    # plot panels: not colorbars, nor the health report's legend and table (axis off)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.axison]
    boxes = [ax.get_window_extent() for ax in panels]
    for ax in panels:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images]:
            artist.remove()
    blank = render(fig)
    changed = np.abs(full - blank).max(axis=2) > 4 / 255  # renders are exact: any visible change
    h = full.shape[0]
    counts = []
    for b in boxes:
        window = changed[h - int(b.y1) + 2:h - int(b.y0) - 2, int(b.x0) + 2:int(b.x1) - 2]
        counts.append((int(window.sum()), window.size))
    return full, blank, counts


def check_figures(results, outdir, min_fraction, min_pixels, variance=False):
    """Each PNG is the library's figure (the CLI draws what the API draws),
    and the data shows in every panel (and, if variance, raises the PNG's
    pixel variance above the blank version's)."""
    seen = []
    for stem, fig in gp.figures(gp.load(results)):
        seen.append(stem)
        png = mpimg.imread(outdir / f"{stem}.png")[..., :3]
        full, blank, counts = data_ink(fig)
        assert png.shape == full.shape, stem
        # one 8-bit level: the PNG is rounded once more than the re-render
        assert np.abs(png - full).max() <= 1.01 / 255, stem
        for i, (pixels, size) in enumerate(counts):
            assert pixels >= min_pixels and pixels >= min_fraction * size, (stem, i, pixels, size)
        # (the health report's page is mostly its table: its panels are judged by their ink)
        if variance and stem != "health_report":
            assert png.mean(axis=2).var() > 1.05 * blank.mean(axis=2).var(), stem
        pdf = (outdir / f"{stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 10_000
        assert b"/Type /Page\n" in pdf or b"/Type /Page " in pdf or b"/Type /Page>" in pdf, stem
    return seen


# ---- the main sweep ----------------------------------------------------------------------

def test_every_figure_written(figures):
    outdir, stdout = figures
    wanted = {f"{stem}.{ext}" for stem in FIGURES for ext in ("png", "pdf")} | set(TABLES)
    assert {p.name for p in outdir.iterdir()} == wanted
    for name in wanted:  # the CLI says where each file is
        assert str(outdir / name) in stdout, name
    assert "with mean-field theory" in stdout


def test_figures_show_data(results, figures):
    outdir, _ = figures
    stems = check_figures(results, outdir, min_fraction=0.01, min_pixels=20, variance=True)
    assert sorted(stems) == sorted(FIGURES)


def table_from_file(path):
    """The healthy band, recomputed from the file with h5py and numpy alone."""
    v = read_file(path)
    computed = np.isin(v["status"], ["done", "nonfinite", "underflow"])
    keys = ["activation", "init", "sigma_b", "batch", "width", "depth"]
    rows = {}
    for i in np.flatnonzero(computed):
        rows.setdefault(tuple(v[k][i] for k in keys), []).append(i)
    out = {}
    for key, idx in rows.items():
        idx = np.array(idx)
        sigmas = sorted(set(v["sigma_w"][idx]))
        means = [np.mean(v["log10_delta_ratio"][idx][v["sigma_w"][idx] == s]) for s in sigmas]
        healthy = [s for s, m in zip(sigmas, means) if abs(m) < 1]
        finite = [(abs(m), s, m) for s, m in zip(sigmas, means) if math.isfinite(m)]
        best = min(finite) if finite else (None, math.nan, math.nan)
        positions = [sigmas.index(s) for s in healthy]
        out[key] = dict(healthy=healthy, best_sigma_w=best[1], best_ratio=best[2],
                        tested=len(sigmas), seeds=min(np.sum(v["sigma_w"][idx] == s) for s in sigmas),
                        contiguous=bool(healthy) and positions == list(range(positions[0],
                                                                             positions[-1] + 1)))
    return out


def test_table_equals_file(results, figures):
    outdir, _ = figures
    expected = table_from_file(results)
    csv = pd.read_csv(outdir / "healthy_band.csv", float_precision="round_trip")
    assert len(csv) == len(expected) == len(ACTIVATIONS) * 2 * 3
    for r in csv.itertuples():
        e = expected[(r.activation, r.init, r.sigma_b, r.batch, r.width, r.depth)]
        assert r.healthy_count == len(e["healthy"]) and r.sigma_w_tested == e["tested"] == 8
        assert r.seeds == e["seeds"] == 3
        if e["healthy"]:
            assert (r.healthy_low, r.healthy_high) == (e["healthy"][0], e["healthy"][-1])
            assert r.healthy_contiguous == e["contiguous"]
        else:
            assert math.isnan(r.healthy_low) and math.isnan(r.healthy_high)
        assert r.best_sigma_w == e["best_sigma_w"]
        assert r.best_log10_delta_ratio == pytest.approx(e["best_ratio"], rel=1e-12, abs=1e-15)
    # The sweep's physics shows in the table: the band narrows with depth
    # onto sigma_w = 1 (linear) and sqrt 2 (relu)...
    deep = csv[(csv.depth == 48) & (csv.width == 48)].set_index("activation")
    assert deep.loc["linear", "best_sigma_w"] == 1.0
    assert deep.loc["relu", "best_sigma_w"] == pytest.approx(math.sqrt(2))
    shallow = csv[(csv.depth == 3) & (csv.width == 48)].set_index("activation")
    assert (shallow.healthy_count >= deep.healthy_count).all()
    # ... and the -inf / nonfinite cells at depth 48 are never healthy.
    assert not ((csv.depth == 48) & (csv.healthy_low == 0.1)).any()


def test_markdown_table_equals_csv(figures):
    outdir, _ = figures
    csv = pd.read_csv(outdir / "healthy_band.csv", float_precision="round_trip")
    md = (outdir / "healthy_band.md").read_text()
    assert "Every row: σ_b = 0, init = gaussian, batch = 16." in md
    header, rows = None, []
    for line in md.splitlines():
        if line.startswith("| activation"):
            header = [c.strip() for c in line.strip("|").split("|")]
        elif line.startswith("| ") and not line.startswith("| ---") and header:
            rows.append(dict(zip(header, [c.strip() for c in line.strip("|").split("|")])))
    assert len(rows) == len(csv)
    for row, r in zip(rows, csv.itertuples()):
        assert (row["activation"], int(row["width"]), int(row["depth"])) == (r.activation, r.width, r.depth)
        if r.healthy_count == 0:
            band = f"none in {r.sigma_w_min:.4g} – {r.sigma_w_max:.4g}"
        elif r.healthy_low == r.healthy_high:
            band = f"{r.healthy_low:.4g}"
        else:
            band = f"{r.healthy_low:.4g} – {r.healthy_high:.4g}"
            band += "" if r.healthy_contiguous else " (with gaps)"
        assert row["healthy σ_w (measured)"] == band
        assert row["healthy / tested"] == f"{r.healthy_count}/{r.sigma_w_tested}"
        assert row["best σ_w"] == f"{r.best_sigma_w:.4g}"
        assert row["its log10 δ ratio"] == f"{r.best_log10_delta_ratio:.3g}"


def test_phase_diagram_draws_the_files_numbers(results):
    """Every finite cell's colour value is the mean over seeds in the file;
    underflow cells are hatched //, nonfinite ones crossed xx."""
    v = read_file(results)
    ds = gp.load(results)
    for activation in ACTIVATIONS:
        fig = gp.phase_diagram(ds, activation=activation)
        meshes = [c for ax in fig.axes for c in ax.collections if (c.get_gid() or "").startswith("phase-")]
        assert len(meshes) == 4  # two widths x two ratios
        for mesh in meshes:
            ax = mesh.axes
            width = int(re.match(r"width n = (\d+)", ax.get_title()).group(1))
            name = mesh.get_gid()[len("phase-"):]
            z = mesh.get_array().reshape(3, 8)
            hatched = {(round(p.get_x(), 9), round(p.get_y(), 9)): p.get_hatch() for p in ax.patches}
            xe = gp._edges(sorted(set(v["sigma_w"])), True)
            ye = gp._edges([3, 12, 48], True)
            for di, depth in enumerate([3, 12, 48]):
                for si, s in enumerate(sorted(set(v["sigma_w"]))):
                    rows = ((v["activation"] == activation) & (v["width"] == width)
                            & (v["depth"] == depth) & (v["sigma_w"] == s))
                    vals, status = v[name][rows], v["status"][rows]
                    hatch = hatched.get((round(xe[si], 9), round(ye[di], 9)), "")
                    if np.isfinite(vals).all():
                        assert z[di, si] == pytest.approx(vals.mean(), rel=1e-12), (name, depth, s)
                        assert hatch == "", (name, depth, s)
                    if (np.isinf(vals).any() or (np.isnan(vals) & (status == "done")).any()
                            or (status == "underflow").any()):
                        assert "//" in hatch, (name, depth, s)
                    if (status == "nonfinite").any():
                        assert "xx" in hatch, (name, depth, s)
    assert (v["status"] == "nonfinite").any() and np.isneginf(v["log10_delta_ratio"]).any()
    assert (v["status"] == "underflow").any()
    # every -inf belongs to an underflow row: done rows hold finite ratios
    assert np.isfinite(v["log10_delta_ratio"][v["status"] == "done"]).all()


def test_library_api(results):
    ds = gp.load(results)
    assert ds["activation"].dtype.kind == "U" and set(ds["activation"].values) == set(ACTIVATIONS)
    assert set(ds["status"].values) == {"done", "nonfinite", "underflow"}
    with h5py.File(results, "r") as f:
        assert (ds["activation_code"].values == f["activation"][:]).all()
        q_last = f["q"][:][np.arange(len(f["depth"])), f["depth"][:] - 1]
    table = gp.configs_table(ds)
    assert len(table) == 432 and list(table.columns[:9]) == list(gp.AXES) + ["status"]
    np.testing.assert_array_equal(table["q_last"].to_numpy(), q_last)
    cube = gp.cube(ds)
    assert dict(cube["log10_delta_ratio"].sizes) == {"activation": 3, "depth": 3, "width": 2,
                                                     "sigma_w": 8, "seed": 3}
    one = cube["q"].sel(activation="relu", depth=12, width=16, sigma_w=1.0, seed=2)
    i = np.flatnonzero((table.activation == "relu") & (table.depth == 12) & (table.width == 16)
                       & (table.sigma_w == 1.0) & (table.seed == 2))[0]
    np.testing.assert_array_equal(one.values, ds["q"].values[i])
    assert gp.load(results).equals(gp.decode(gp.load(results)))  # decoding twice is harmless
    # Errors say what to pass.
    with pytest.raises(ValueError, match="activation=..."):
        gp.phase_diagram(ds)
    with pytest.raises(ValueError, match="sigma_w = 3 is not in this sweep"):
        gp.signal_propagation(ds, activation="relu", sigma_w=[3.0])
    fig = gp.signal_propagation(ds, activation="relu", sigma_w=[1.414, 2], depth=12, width=16)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["σ_w = 1.41", "σ_w = 2"]  # 1.414 snapped to he = sqrt 2


def test_signal_propagation_draws_the_files_numbers(results):
    """The markers are the geometric mean over seeds of q[l] (log axis) and
    the mean of c[l] (linear axis) of the chosen configurations."""
    ds = gp.load(results)
    fig = gp.signal_propagation(ds, activation="tanh", sigma_w=[0.8, 2.0], depth=48, width=48)
    q_panel, c_panel = fig.axes[0], fig.axes[2]
    for panel, name in ((q_panel, "q"), (c_panel, "c")):
        lines = [l for l in panel.lines if l.get_gid() == "measured"]
        assert [l.get_label() for l in lines] == ["σ_w = 0.8", "σ_w = 2"]
        for line, s in zip(lines, (0.8, 2.0)):
            rows = ((ds.activation == "tanh") & (ds.depth == 48) & (ds.width == 48)
                    & (ds.sigma_w == s)).values
            vals = ds[name].values[rows]
            expected = 10 ** np.log10(vals).mean(axis=0) if name == "q" else vals.mean(axis=0)
            np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    assert q_panel.get_yscale() == "log"


# ---- theory --------------------------------------------------------------------------------

def without_theory(path, folder):
    """A copy of a results file without the theory variables, as files
    written before the theory module have them."""
    out = folder / "no_theory.h5"
    shutil.copy(path, out)
    with h5py.File(out, "r+") as f:
        for name in THEORY:
            if name in f:
                del f[name]
    return out


def overlay_gids(fig):
    return {a.get_gid() for ax in fig.axes for a in [*ax.lines, *ax.collections] if a.get_gid()}


def test_no_theory_no_overlays(results, tmp_path):
    ds = gp.load(without_theory(results, tmp_path))
    assert gp.theory_variables(ds) == []
    gids = set()
    for stem, fig in gp.figures(ds):
        gids |= overlay_gids(fig)
    assert not any(g.startswith("theory") for g in gids), gids
    assert gp.healthy_band_table(ds)["critical_sigma_w_theory"].isna().all()


def test_theory_overlays(results, tmp_path):
    """gradsweep writes the mean-field theory into every file (docs/theory.md);
    the overlays draw exactly the file's numbers."""
    ds = gp.load(results)
    assert set(THEORY) - {"xi_q_theory"} <= set(gp.theory_variables(ds))
    with h5py.File(results, "r") as f:
        names = np.array(f["activation"].attrs["flag_meanings"].split())[f["activation"][:]]
        sw, depth = f["sigma_w"][:], f["depth"][:]
        critical, xi_c = f["sigma_w_critical_theory"][:], f["xi_c_theory"][:]
        q_theory = f["q_theory"][:]
    linear = names == "linear"
    curves = 0
    for activation in ACTIVATIONS:
        rows = names == activation
        crit = np.unique(critical[rows])
        assert len(crit) == 1
        assert crit[0] == pytest.approx({"linear": 1, "relu": math.sqrt(2), "tanh": 1}[activation],
                                        rel=1e-6)
        fig = gp.phase_diagram(ds, activation=activation)
        lines = {gid: [l for ax in fig.axes for l in ax.lines if l.get_gid() == gid]
                 for gid in ("theory-critical", "theory-trainable-depth")}
        assert len(lines["theory-critical"]) == 4  # every panel
        for line in lines["theory-critical"]:
            assert line.get_xdata()[0] == crit[0]
        # 6 xi_c where it is finite (it is inf where correlations approach c*
        # only polynomially: at criticality, and everywhere for linear and
        # relu nets without bias).
        grid = np.array(sorted(set(sw[rows])))
        xi = np.array([np.median(xi_c[rows & (sw == s)]) for s in grid])
        ok = np.isfinite(xi) & (xi > 0)
        assert len(lines["theory-trainable-depth"]) == (4 if ok.any() else 0), activation
        for line in lines["theory-trainable-depth"]:
            np.testing.assert_array_equal(line.get_xdata(), grid[ok])
            np.testing.assert_allclose(line.get_ydata(), 6 * xi[ok], rtol=1e-12)
        curves += bool(ok.any())
    assert curves >= 1

    fig = gp.signal_propagation(ds, activation="linear", depth=48, width=48)
    theory_lines = [l for l in fig.axes[0].lines if l.get_gid() == "theory-line"]
    measured = [l for l in fig.axes[0].lines if l.get_gid() == "measured"]
    assert len(theory_lines) == len(measured) >= 3
    for line, m in zip(theory_lines, measured):
        s = float(m.get_label().split("= ")[1])
        i = np.flatnonzero(linear & (depth == 48) & np.isclose(sw, s, rtol=1e-2))[0]
        np.testing.assert_array_equal(line.get_ydata(), q_theory[i, :48])
    assert "theory-line" in overlay_gids(gp.gradient_flow(ds))

    table = gp.healthy_band_table(ds)
    for r in table.itertuples():
        assert r.critical_sigma_w_theory == pytest.approx(
            np.nanmedian(np.where(names == r.activation, critical, np.nan)), nan_ok=True)
    md, _ = gp.write_table(ds, tmp_path)
    assert "The last column is the mean-field critical σ_w" in md.read_text()


# ---- degenerate sweeps ---------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_sweep(case, tmp_path):
    out = run_gradsweep([*DEGENERATE[case], "--name", case, "-o", "results.h5"], cwd=tmp_path)
    assert out.returncode == 0, out
    results = tmp_path / "results.h5"
    plotted = run_plot(results, tmp_path / "figures")
    assert plotted.returncode == 0, plotted.stderr
    assert plotted.stderr == "", plotted.stderr
    activation = DEGENERATE[case][DEGENERATE[case].index("--activation") + 1]
    stems = [f"phase_diagram_{activation}", f"signal_propagation_{activation}", "gradient_flow",
             "finite_width", "health_report"]
    wanted = {f"{s}.{ext}" for s in stems for ext in ("png", "pdf")} | set(TABLES)
    assert {p.name for p in (tmp_path / "figures").iterdir()} == wanted
    assert sorted(check_figures(results, tmp_path / "figures", 0.0, 20)) == sorted(stems)
    table = pd.read_csv(tmp_path / "figures" / "healthy_band.csv")
    assert len(table) == len(set(zip(table.width, table.depth))) >= 1


def test_cli_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("not HDF5\n")
    for target, message in ((tmp_path / "missing.h5", "no such file"),
                            (tmp_path / "notes.txt", "not an HDF5 file")):
        out = run_plot(target, tmp_path / "figures")
        assert out.returncode == 2, out
        assert out.stderr.startswith("plot.py: ") and message in out.stderr
        assert out.stderr.count("\n") == 1, out.stderr  # one line
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["schema"] = "something/1"
        f["x"] = np.arange(3)
    out = run_plot(tmp_path / "other.h5", tmp_path / "figures")
    assert out.returncode == 2 and "not a gradsweep results file" in out.stderr
    assert not (tmp_path / "figures").exists()  # nothing written


# ---- correlated inputs and measured depth scales (issue 15) -------------------------------

# tanh with sigma_b = 0.3 (edge of chaos at sigma_w = 1.39): 1.0 ordered, 2.0
# chaotic; two input correlations, two seeds, two depths: 48 networks of width
# 256, ~2 s on 2 ranks. The figures' numbers are checked against the file.
CORRELATED = ["--activation", "tanh", "--sigma-b", "0.3", "--sigma-w", "1.0,1.6,2.0",
              "--depth", "8,24", "--width", "256", "--batch", "32", "--seed", "0,1",
              "--input-correlation", "0,0.9", "--name", "correlated"]
CORRELATED_FIGURES = ["phase_diagram_tanh_rho0", "phase_diagram_tanh_rho0.9",
                      "signal_propagation_tanh_rho0", "signal_propagation_tanh_rho0.9",
                      "correlation_map_tanh", "depth_scales_tanh", "gradient_flow",
                      "finite_width"]


@pytest.fixture(scope="module")
def correlated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("correlated")
    out = run_gradsweep([*CORRELATED, "-o", "results.h5"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    return folder / "results.h5"


def test_correlated_inputs_figures(correlated):
    """A file with the input_correlation axis: the families split by c[0]
    (phase diagrams and signal propagation per c[0]), the correlation map and
    the depth scales drawn once with every c[0], each with data in every
    panel, and the table has a row per c[0]."""
    outdir = correlated.parent / "figures"
    out = run_plot(correlated, outdir)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    stems = CORRELATED_FIGURES + ["health_report"]
    wanted = {f"{s}.{ext}" for s in stems for ext in ("png", "pdf")} | set(TABLES)
    assert {p.name for p in outdir.iterdir()} == wanted
    assert sorted(check_figures(correlated, outdir, 0.0, 20)) == sorted(stems)
    table = pd.read_csv(outdir / "healthy_band.csv")
    assert sorted(set(zip(table.input_correlation, table.depth))) == [
        (0.0, 8), (0.0, 24), (0.9, 8), (0.9, 24)]
    assert "c[0]" in (outdir / "healthy_band.md").read_text()


def test_correlated_inputs_figures_draw_the_files_numbers(correlated):
    """Per c[0]: the correlation map's markers are the seeds' mean c[l] and
    its lines c_theory from that c[0]; the depth-scale markers and the phase
    diagram's measured 6 xi_c are the seeds' fits combined
    (combine_depth_scales) at the deepest networks, xi_c_theory the line."""
    with h5py.File(correlated, "r") as f:
        v = {name: f[name][:] for name in ("sigma_w", "depth", "input_correlation", "c",
                                           "c_theory", "xi_c_theory", "xi_c_measured",
                                           "xi_c_measured_stderr")}
    ds = gp.load(correlated)
    rhos, sigmas = (0.0, 0.9), (1.0, 1.6, 2.0)

    def rows(s, rho, depth=24):
        return (np.isclose(v["sigma_w"], s) & (v["input_correlation"] == rho)
                & (v["depth"] == depth))

    fig = gp.correlation_map(ds, sigma_w=[1.0, 2.0], depth=24)
    for j, s in enumerate((1.0, 2.0)):
        top = fig.axes[j]
        marks = [line for line in top.lines if line.get_gid() == "measured"]
        lines = [line for line in top.lines if line.get_gid() == "theory-line"]
        assert len(marks) == len(lines) == 2
        for rho, mark, line in zip(rhos, marks, lines):
            r = rows(s, rho)
            np.testing.assert_allclose(mark.get_ydata(), v["c"][r][:, :24].mean(axis=0),
                                       rtol=1e-12)
            np.testing.assert_array_equal(line.get_ydata(), v["c_theory"][r][0, :24])
            assert line.get_ydata()[0] == pytest.approx((s * s * rho + 0.09) / (s * s + 0.09),
                                                        rel=1e-12)  # c[1] from c[0] = rho

    combined = {(s, rho): gp.combine_depth_scales(v["xi_c_measured"][rows(s, rho)],
                                                  v["xi_c_measured_stderr"][rows(s, rho)])
                for s in sigmas for rho in rhos}
    assert np.isfinite(combined[(1.0, 0.0)][0]) and np.isfinite(combined[(2.0, 0.0)][0])
    ax = gp.depth_scales(ds).axes[0]
    theory = [line for line in ax.lines if line.get_gid() == "theory-line"][0]
    np.testing.assert_array_equal(theory.get_ydata(),
                                  [v["xi_c_theory"][rows(s, 0.0)][0] for s in sigmas])
    measured = [line for line in ax.lines if line.get_gid() == "measured"
                and line.get_marker() == "o"]
    wants = [[combined[(s, rho)][0] for s in sigmas if np.isfinite(combined[(s, rho)][0])]
             for rho in rhos]
    wants = [w for w in wants if w]  # one marker series per c[0] with a fit, in order
    assert len(measured) == len(wants)
    for line, want in zip(measured, wants):
        np.testing.assert_allclose(line.get_ydata(), want, rtol=1e-12)

    for rho in rhos:
        fig = gp.phase_diagram(ds, input_correlation=rho)
        want = [6 * combined[(s, rho)][0] for s in sigmas if np.isfinite(combined[(s, rho)][0])]
        drawn = [line for line in fig.axes[0].lines
                 if line.get_gid() == "measured-trainable-depth" and line.get_marker() == "s"]
        assert len(drawn) == (1 if want else 0), rho
        if want:
            np.testing.assert_allclose(drawn[0].get_ydata(), want, rtol=1e-12)


def test_files_without_the_axis_draw_no_measured_depth_scales(results):
    """A file without the axis (every file before issue 15) has no measured
    depth scale: the phase diagrams draw none, its figure set is that of
    before (test_every_figure_written), and asking for the depth-scale figure
    says what to do."""
    ds = gp.load(results)
    assert "xi_c_measured" not in ds and "input_correlation" not in ds
    for activation in ACTIVATIONS:
        assert "measured-trainable-depth" not in overlay_gids(
            gp.phase_diagram(ds, activation=activation))
    with pytest.raises(ValueError, match="input_correlation axis"):
        gp.depth_scales(ds)

# ---- the input-output Jacobian (issue 13) --------------------------------------------------

JACOBIAN_SWEEP = """\
name: jacobian-figures
base_seed: 5
precision: float32
jacobian_samples: 1
grid:
  activation: [linear, tanh, relu]
  init: [gaussian, orthogonal]
  depth: [2, 8]
  width: [32]
  sigma_w: [0.7, 1.0, he]
  seed: {range: 2}
  batch: [4]
"""
JACOBIAN_FIGURES = ["jacobian_spectra", "jacobian_variance", "jacobian_condition"]


def test_jacobian_figures(tmp_path):
    """A file with Jacobians gets the three Jacobian figures besides the
    others (the CLI writes them), each with data in every panel;
    jacobian_variance draws the file's numbers (markers: the mean over seeds
    of the deepest configuration at the critical sigma_w; lines: the theory);
    the spectra's histograms hold every singular value above the rounding
    floor; configs_table ignores the sv dimension. A file without them has
    none of it."""
    (tmp_path / "sweep.yaml").write_text(JACOBIAN_SWEEP)
    out = run_gradsweep(["sweep.yaml", "-o", "jac.h5"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    results = tmp_path / "jac.h5"
    ds = gp.load(results)
    assert gp.has_jacobian(ds)
    assert len(gp.configs_table(ds)) == 3 * 2 * 2 * 3 * 2
    figures = {"jacobian_spectra": gp.jacobian_spectra(ds),
               "jacobian_variance": gp.jacobian_variance(ds),
               "jacobian_condition": gp.jacobian_condition(ds)}
    for stem, fig in figures.items():
        _, _, counts = data_ink(fig)
        for i, (pixels, size) in enumerate(counts):
            assert pixels >= 20 and pixels >= 0.002 * size, (stem, i, pixels, size)

    with h5py.File(results, "r") as f:
        acts = np.array(f["activation"].attrs["flag_meanings"].split())[f["activation"][:]]
        inits = np.array(f["init"].attrs["flag_meanings"].split())[f["init"][:]]
        sw, depth = f["sigma_w"][:], f["depth"][:]
        ratio, theory = f["jac_sq_sv_var_ratio"][:], f["jac_sq_sv_var_ratio_theory"][:]
        sv = f["jac_sv"][:]
    critical = {"linear": 1.0, "tanh": 1.0, "relu": math.sqrt(2)}
    for ax in gp.jacobian_variance(ds).axes:
        act = ax.get_title().split(",")[0]
        measured = [l for l in ax.lines if l.get_gid() == "measured"]
        lines = [l for l in ax.lines if l.get_gid() == "theory-line"]
        assert len(measured) == 2 and len(lines) == 2, act
        for m, t, init in zip(measured, lines, ["gaussian", "orthogonal"]):
            rows = (acts == act) & (inits == init) & np.isclose(sw, critical[act]) & (depth == 8)
            np.testing.assert_allclose(m.get_ydata(), ratio[rows].mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(t.get_ydata(), theory[rows][0], rtol=0)
    floor = gp.JACOBIAN_RANK_EPS * gp.EPSILON["float32"]
    for ax in gp.jacobian_spectra(ds).axes:  # data_ink stripped the first one
        act, d = ax.get_title().split(", depth ")
        assert len([p for p in ax.patches if p.get_gid() == "density"]) == 2, ax.get_title()
        for init in ("gaussian", "orthogonal"):
            rows = (acts == act) & (inits == init) & np.isclose(sw, critical[act]) & \
                (depth == int(d))
            kept = (sv[rows] > floor * np.nanmax(sv[rows], axis=1, keepdims=True)).sum()
            assert kept > 0
            # the panel prints, per init, the measured (mean over seeds) and
            # predicted normalised variance of this depth, as the file has them
            printed = [t.get_text() for t in ax.texts
                       if t.get_text().startswith(f"{init}, σ_w {critical[act]:.3g}: ")]
            assert len(printed) == 1, (ax.get_title(), [t.get_text() for t in ax.texts])
            numbers = (f"{ratio[rows][:, int(d) - 1].mean():.3g} vs "
                       f"{theory[rows][0, int(d) - 1]:.3g}")
            assert numbers in printed[0], (printed[0], numbers)

    # The command: a one-activation sweep (the other figures take their time).
    small = tmp_path / "small"
    small.mkdir()
    text = JACOBIAN_SWEEP.replace("[linear, tanh, relu]", "[tanh]")
    (small / "sweep.yaml").write_text(text)
    assert run_gradsweep(["sweep.yaml", "-o", "jac.h5"], ranks=2, cwd=small).returncode == 0
    plot = run_plot(small / "jac.h5", small / "figures", "--formats", "png")
    assert plot.returncode == 0 and plot.stderr == "", plot.stderr
    assert "with Jacobian spectra" in plot.stdout
    for stem in JACOBIAN_FIGURES:
        assert str(small / "figures" / f"{stem}.png") in plot.stdout, stem
    (small / "plain.yaml").write_text(text.replace("jacobian_samples: 1\n", ""))
    assert run_gradsweep(["plain.yaml", "-o", "plain.h5"], ranks=2, cwd=small).returncode == 0
    assert not gp.has_jacobian(small / "plain.h5")
    with pytest.raises(ValueError, match="no Jacobian"):
        gp.jacobian_variance(small / "plain.h5")


# ---- residual blocks, LayerNorm and the health report (issue 12) ----------------------------

BLOCK_SWEEP = """\
name: blocks
base_seed: 12
precision: float64
grid:
  activation: [relu]
  sigma_w: [he]
  depth: [8, 48]
  width: [32]
  batch: [16]
  seed: [0, 1]
  branch_scale: [none, 1, 1/sqrt(depth)]
  norm: [none, layernorm]
"""


def test_block_figures_and_health_report(tmp_path):
    """A block sweep gets the (alpha, depth) phase diagram, the per-block
    signal propagation and the health report; every figure splits plain,
    residual and LayerNorm networks (none averages them together); the
    report's numbers are the file's, and its verdicts follow them: relu at
    alpha = 1 without a norm grows 2^47 over 48 layers (exploding), alpha =
    1/sqrt(L) stays within a decade."""
    (tmp_path / "sweep.yaml").write_text(BLOCK_SWEEP)
    out = run_gradsweep(["sweep.yaml", "-o", "results.h5"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    results, outdir = tmp_path / "results.h5", tmp_path / "figures"
    plotted = run_plot(results, outdir, "--formats", "png")
    assert plotted.returncode == 0 and plotted.stderr == "", plotted.stderr
    names = {p.name for p in outdir.iterdir()}
    new = ("block_phase_diagram_relu", "block_signal_propagation_relu", "health_report")
    assert {f"{stem}.png" for stem in new} <= names
    # one (sigma_w, depth) phase diagram per branch scale and norm
    for branch in ("none", "1", "1_over_sqrtdepth"):
        for norm in ("none", "layernorm"):
            assert f"phase_diagram_relu_alpha_{branch}_{norm}.png" in names, (branch, norm)
    # the new figures are the library's and show data in every panel
    import gradsweep_blocks as gb
    for stem, fig in gb.figures(gp.load(results)):
        png = mpimg.imread(outdir / f"{stem}.png")[..., :3]
        full, _, counts = data_ink(fig)
        assert png.shape == full.shape and np.abs(png - full).max() <= 1.5 / 255, stem
        for i, (pixels, size) in enumerate(counts):
            assert pixels >= 20, (stem, i, pixels, size)

    with h5py.File(results, "r") as f:
        alpha, norm, depth = f["branch_scale"][:], f["norm"][:], f["depth"][:]
        q_ratio, d_ratio = f["log10_q_ratio"][:], f["log10_delta_ratio"][:]
    rows = {r["candidate"]: r for r in gb.health_table(results)}
    assert len(rows) == 6 and all(r["depth"] == 48 and r["seeds"] == 2 for r in rows.values())
    for name, r in rows.items():
        want_alpha = {"none": math.nan, "1": 1.0, "1/sqrt(depth)": 48 ** -0.5}[r["branch"]]
        m = (depth == 48) & (norm == ["none", "layernorm"].index(r["norm"])) & (
            np.isnan(alpha) if math.isnan(want_alpha) else np.isclose(alpha, want_alpha))
        assert m.sum() == 2, name
        assert r["log10_q_ratio"] == pytest.approx(q_ratio[m].mean(), rel=1e-12), name
        assert r["log10_delta_ratio"] == pytest.approx(d_ratio[m].mean(), rel=1e-12), name
        assert r["healthy"] == (abs(q_ratio[m].mean()) < 1 and abs(d_ratio[m].mean()) < 1
                                and r["max_dead_frac"] <= 0.5), name
    assert not rows["relu, gaussian, σ_w he, residual α 1"]["healthy"]
    assert "gradients explode" in rows["relu, gaussian, σ_w he, residual α 1"]["verdict"]
    assert rows["relu, gaussian, σ_w he, residual α 1/√L"]["healthy"]
    report = (outdir / "health_report.md").read_text()
    for name in rows:
        assert f"| {name} |" in report



# ---- training files ----------------------------------------------------------------------

TRAINING_SWEEP = """\
name: analysis-train
data: d.h5
train:
  steps: 6
  optimizer: sgd
  record_every: 2
  base_width: 16
  stats_steps: [0, 1, 6]
grid:
  activation: [tanh]
  depth: [3, 6]
  width: [16, 64]
  sigma_w: [1.0, 2.0]
  sigma_b: [0.2]
  seed: {range: 2}
  batch: [16]
  learning_rate: [0.1]
  parametrization: [standard, mup]
"""


@pytest.fixture(scope="module")
def training(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis_train")
    rng = np.random.default_rng(3)
    w = rng.normal(size=(8, 3))
    with h5py.File(folder / "d.h5", "w") as f:
        for suffix, n in (("", 200), ("_test", 50)):
            x = rng.normal(size=(n, 8))
            f["x" + suffix], f["y" + suffix] = x, np.argmax(x @ w, 1).astype(np.int32)
    (folder / "sweep.yaml").write_text(TRAINING_SWEEP)
    out = run_gradsweep(["sweep.yaml", "-o", "train.h5", "--progress", "0"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    outdir = folder / "figures"
    plot = run_plot(folder / "train.h5", outdir)
    assert plot.returncode == 0 and plot.stderr == "", plot.stderr
    return folder / "train.h5", outdir


def test_training_figures_written_and_show_data(training):
    results, outdir = training
    names = {p.name for p in outdir.iterdir()}
    for stem in ("trainability_tanh", "loss_curves_tanh", "coordinate_check_tanh"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names, stem
    assert {"coordinate_check.md", "coordinate_check.csv"} <= names
    stems = []
    for stem, fig in gp.training_figures(gp.load(results)):  # as check_figures, training's only
        stems.append(stem)
        png = mpimg.imread(outdir / f"{stem}.png")[..., :3]
        full, blank, counts = data_ink(fig)
        assert png.shape == full.shape and np.abs(png - full).max() <= 1.01 / 255, stem
        for i, (pixels, size) in enumerate(counts):
            assert pixels >= 20, (stem, i, pixels, size)
    assert sorted(stems) == ["coordinate_check_tanh", "loss_curves_tanh", "trainability_tanh"]


def test_trainability_draws_the_files_accuracy(training):
    """Each cell of the first panel (width 16, standard) is the mean over seeds
    of the file's test_accuracy."""
    results, _ = training
    fig = gp.trainability(gp.load(results))
    mesh = [c for c in fig.axes[0].collections if c.get_gid() == "trainability"][0]
    drawn = np.asarray(mesh.get_array()).reshape(2, 2)  # (depth, sigma_w)
    with h5py.File(results, "r") as f:
        acc, depth, sw = f["test_accuracy"][:], f["depth"][:], f["sigma_w"][:]
        pick = (f["width"][:] == 16) & (f["parametrization"][:] == 0)
    for di, d in enumerate((3, 6)):
        for si, s in enumerate((1.0, 2.0)):
            m = pick & (depth == d) & (sw == s)
            assert drawn[di, si] == pytest.approx(acc[m].mean(), rel=1e-12)


def test_coordinate_check_slopes(training):
    """The table's slopes are least-squares fits of log mean|z| on log width."""
    results, outdir = training
    table = pd.read_csv(outdir / "coordinate_check.csv")
    with h5py.File(results, "r") as f:
        z, width = f["mean_abs_z"][:], f["width"][:]
        m = ((f["parametrization"][:] == 2) & (f["depth"][:] == 6)
             & (f["learning_rate"][:] == 0.1))
    row = table[(table.parametrization == "mup") & (table.depth == 6)
                & (table.layer_role == "output") & (table.stats_step == 1)]
    y = [z[m & (width == w), 1, 5].mean() for w in (16, 64)]
    assert row.slope.item() == pytest.approx(np.log(y[1] / y[0]) / np.log(4), rel=1e-3)
