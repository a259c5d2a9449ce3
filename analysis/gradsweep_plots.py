# SPDX-License-Identifier: MIT
"""gradsweep_plots: figures and tables from a gradsweep results file.

The library behind analysis/plot.py, usable from a notebook (put analysis/ on
sys.path or PYTHONPATH). It reads schema gradsweep/1 (docs/schema.md) and
draws the mean-field theory's predictions (q_theory, xi_c_theory,
sigma_w_critical_theory, ...) when the file holds them; without them it draws
the measurements alone. docs/analysis.md explains every figure.

    import gradsweep_plots as gp
    ds = gp.load("results.h5")              # xarray Dataset, category names decoded
    gp.configs_table(ds)                    # pandas DataFrame, one row per configuration
    gp.cube(ds).log10_delta_ratio           # (activation, depth, width, sigma_w, seed)
    fig = gp.phase_diagram(ds, activation="relu")   # matplotlib Figure
    gp.write_all(ds, "figures")             # every figure (PNG + PDF) and the summary table

Every figure function takes the Dataset (or a path) and returns a
matplotlib.figure.Figure made without pyplot, so that scripts need no display
and notebooks show it as the cell's value.

Averages: a "cell" of the sweep is one point of every axis but `seed`; the
figures and the table average over its seeds (and say so). Sweeps with more
than one sigma_b, init or batch value get one figure (and table rows) per
"family" (activation, init, sigma_b, batch).
"""
import math
import textwrap
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import xarray as xr
import matplotlib
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

SCHEMA = "gradsweep/1"
# The sweep's axes in canonical order (docs/schema.md), slowest first.
AXES = ("activation", "init", "width", "depth", "batch", "sigma_b", "sigma_w", "seed")
# Axes a file has only when its sweep gave them (docs/schema.md); they follow
# the others in the canonical order, and split figures like FAMILY_AXES.
OPTIONAL_AXES = ("input_correlation",)
# Axes that change the physics and so split figures; width, depth, sigma_w are
# drawn inside a figure and seeds are averaged over.
FAMILY_AXES = ("activation", "init", "sigma_b", "batch")
CATEGORICAL = ("activation", "init", "status")
# Residual blocks and norms (issue 12): in the files that sweep them, two more
# axes split families: `branch` (branch_scale as a name: none, a number, or
# 1/sqrt(depth)) and `norm` (decoded like the categories above).
BLOCK_AXES = ("branch", "norm")
CUBE_DIMS = ("activation", "depth", "width", "sigma_w", "seed")
THEORY_PER_LAYER = ("q_theory", "delta_sq_theory", "c_theory")
THEORY_PER_CONFIG = ("chi1_theory", "q_star_theory", "xi_c_theory", "xi_q_theory",
                     "sigma_w_critical_theory")
# |log10_delta_ratio| below this (less than a decade of growth or decay of the
# backward signal from the last layer to the first): the "healthy" band.
HEALTHY = 1.0
# Schoenholz et al. 2017: networks train up to a depth of about 6 xi_c.
TRAINABLE_DEPTH_FACTOR = 6.0
# Rows that hold results: underflow rows too (a signal became exactly zero:
# their ratios are +-inf, drawn hatched at the colour limit).
COMPUTED = ("done", "nonfinite", "underflow")

STYLE = {
    "font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
    "ytick.labelsize": 10, "legend.fontsize": 8.5, "figure.titlesize": 13,
    "axes.spines.top": False, "axes.spines.right": False,
}
CAPTION_FONTSIZE = 9
DIVERGING = "RdBu_r"       # blue: vanishing (< 0), red: exploding (> 0)
MISSING_COLOUR = "0.78"    # cells with no value: not computed, or every seed undefined
HATCH_INF = "////"         # a seed's ratio was +-inf or 0/0, or its status underflow
HATCH_NONFINITE = "xx"     # a seed's status is nonfinite: inf/NaN appeared in the network
GRADIENT_FLOW_ROWS = 6     # up to this many families share one gradient-flow figure
ANNOTATE_MAX = (8, 6)      # phase diagrams print each cell's value up to (sigma_w, depth) cells


# ---- reading ------------------------------------------------------------------------------

def load(path, engine="h5netcdf"):
    """Reads a results file into memory as an xarray Dataset, with the
    categorical variables (activation, init, status) decoded to their names
    (the integer codes stay as activation_code, ...) and the sweep's axes set
    as coordinates along `config`. The file is closed on return. The
    h5netcdf engine reads through h5py; engine="netcdf4" gives the same."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with h5py.File(path, "r") as f:
            schema = f.attrs.get("schema")
    except OSError:
        raise ValueError(f"{path}: not an HDF5 file") from None
    if isinstance(schema, bytes):
        schema = schema.decode(errors="replace")
    if schema != SCHEMA:
        if isinstance(schema, str) and schema.startswith("gradsweep/"):
            raise ValueError(f"{path}: schema {schema}; this tool reads {SCHEMA}")
        raise ValueError(f"{path}: not a gradsweep results file (no schema = {SCHEMA} attribute)")
    with xr.open_dataset(path, engine=engine) as raw:
        ds = raw.load()
    return decode(ds)


def decode(ds):
    """Returns a copy of a raw results Dataset with category codes replaced by
    names (codes kept as <name>_code) and the axes as coordinates. A Dataset
    that is already decoded is returned as it is."""
    if ds["activation"].dtype.kind in "UO":
        return ds
    ds = ds.copy()
    for name in CATEGORICAL:
        codes = ds[name].values
        meanings = np.array(ds[name].attrs["flag_meanings"].split() + ["unknown"])
        index = np.where((codes >= 0) & (codes < len(meanings) - 1), codes, len(meanings) - 1)
        attrs = {k: v for k, v in ds[name].attrs.items() if k not in ("flag_values", "flag_meanings")}
        ds = ds.rename({name: name + "_code"})
        ds[name] = ("config", meanings[index], attrs)
    if "norm" in ds:
        codes = ds["norm"].values
        meanings = np.array(ds["norm"].attrs["flag_meanings"].split() + ["unknown"])
        index = np.where((codes >= 0) & (codes < len(meanings) - 1), codes, len(meanings) - 1)
        ds = ds.rename({"norm": "norm_code"})
        ds["norm"] = ("config", meanings[index])
    if "branch_scale" in ds:
        ds["branch"] = ("config", branch_labels(ds["branch_scale"].values, ds["depth"].values))
    return ds.set_coords([a for a in _axes(ds) if a in ds])


def _axes(ds):
    """The sweep axes this file has: AXES, then the optional ones it holds
    (input_correlation; branch and norm of residual blocks and norms)."""
    return AXES + tuple(a for a in OPTIONAL_AXES + BLOCK_AXES if a in ds)


def branch_labels(alpha, depth):
    """branch_scale as the sweep file names it: "none" (NaN, a plain network),
    "1/sqrt(depth)" (alpha = 1/sqrt(depth) exactly), else the number."""
    out = []
    for a, d in zip(np.asarray(alpha, float), np.asarray(depth)):
        if math.isnan(a):
            out.append("none")
        elif a == 1 / math.sqrt(d) and a != 1:
            out.append("1/sqrt(depth)")
        else:
            out.append(f"{a:g}")
    return np.array(out)


def _dataset(data):
    """A decoded Dataset from a path or a (raw or decoded) Dataset."""
    if isinstance(data, (str, Path)):
        return load(data)
    if isinstance(data, xr.Dataset):
        return decode(data)
    raise TypeError(f"expected a results file path or an xarray Dataset, got {type(data).__name__}")


def configs_table(data):
    """One row per configuration (index: config): the axes, status, the three
    log10 ratios, elapsed time and rank, the per-configuration theory values
    when the file has them, and q_last = q[L], delta_sq_first = delta_sq[1]."""
    ds = _dataset(data)
    table = ds.drop_dims([d for d in ("layer", "sv") if d in ds.dims]).to_dataframe()
    depth = ds["depth"].values.astype(int)
    rows = np.arange(ds.sizes["config"])
    last = np.clip(depth - 1, 0, ds.sizes["layer"] - 1)
    table["q_last"] = ds["q"].values[rows, last]
    table["delta_sq_first"] = ds["delta_sq"].values[:, 0]
    first = [a for a in _axes(ds) if a in table] + ["status"]
    return table[first + [c for c in table.columns if c not in first]]


def cube(data, dims=CUBE_DIMS):
    """The results as a cube: the `config` dimension unstacked into one
    dimension per sweep axis, by default (activation, depth, width, sigma_w,
    seed) plus any other axis that has more than one value in this sweep (so
    that every configuration has its own cell)."""
    ds = _dataset(data)
    axes = _axes(ds)
    dims = list(dims) + [a for a in axes if a not in dims and len(np.unique(ds[a].values)) > 1]
    cube_ds = ds.reset_coords([a for a in axes if a not in dims])
    with warnings.catch_warnings():
        # xarray 2023.01 fills integer variables with NaN before it knows the
        # cube is full: "invalid value encountered in cast", harmless.
        warnings.filterwarnings("ignore", "invalid value encountered in cast", RuntimeWarning)
        return cube_ds.set_index(config=dims).unstack("config")


def theory_variables(data):
    """The mean-field theory variables present in the file (empty until the
    theory module writes them)."""
    ds = _dataset(data)
    return [v for v in THEORY_PER_LAYER + THEORY_PER_CONFIG if v in ds]


class _Sweep:
    """The decoded Dataset as numpy arrays, with the selections the figures need."""

    def __init__(self, data):
        self.ds = _dataset(data)
        ds = self.ds
        self.n = ds.sizes["config"]
        self.l_max = ds.sizes["layer"]
        self.axes = _axes(ds)
        self.axis = {a: ds[a].values for a in self.axes}
        # the optional axes split families too: they change the physics
        # (input correlation; residual blocks and norms, where the file has them)
        self.block_axes = tuple(a for a in BLOCK_AXES if a in ds)
        self.family_axes = (FAMILY_AXES + tuple(a for a in OPTIONAL_AXES if a in self.axes)
                            + self.block_axes)
        self.status = ds["status"].values.astype(str)
        self.computed = np.isin(self.status, COMPUTED)
        self.seeds_per_cell = len(np.unique(self.axis["seed"]))
        self.precision = ds.attrs.get("precision", "")

    def has(self, name):
        return name in self.ds

    def var(self, name):
        return self.ds[name].values

    def values(self, axis, mask=None):
        """The axis's distinct values (within mask): numbers sorted, names in
        the sweep's order."""
        v = self.axis[axis] if mask is None else self.axis[axis][mask]
        if v.dtype.kind in "UO":
            return list(pd.unique(v))
        return sorted(np.unique(v).tolist())

    def varying(self, axis):
        return len(self.values(axis)) > 1

    def mask(self, **cond):
        m = np.ones(self.n, bool)
        for axis, value in cond.items():
            m &= self.axis[axis] == value
        return m

    def families(self, *, split_by=None, **select):
        """Every (activation, init, sigma_b, batch) family, as dicts, in the
        sweep's order, restricted to the given axis values. split_by: the
        axes that make a family (default: those and the optional axes the
        file has)."""
        select = self._snap(select)
        family_axes = self.family_axes if split_by is None else split_by
        keys = np.stack([self.axis[a].astype(str) for a in family_axes], axis=1)
        _, first = np.unique(keys, axis=0, return_index=True)
        out = []
        for i in sorted(first):
            fam = {a: self.axis[a][i].item() for a in family_axes}
            if all(fam[a] == v for a, v in select.items() if a in family_axes):
                out.append(fam)
        if not out:
            raise ValueError(f"no configurations with {select}")
        return out

    def family(self, *, split_by=None, **select):
        """The one family that select names; an error listing the choices if
        there are several."""
        fams = self.families(split_by=split_by, **select)
        if len(fams) > 1:
            for axis in self.family_axes if split_by is None else split_by:
                choices = list(dict.fromkeys(f[axis] for f in fams))
                if len(choices) > 1:
                    raise ValueError(f"this sweep has {len(choices)} {axis} values "
                                     f"({', '.join(map(str, choices))}): pass {axis}=...")
        return fams[0]

    def _snap(self, select):
        """User-given numbers snapped to the grid (1.414 is he = sqrt 2)."""
        out = {}
        for axis, value in select.items():
            if axis not in self.axes:
                raise TypeError(f"unknown sweep axis {axis!r}; axes: {', '.join(self.axes)}")
            if value is not None and not isinstance(value, str):
                value = snap(self.values(axis), value, axis)
            if value is not None:
                out[axis] = value
        return out

    def family_title(self, fam):
        parts = [f"{fam['activation']}", f"σ_b = {fam['sigma_b']:g}", f"{fam['init']} init"]
        if self.varying("batch"):
            parts.append(f"batch {fam['batch']}")
        if "input_correlation" in fam:
            parts.append(f"c[0] = {fam['input_correlation']:g}")
        if "branch" in fam and fam["branch"] != "none":
            parts.append(f"residual α = {fam['branch']}")
        if fam.get("norm", "none") != "none":
            parts.append(str(fam["norm"]))
        return ", ".join(parts)

    def family_stem(self, fam):
        parts = [str(fam["activation"])]
        if self.varying("init"):
            parts.append(str(fam["init"]))
        if self.varying("sigma_b"):
            parts.append(f"sigma_b{fam['sigma_b']:g}")
        if self.varying("batch"):
            parts.append(f"batch{fam['batch']}")
        if "input_correlation" in fam and self.varying("input_correlation"):
            parts.append(f"rho{fam['input_correlation']:g}")
        if "branch" in fam and self.varying("branch"):
            parts.append("alpha_" + str(fam["branch"]).replace("/", "_over_").replace("(", "")
                         .replace(")", ""))
        if "norm" in fam and self.varying("norm"):
            parts.append(str(fam["norm"]))
        return "_".join(parts)

    # -- where is the edge of chaos for a family? --
    def theory_critical(self, fam):
        """The theory's critical sigma_w for the family: None if the file has
        no theory, NaN if theory says there is none."""
        if not self.has("sigma_w_critical_theory"):
            return None
        v = self.var("sigma_w_critical_theory")[self.mask(**fam)]
        v = v[np.isfinite(v)]
        return float(np.median(v)) if len(v) else math.nan

    def measured_edge(self, fam, depth, width):
        """The grid sigma_w whose mean over seeds of |log10_delta_ratio| at
        (depth, width) is smallest; the middle of the grid if none is finite."""
        m = self.mask(**fam, depth=depth, width=width) & self.computed
        grid = self.values("sigma_w", m) or self.values("sigma_w", self.mask(**fam))
        ratio = self.var("log10_delta_ratio")
        score = np.full(len(grid), np.nan)
        for i, s in enumerate(grid):
            v = ratio[m & (self.axis["sigma_w"] == s)]
            if len(v):
                score[i] = abs(np.mean(v))
        finite = np.isfinite(score)
        if not finite.any():
            return grid[len(grid) // 2]
        best = np.flatnonzero(finite & (score <= score[finite].min()))
        return grid[best[len(best) // 2]]

    def centre(self, fam, depth, width):
        """(sigma_w at the family's edge of chaos, where that comes from)."""
        crit = self.theory_critical(fam)
        if crit is not None and math.isfinite(crit):
            return crit, "theory"
        return self.measured_edge(fam, depth, width), "measured"


def snap(grid, value, name="sigma_w"):
    """The grid value nearest to value (within 2 %), else a ValueError listing the grid."""
    grid = np.asarray(grid, float)
    i = int(np.argmin(np.abs(grid - value)))
    if not math.isclose(grid[i], value, rel_tol=0.02, abs_tol=1e-12):
        raise ValueError(f"{name} = {value:g} is not in this sweep; it has "
                         + ", ".join(f"{g:g}" for g in grid))
    return grid[i].item()


def around(grid, centre, factors):
    """The distinct grid values nearest to centre * factors, in ascending order."""
    grid = np.asarray(sorted(grid), float)
    picked = {grid[int(np.argmin(np.abs(grid - centre * f)))].item() for f in factors}
    return sorted(picked)


# ---- drawing helpers ----------------------------------------------------------------------

def _edges(values, log):
    """Cell edges around sorted values: midpoints (geometric on a log axis)."""
    v = np.asarray(values, float)
    t = np.log(v) if log else v
    if len(t) == 1:
        half = 0.35 if log else (0.1 * abs(t[0]) or 0.5)
        e = np.array([t[0] - half, t[0] + half])
    else:
        mid = (t[1:] + t[:-1]) / 2
        e = np.concatenate([[t[0] - (mid[0] - t[0])], mid, [t[-1] + (t[-1] - mid[-1])]])
    return np.exp(e) if log else e


def _symmetric_ticks(vlim):
    """0, ±1, ±3, ±10, ±30, ... within ±vlim: readable ticks on a symlog colour bar."""
    ticks = [0.0]
    for t in (1, 3, 10, 30, 100, 300, 1000):
        if t <= vlim * 1.0001:
            ticks = [-t] + ticks + [t]
    return ticks


def _centre(edges, i, log):
    return math.sqrt(edges[i] * edges[i + 1]) if log else (edges[i] + edges[i + 1]) / 2


def _luminance(rgba):
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _sparse_ticks(values, edges, log, min_gap=0.075):
    """The values, left to right, skipping any closer than min_gap (a fraction
    of the axis) to the previous tick, so that labels never overlap."""
    f = (lambda v: np.log(v)) if log else (lambda v: np.asarray(v, float))
    lo, hi = f(edges[0]), f(edges[-1])
    out, last = [], -np.inf
    for v in values:
        pos = (f(v) - lo) / (hi - lo)
        if pos - last >= min_gap:
            out.append(v)
            last = pos
    return out


def _sigma_depth_axes(ax, sigmas, depths, xe, ye, xlog, ylog, max_ticks=None):
    """A (sigma_w, depth) heatmap's axes: limits, scales, a tick per depth and
    sparse sigma_w ticks (none when there are more than max_ticks values)."""
    ax.set_xlim(xe[0], xe[-1])
    ax.set_ylim(ye[0], ye[-1])
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_yticks(depths)
    ax.set_yticklabels([str(d) for d in depths])
    ax.yaxis.set_minor_locator(NullLocator())
    if max_ticks is None or len(sigmas) <= max_ticks:
        ticks = _sparse_ticks(sigmas, xe, xlog)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{s:.3g}" for s in ticks])
        ax.xaxis.set_minor_locator(NullLocator())


def _log_axis(values):
    v = np.asarray(values, float)
    return len(v) > 1 and v.min() > 0 and v.max() / v.min() >= 4


def _new_figure(width, height, caption_lines=0):
    """A constrained-layout Figure with room for caption_lines below the axes."""
    caption_h = (caption_lines * 1.35 * CAPTION_FONTSIZE / 72 + 0.12) if caption_lines else 0
    fig = Figure(figsize=(width, height + caption_h))
    fig.set_layout_engine("constrained", rect=(0, caption_h / (height + caption_h), 1,
                                               1 - caption_h / (height + caption_h)))
    return fig


def _wrap(notes, fig_width_in):
    chars = max(40, int(fig_width_in * 72 / (0.52 * CAPTION_FONTSIZE)))
    lines = []
    for note in notes:
        lines += textwrap.wrap(note, chars)
    return lines


def _caption(fig, lines):
    if lines:
        fig.text(0.01, 0.01, "\n".join(lines), ha="left", va="bottom",
                 fontsize=CAPTION_FONTSIZE, color="0.15")


def _figure_with_caption(width, height, notes, nrows, ncols, **subplot_kw):
    lines = _wrap(notes, width)
    fig = _new_figure(width, height, len(lines))
    axs = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    _caption(fig, lines)
    return fig, axs


def _sigma_colours(selected, centre):
    """Blue below the edge of chaos, red above, black at it."""
    ratios = np.log(np.asarray(selected, float) / centre)
    span = np.abs(ratios).max() or 1.0
    nearest = int(np.argmin(np.abs(ratios)))
    cmap = matplotlib.colormaps["coolwarm"]
    out = []
    for i, r in enumerate(ratios):
        out.append("black" if i == nearest else cmap(0.5 + 0.47 * r / span))
    return out


def _seed_summary(values, log):
    """Per layer across seeds (rows): the centre (mean, or geometric mean on a
    log axis) and the band (min, max) of the finite values."""
    v = np.where(np.isfinite(values), values, np.nan)
    if log:
        v = np.where(v > 0, v, np.nan)
    with np.errstate(all="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = 10 ** np.nanmean(np.log10(v), axis=0) if log else np.nanmean(v, axis=0)
            lo, hi = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
    return centre, lo, hi


def _choose_scale(arrays, force=None):
    """'log' when forced, or when the positive finite values span > 2 decades."""
    v = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.array([])
    v = v[np.isfinite(v)]
    pos = v[v > 0]
    if force == "log":
        return "log" if len(pos) else "linear"
    if force == "linear" or len(pos) < 2 or len(pos) < len(v):
        return "linear"
    return "log" if pos.max() / pos.min() > 100 else "linear"


def _mark_identical(ax, series, log=False):
    """Says so when every series drawn is the same: the same unit draws at
    every scale (common random numbers) and a quantity that does not depend on
    the scale (c and saturation of ReLU, a depth-1 backward signal) make the
    markers coincide, and only the last one is visible."""
    if len(series) < 2:
        return
    if log:  # compare what the eye sees on a log axis
        with np.errstate(all="ignore"):
            series = [np.log10(m) for m in series]
    values = np.concatenate(series)
    values = values[np.isfinite(values)]
    span = float(values.max() - values.min()) if len(values) else 0.0
    # Identical to the eye: within a thousandth of the panel's range (float32
    # arithmetic at different scales leaves differences of ~1e-6).
    if all(np.allclose(m, series[0], rtol=1e-6, atol=1e-3 * span, equal_nan=True)
           for m in series[1:]):
        ax.text(0.98, 0.04, "identical for every σ_w shown", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=9, color="0.3",
                bbox=dict(facecolor="white", alpha=0.8, lw=0))


def _spread(ax, layers, lo, hi, colour, n_seeds):
    """The min-max band across seeds; error bars when there are too few
    layers for a band to be seen."""
    if n_seeds < 2:
        return
    if len(layers) < 3:
        mid = (lo + hi) / 2
        ax.errorbar(layers, mid, yerr=[mid - lo, hi - mid], fmt="none", ecolor=colour, elinewidth=6,
                    alpha=0.3)
    else:
        ax.fill_between(layers, lo, hi, color=colour, alpha=0.22, lw=0)


def _tidy_log_axis(ax):
    """Plain number labels on a log axis that spans less than a decade or so
    (matplotlib would write 4×10^0)."""
    lo, hi = ax.get_ylim()
    if lo > 0 and hi / lo < 30:
        fmt = FuncFormatter(lambda v, _: f"{v:.3g}")
        ax.yaxis.set_major_formatter(fmt)
        ax.yaxis.set_minor_formatter(fmt)


def _note_in_axes(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
            color="0.3", wrap=True)


# ---- figures ------------------------------------------------------------------------------

RATIO_LABELS = {
    "log10_delta_ratio": (r"$\frac{1}{2}\log_{10}\,(\delta^2[1]\,/\,\delta^2[L])$  [decades]",
                          "backward signal growth, last → first layer"),
    "log10_grad_ratio": (r"$\log_{10}\,(\|\partial\ell/\partial W_1\|\,/\,\|\partial\ell/\partial W_L\|)$"
                         "  [decades]", "weight-gradient ratio, first / last layer"),
}


def phase_diagram(data, **select):
    """Heatmaps over (sigma_w, depth) of log10_delta_ratio (left) and
    log10_grad_ratio (right), mean over seeds, one row per width, for one
    family (select it with activation=, and sigma_b=, init=, batch= when the
    sweep varies them). With theory in the file: the critical sigma_w and the
    trainable depth 6 xi_c overlaid."""
    sw = _Sweep(data)
    fam = sw.family(**select)
    fmask = sw.mask(**fam)
    widths, depths = sw.values("width", fmask), sw.values("depth", fmask)
    sigmas = sw.values("sigma_w", fmask)
    xlog, ylog = (max(sigmas) / min(sigmas) > 10 if min(sigmas) > 0 else False), _log_axis(depths)
    xe, ye = _edges(sigmas, xlog), _edges(depths, ylog)
    quantities = list(RATIO_LABELS)

    # Per cell (width, depth, sigma_w): the seeds' values, +-inf drawn at the colour limit.
    cells = {}
    marks = {"inf": False, "underflow": False, "nonfinite": False, "missing": False}
    vlim = {}
    for q in quantities:
        v = sw.var(q)[fmask & sw.computed]
        finite = v[np.isfinite(v)]
        vlim[q] = max(HEALTHY * 1.5, float(np.abs(finite).max()) if len(finite) else 0.0)
    seeds_seen = set()
    rows = np.flatnonzero(fmask & sw.computed)  # the family's computed rows: cells select in them
    at = {a: sw.axis[a][rows] for a in ("width", "depth", "sigma_w")}
    status = sw.status[rows]
    for q in quantities:
        values = sw.var(q)[rows]
        for wi, w in enumerate(widths):
            z = np.full((len(depths), len(sigmas)), np.nan)
            inf = np.zeros(z.shape, bool)
            nonfinite = np.zeros(z.shape, bool)
            base = at["width"] == w
            for di, d in enumerate(depths):
                row = base & (at["depth"] == d)
                for si, s in enumerate(sigmas):
                    m = row & (at["sigma_w"] == s)
                    v, st = values[m], status[m]
                    seeds_seen.add(int(m.sum()))
                    if not m.any():
                        marks["missing"] = True
                        continue
                    marks["underflow"] |= bool((st == "underflow").any())
                    inf[di, si] = bool(np.isinf(v).any() or (np.isnan(v) & (st == "done")).any()
                                       or (st == "underflow").any())
                    nonfinite[di, si] = bool((st == "nonfinite").any())
                    clipped = np.clip(v, -vlim[q], vlim[q])
                    if np.isfinite(clipped).any():
                        z[di, si] = np.nanmean(clipped)
                    else:
                        marks["missing"] = True
            marks["inf"] |= bool(inf.any())
            marks["nonfinite"] |= bool(nonfinite.any())
            cells[q, wi] = (z, inf, nonfinite)
    seeds = max(seeds_seen) if seeds_seen else 0

    crit = sw.theory_critical(fam)
    xi = None
    if sw.has("xi_c_theory"):
        xv = sw.var("xi_c_theory")
        xi = np.array([np.nanmedian(np.where(np.isfinite(xv), xv, np.nan)[fmask & (sw.axis["sigma_w"] == s)])
                       if np.isfinite(xv[fmask & (sw.axis["sigma_w"] == s)]).any() else np.nan
                       for s in sigmas])

    # The measured depth scale (a sweep with the input_correlation axis): per
    # width, from the deepest networks, the seeds' fits combined.
    xi_measured = {}
    if sw.has("xi_c_measured"):
        for wi, w in enumerate(widths):
            wmask = fmask & sw.computed & (sw.axis["width"] == w)
            if not wmask.any():
                continue
            deepest = max(sw.values("depth", wmask))
            xi_measured[wi] = np.array([combine_depth_scales(
                sw.var("xi_c_measured")[wmask & (sw.axis["depth"] == deepest)
                                        & (sw.axis["sigma_w"] == s)],
                sw.var("xi_c_measured_stderr")[wmask & (sw.axis["depth"] == deepest)
                                               & (sw.axis["sigma_w"] == s)]) for s in sigmas])

    notes = [f"Colour: mean over the {seeds} seed{'s' if seeds != 1 else ''} of each cell; "
             f"> 0 (red) the backward signal or gradient grows towards the first layer (exploding), "
             f"< 0 (blue) it shrinks (vanishing); centred on 0, linear within ±{HEALTHY:g} and "
             f"logarithmic beyond, up to the largest finite value. Black lines: |value| = {HEALTHY:g} "
             f"decade, the edge of the healthy band (interpolated between cell centres)."]
    if marks["inf"]:
        notes.append(f"Hatched {HATCH_INF[:2]}: at least one seed's ratio was ±inf or undefined "
                     f"(a {sw.precision or 'float'} signal under/overflowed to 0 or inf); "
                     "drawn at the colour limit.")
    if marks["underflow"]:
        notes.append(f"Hatched {HATCH_INF[:2]} also: status underflow for at least one seed "
                     "(the forward or backward signal became exactly zero; first_underflow_layer "
                     "says where).")
    if marks["nonfinite"]:
        notes.append(f"Crossed {HATCH_NONFINITE}: status nonfinite for at least one seed "
                     "(inf/NaN appeared in the network); mean over the seeds that have a value.")
    if marks["missing"]:
        notes.append("Grey: no value (not computed, failed, or undefined for every seed).")
    if crit is not None:
        if math.isfinite(crit) and xe[0] <= crit <= xe[-1]:
            notes.append(f"Dashed vertical line: mean-field critical σ_w = {crit:.4g} (χ1 = 1).")
        elif math.isfinite(crit):
            notes.append(f"The mean-field critical σ_w = {crit:.4g} (χ1 = 1) lies outside the swept range.")
        else:
            notes.append("Mean-field theory: no critical σ_w (χ1 = 1) for this activation and σ_b.")
    if xi is not None:
        if (np.isfinite(xi) & (xi > 0)).any():
            notes.append(f"Green curve: trainable depth {TRAINABLE_DEPTH_FACTOR:g}·ξ_c "
                         "(Schoenholz et al. 2017) from the theory in the file, where finite.")
        else:
            notes.append(f"Trainable depth {TRAINABLE_DEPTH_FACTOR:g}·ξ_c: not finite at any σ_w "
                         "swept (theory: correlations approach their fixed point only "
                         "polynomially), so no curve.")

    if xi_measured:
        if any(np.isfinite(v[:, 0]).any() for v in xi_measured.values()):
            notes.append(f"Orange squares: {TRAINABLE_DEPTH_FACTOR:g}·ξ_c measured on the deepest "
                         "networks of each width (xi_c_measured, the seeds' fits combined; bars: "
                         f"{TRAINABLE_DEPTH_FACTOR:g} standard errors), beside the predicted one.")
        else:
            notes.append("Measured ξ_c: no fit at any σ_w shown (xi_c_measured_reason says why).")
    width_in = 12.0
    with _style():
        fig, axs = _figure_with_caption(width_in, 3.6 * len(widths) + 0.5, notes, len(widths), 2)
        for qi, q in enumerate(quantities):
            # Linear within the healthy band, logarithmic beyond: ratios span
            # from a tenth of a decade to tens of decades.
            norm = mcolors.SymLogNorm(linthresh=HEALTHY, linscale=0.6, vmin=-vlim[q], vmax=vlim[q],
                                      base=10)
            cmap = matplotlib.colormaps[DIVERGING].copy()
            cmap.set_bad(MISSING_COLOUR)
            for wi, w in enumerate(widths):
                ax = axs[wi, qi]
                z, inf, nonfinite = cells[q, wi]
                mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=cmap, norm=norm,
                                     shading="flat")
                mesh.set_gid(f"phase-{q}")
                if len(depths) > 1 and len(sigmas) > 1 and np.isfinite(z).sum() >= 4:
                    zz = np.ma.masked_invalid(z)
                    levels = [lv for lv in (-HEALTHY, HEALTHY) if zz.min() < lv < zz.max()]
                    if levels:
                        ax.contour(sigmas, depths, zz, levels=levels, colors="k", linewidths=1.1,
                                   linestyles="solid")
                for (di, si) in zip(*np.nonzero(inf | nonfinite)):
                    hatch = ((HATCH_INF if inf[di, si] else "")
                             + (HATCH_NONFINITE if nonfinite[di, si] else ""))
                    under = (cmap(norm(z[di, si])) if np.isfinite(z[di, si])
                             else mcolors.to_rgba(MISSING_COLOUR))
                    ink = "white" if _luminance(under) < 0.45 else "0.15"
                    ax.add_patch(Rectangle((xe[si], ye[di]), xe[si + 1] - xe[si], ye[di + 1] - ye[di],
                                           fill=False, hatch=hatch, edgecolor=ink, linewidth=0))
                if crit is not None and math.isfinite(crit) and xe[0] <= crit <= xe[-1]:
                    ax.axvline(crit, color="k", ls="--", lw=1.6, gid="theory-critical",
                               label=f"critical σ_w = {crit:.3g} (theory)")
                if xi is not None:
                    y = TRAINABLE_DEPTH_FACTOR * xi
                    ok = np.isfinite(y) & (y > 0)
                    if ok.any():
                        ax.plot(np.asarray(sigmas)[ok], y[ok], color="#1b7f3b", lw=2, marker=".",
                                gid="theory-trainable-depth",
                                label=f"trainable depth {TRAINABLE_DEPTH_FACTOR:g}·ξ_c (theory)")
                if wi in xi_measured:
                    v = xi_measured[wi]
                    ok = np.isfinite(v[:, 0]) & np.isfinite(v[:, 1])
                    if ok.any():
                        y, e = TRAINABLE_DEPTH_FACTOR * v[ok, 0], TRAINABLE_DEPTH_FACTOR * v[ok, 1]
                        # the dashed line joins neighbouring fits only: none across a gap
                        ax.plot(sigmas, np.where(ok, TRAINABLE_DEPTH_FACTOR * v[:, 0], np.nan),
                                color="#d95f02", lw=1.2, ls="--")
                        ax.errorbar(np.asarray(sigmas)[ok], y, yerr=[np.minimum(e, 0.95 * y), e],
                                    color="#d95f02", marker="s", ms=4.5, ls="none",
                                    capsize=2, gid="measured-trainable-depth",
                                    label=f"{TRAINABLE_DEPTH_FACTOR:g}·ξ_c (measured)")
                _sigma_depth_axes(ax, sigmas, depths, xe, ye, xlog, ylog, max_ticks=12)
                ax.set_xlabel(r"weight scale $\sigma_w$  (Var $W_{ij} = \sigma_w^2/n$)")
                ax.set_ylabel("depth L  [layers]")
                ax.set_title(f"width n = {w}: {RATIO_LABELS[q][1]}")
                annotate = len(sigmas) <= ANNOTATE_MAX[0] and len(depths) <= ANNOTATE_MAX[1]
                if annotate:  # few cells: print each cell's value in it
                    for (di, si), value in np.ndenumerate(z):
                        if np.isfinite(value):
                            colour = cmap(norm(value))
                            ax.text(_centre(xe, si, xlog), _centre(ye, di, ylog), f"{value:.2g}",
                                    ha="center", va="center", fontsize=8,
                                    color="white" if _luminance(colour) < 0.45 else "black")
                finite = z[np.isfinite(z)]
                if (not annotate and len(finite) and np.abs(finite).max() < HEALTHY / 2
                        and not (inf | nonfinite).any()):
                    ax.text(0.5, 0.5, f"|value| < {np.abs(finite).max():.2g} everywhere",
                            transform=ax.transAxes, ha="center", va="center", fontsize=10,
                            color="0.25", bbox=dict(facecolor="white", alpha=0.7, lw=0))
            extend = "both"
            cb = fig.colorbar(mesh, ax=list(axs[:, qi]), extend=extend, shrink=0.95)
            cb.set_ticks(_symmetric_ticks(vlim[q]))
            cb.set_ticklabels([f"{t:g}" for t in _symmetric_ticks(vlim[q])])
            cb.minorticks_off()
            cb.set_label(RATIO_LABELS[q][0])
        fig.suptitle(f"Phase diagram, {sw.family_title(fam)}: where the backward signal "
                     f"vanishes (blue) or explodes (red)")
    return fig


def _layer_figure_setup(sw, fam, depth, width, sigma_w, factors):
    fmask = sw.mask(**fam)
    depth = snap(sw.values("depth", fmask), depth, "depth") if depth else max(sw.values("depth", fmask))
    width = snap(sw.values("width", fmask), width, "width") if width else max(sw.values("width", fmask))
    depth, width = int(depth), int(width)
    cmask = fmask & (sw.axis["depth"] == depth) & (sw.axis["width"] == width)
    grid = sw.values("sigma_w", cmask)
    centre, source = sw.centre(fam, depth, width)
    if sigma_w is None:
        # Around the edge, or around the end of the grid nearest to it.
        selected = around(grid, min(max(centre, grid[0]), grid[-1]), factors)
    else:
        selected = sorted({snap(grid, s) for s in np.atleast_1d(sigma_w)})
    return cmask, depth, width, selected, centre, source


SP_PANELS = [  # (variable, title, y label, scale, theory variable)
    ("q", "forward length q[l]", r"$q[l] = \langle z[l]^2\rangle$  (input variance 1)", "log", "q_theory"),
    ("delta_sq", "backward signal δ²[l]", r"$\delta^2[l] = \langle(\partial\ell/\partial z[l])^2\rangle$",
     "log", "delta_sq_theory"),
    ("c", "correlation c[l] between samples", r"$c[l]$: mean cosine of $z[l]$ (pairs of samples)",
     "linear", "c_theory"),
    ("act_ch_sq_mean", "squared channel mean of a[l]", r"mean over units of $(\mathrm{batch\ mean}\ a[l])^2$",
     None, None),
    ("act_ch_var", "channel variance of a[l]", r"mean over units of batch var $a[l]$", None, None),
    ("saturated_frac", "saturated / dead fraction", r"fraction with $|\varphi'(z)| < 10^{-3}$",
     "linear", None),
]


def signal_propagation(data, sigma_w=None, depth=None, width=None, **select):
    """Signal-propagation plots for one family (Brock et al. 2021, plus the
    mean-field quantities): per layer q, delta_sq, c, the activations' squared
    channel mean and channel variance, and the saturated fraction, for a few
    sigma_w around the edge of chaos (or those given) at one depth and width
    (default: the largest). Measured: markers (mean over seeds) with the
    min-max band across seeds; theory: lines, when in the file."""
    sw = _Sweep(data)
    fam = sw.family(**select)
    cmask, depth, width, selected, centre, source = _layer_figure_setup(
        sw, fam, depth, width, sigma_w, factors=(0.8, 0.9, 1.0, 1.1, 1.25))
    layers = np.arange(1, depth + 1)
    colours = _sigma_colours(selected, centre)
    per_sigma = {s: cmask & (sw.axis["sigma_w"] == s) & sw.computed for s in selected}
    seeds = max(int(m.sum()) for m in per_sigma.values())
    theory_any = any(sw.has(p[4]) for p in SP_PANELS if p[4])
    every = max(1, depth // 30)
    notes = [f"Markers: measured, mean over {seeds} seed{'s' if seeds != 1 else ''} "
             f"(geometric mean on log axes){'; band: min–max across seeds' if seeds > 1 else ''}"
             f"{'; markers every ' + str(every) + ' layers' if every > 1 else ''}. "
             + ("Lines: mean-field theory from the file (q_theory, delta_sq_theory, c_theory)."
                if theory_any else "No theory in this file: measurements only."),
             f"Colours: σ_w below (blue) and above (red) the edge of chaos σ_w ≈ {centre:.3g} "
             + ("(mean-field theory)" if source == "theory" else
                "(measured: smallest |log10 δ ratio| at this depth)")
             + ", black nearest to it."]
    with _style():
        fig, axs = _figure_with_caption(13.0, 7.6, notes, 2, 3)
        for ax, (name, title, ylabel, scale, theory) in zip(axs.flat, SP_PANELS):
            data_rows = {s: sw.var(name)[m][:, :depth] for s, m in per_sigma.items()}
            scale = _choose_scale(list(data_rows.values()), force=scale)
            drawn = False
            mids = []
            for s, colour in zip(selected, colours):
                rows = data_rows[s]
                if not len(rows):
                    continue
                mid, lo, hi = _seed_summary(rows, scale == "log")
                if not np.isfinite(mid).any():
                    continue
                _spread(ax, layers, lo, hi, colour, len(rows))
                ax.plot(layers, mid, ls="none", marker="o", ms=3.8 if depth <= 40 else 3.0,
                        markevery=every, color=colour, label=f"σ_w = {s:.3g}", gid="measured")
                drawn = True
                mids.append(mid)
                if theory and sw.has(theory):
                    t = sw.var(theory)[per_sigma[s]][:, :depth]
                    if len(t) and np.isfinite(t[0]).any():
                        ax.plot(layers, t[0], color=colour, lw=1.3, gid="theory-line")
            _mark_identical(ax, mids, log=scale == "log")
            if not drawn:
                _note_in_axes(ax, f"no finite {name} values\nfor these configurations")
            elif scale == "log":
                ax.set_yscale("log")
                _tidy_log_axis(ax)
            ax.set_title(title)
            ax.set_xlabel("layer l")
            ax.set_ylabel(ylabel)
            if depth == 1:
                ax.set_xticks([1])
            ax.set_xlim(0.5, depth + 0.5)
        handles, labels = axs[0, 0].get_legend_handles_labels()
        if theory_any:
            handles.append(Line2D([], [], color="0.3", lw=1.3))
            labels.append("mean-field theory")
        if handles:
            axs[0, 0].legend(handles, labels, loc="best", framealpha=0.85)
        fig.suptitle(f"Signal propagation, {sw.family_title(fam)}: depth {depth}, width {width}, "
                     f"σ_w around the edge of chaos")
    return fig


def gradient_flow(data, sigma_w=None, depth=None, width=None, **select):
    """The lecture's exploding/vanishing picture from real numbers: per layer,
    the backward signal's RMS sqrt(delta_sq[l]) and the weight gradient norm
    ||dloss/dW[l]||_F, for sigma_w around each family's edge of chaos (or those
    given), one row per family, at one depth and width (default: the largest)."""
    sw = _Sweep(data)
    fams = sw.families(**select)
    factors = (0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4)
    rows = []
    for fam in fams:
        rows.append((fam, *_layer_figure_setup(sw, fam, depth, width, sigma_w, factors)))
    theory = sw.has("delta_sq_theory")
    seeds = max(int((r[1] & sw.computed & (sw.axis["sigma_w"] == s)).sum()) for r in rows for s in r[4])
    notes = [f"Markers: measured, geometric mean over {seeds} seed{'s' if seeds != 1 else ''}"
             f"{'; band: min–max across seeds' if seeds > 1 else ''}. "
             "Left: root-mean-square backward signal per unit and sample; right: Frobenius norm of the "
             "gradient of the batch-mean loss with respect to W[l]. "
             + ("Probe loss: δ[L] = r ~ N(0, 1). " if sw.ds.attrs.get("loss") == "probe" else
                f"Loss: {sw.ds.attrs.get('loss_definition', sw.ds.attrs.get('loss', '?'))}. ")
             + "In linear and ReLU nets the weight gradient is nearly the same at every layer "
             "(forward and backward growth cancel) while its size still grows or shrinks "
             "exponentially with σ_w."
             + (" Lines: mean-field theory √delta_sq_theory." if theory else ""),
             "Colours: σ_w below (blue) and above (red) each activation's edge of chaos, black nearest "
             "to it (" + ("mean-field theory" if all(r[6] == "theory" for r in rows) else
                          "measured where the file has no theory: smallest |log10 δ ratio|") + ")."]
    with _style():
        fig, axs = _figure_with_caption(12.0, 3.3 * len(rows) + 0.6, notes, len(rows), 2)
        for (fam, cmask, d, w, selected, centre, source), ax_row in zip(rows, axs):
            colours = _sigma_colours(selected, centre)
            layers = np.arange(1, d + 1)
            every = max(1, d // 30)
            for col, (name, ylabel) in enumerate([
                    ("delta_sq", r"RMS of $\delta[l]$ $= \sqrt{\delta^2[l]}$"),
                    ("grad_w_norm", r"$\Vert\partial\,\mathrm{loss}/\partial W[l]\Vert_F$")]):
                ax = ax_row[col]
                drawn = False
                mids = []
                for s, colour in zip(selected, colours):
                    m = cmask & (sw.axis["sigma_w"] == s) & sw.computed
                    vals = sw.var(name)[m][:, :d]
                    if name == "delta_sq":
                        vals = np.sqrt(vals)
                    if not len(vals):
                        continue
                    mid, lo, hi = _seed_summary(vals, True)
                    if not np.isfinite(mid).any():
                        continue
                    _spread(ax, layers, lo, hi, colour, len(vals))
                    # Markers are measurements, lines theory; without theory a thin
                    # line guides the eye through the markers.
                    guide = 0 if (name == "delta_sq" and theory) else 0.8
                    ax.plot(layers, mid, marker="o", ms=3 if d > 1 else 5, markevery=every, lw=guide,
                            color=colour, label=f"σ_w = {s:.3g}", gid="measured")
                    drawn = True
                    mids.append(mid)
                    if name == "delta_sq" and theory:
                        t = sw.var("delta_sq_theory")[m][:, :d]
                        if len(t) and np.isfinite(t[0]).any():
                            ax.plot(layers, np.sqrt(t[0]), color=colour, lw=1.3, gid="theory-line")
                if drawn:
                    ax.set_yscale("log")
                    _tidy_log_axis(ax)
                    _mark_identical(ax, mids, log=True)
                else:
                    _note_in_axes(ax, f"no positive finite {name} values")
                ax.set_xlim(0.5, d + 0.5)
                if d == 1:
                    ax.set_xticks([1])
                ax.set_xlabel("layer l  (1 = first, next to the input)")
                ax.set_ylabel(ylabel)
                what = "backward signal" if col == 0 else "weight gradient"
                ax.set_title(f"{sw.family_title(fam)}: {what} (depth {d}, width {w})")
                if col == 1 and drawn:
                    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), framealpha=0.85)
        fig.suptitle("Gradient flow: the backward signal and weight gradients layer by layer, "
                     "around the edge of chaos")
    return fig


def finite_width(data, **select):
    """Finite-width fluctuations: the spread (standard deviation across seeds)
    of ln q[L] and of ln delta_sq[1] against depth/width, at each family's
    edge of chaos (Hanin 2018: it grows with L/n). With a single seed there is
    no spread: the figure shows the values themselves and says so."""
    sw = _Sweep(data)
    fams = sw.families(**select)
    widths = sw.values("width")
    markers = dict(zip(widths, "osD^v<>ph*"))
    palette = matplotlib.colormaps["tab10" if len(fams) <= 10 else "tab20"]
    colours = [palette(i % palette.N) for i in range(len(fams))]
    spread = sw.seeds_per_cell > 1
    series = []
    xs = []
    for fam, colour in zip(fams, colours):
        fmask = sw.mask(**fam)
        d_max, w_max = max(sw.values("depth", fmask)), max(sw.values("width", fmask))
        centre, source = sw.centre(fam, d_max, w_max)
        s = around(sw.values("sigma_w", fmask), centre, (1.0,))[0]
        for w in sw.values("width", fmask):
            pts = {"q": [], "delta_sq": []}
            for d in sw.values("depth", fmask):
                m = fmask & (sw.axis["sigma_w"] == s) & (sw.axis["width"] == w) & \
                    (sw.axis["depth"] == d) & sw.computed
                for name, col in (("q", d - 1), ("delta_sq", 0)):
                    v = sw.var(name)[m][:, col]
                    v = np.log(v[np.isfinite(v) & (v > 0)])
                    if spread and len(v) >= 2:
                        pts[name].append((d / w, float(np.std(v, ddof=1))))
                    elif not spread and len(v):
                        pts[name].append((d / w, float(v.mean())))
            series.append((fam, s, source, w, colour, pts))
            xs += [p[0] for p in pts["q"] + pts["delta_sq"]]
    xlog = len(xs) > 1 and min(xs) > 0 and max(xs) / min(xs) > 10
    what = "standard deviation across seeds of" if spread else "value of (single seed: no spread)"
    from_theory = all(s[2] == "theory" for s in series)
    notes = [f"Each point: one (depth L, width n) at each activation's edge of chaos σ_w "
             f"({'theory' if from_theory else 'measured where the file has no theory'}); "
             f"y: {what} the natural log. Finite width makes each layer multiply q by a random factor, so "
             "the log's spread grows like √(L/n) (Hanin 2018); infinite width would give 0."]
    if spread:
        k = sw.seeds_per_cell
        notes.append(f"With k = {k} seeds a standard deviation is itself uncertain by about "
                     f"1/√(2(k−1)) = {100 / math.sqrt(2 * (k - 1)):.0f} % of its value.")
    else:
        notes.append("This sweep has one seed per configuration: run several seeds to see the spread.")
    entries = len({(sw.family_title(f), s) for f, s, *_ in series}) + len(widths)
    with _style():
        fig, axs = _figure_with_caption(12.0 if entries <= 6 else 15.0, max(4.6, 0.2 * entries + 0.8),
                                        notes, 1, 2)
        for ax, name, label in ((axs[0, 0], "q", r"ln $q[L]$  (forward, last layer)"),
                                (axs[0, 1], "delta_sq", r"ln $\delta^2[1]$  (backward, first layer)")):
            drawn = False
            for fam, s, source, w, colour, pts in series:
                p = sorted(pts[name])
                if not p:
                    continue
                x, y = zip(*p)
                ax.plot(x, y, marker=markers.get(w, "o"), ms=6, lw=1.2, color=colour, gid="measured")
                drawn = True
            if not drawn:
                _note_in_axes(ax, "no finite values")
            if xlog:
                ax.set_xscale("log")
                ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_xlabel("depth / width  L/n")
            ax.set_ylabel(("std across seeds of " if spread else "") + label)
            ax.set_title(("spread of " if spread else "") + label.split("  ")[0])
        handles, seen = [], set()
        for fam, s, _, _, colour, _ in series:
            label = f"{sw.family_title(fam)}, σ_w = {s:.3g}"
            if label not in seen:
                seen.add(label)
                handles.append(Line2D([], [], color=colour, lw=1.5, label=label))
        handles += [Line2D([], [], color="0.3", ls="none", marker=markers[w], label=f"width n = {w}")
                    for w in widths]
        if len(handles) <= 6:
            axs[0, 0].legend(handles=handles, loc="best", framealpha=0.85)
        else:  # beside the panels, not over the data
            axs[0, 1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                             framealpha=0.85)
        fig.suptitle("Finite width: fluctuations across seeds of the forward length and the backward "
                     "signal grow with depth/width" if spread else
                     "Finite width: forward length and backward signal against depth/width")
    return fig


# ---- correlated inputs and measured depth scales ---------------------------------------------

def combine_depth_scales(xi, stderr):
    """One depth scale from several fits (the seeds of a cell): the
    inverse-variance mean of the fitted decay factors chi = exp(-1/xi), which
    is what a fit estimates with a symmetric error, turned back into a depth
    scale. Returns (xi, standard error); NaNs when no fit is finite."""
    xi, stderr = np.asarray(xi, float), np.asarray(stderr, float)
    ok = np.isfinite(xi) & np.isfinite(stderr) & (xi > 0) & (stderr > 0)
    if not ok.any():
        return math.nan, math.nan
    chi = np.exp(-1 / xi[ok])
    w = 1 / (stderr[ok] * chi * np.log(chi) ** 2) ** 2  # 1 / se(chi)^2
    c = float(np.dot(w, chi) / w.sum())
    if not 0 < c < 1:
        return math.nan, math.nan
    se = 1 / math.sqrt(w.sum())
    return -1 / math.log(c), se / (c * math.log(c) ** 2)


def _reason_names(sw, which):
    """Each configuration's xi_<which>_measured_reason as a name."""
    codes = sw.var(f"xi_{which}_measured_reason")
    meanings = sw.ds[f"xi_{which}_measured_reason"].attrs["flag_meanings"].split()
    return np.array([meanings[k] if 0 <= k < len(meanings) else "unknown" for k in codes])


def _phase_name(chi1):
    if not np.isfinite(chi1):
        return ""
    if abs(chi1 - 1) < 0.02:
        return "near the edge of chaos"
    return "ordered" if chi1 < 1 else "chaotic"


def _rho_values(sw, mask):
    return sw.values("input_correlation", mask) if "input_correlation" in sw.axes else [None]


def _rho_mask(sw, rho):
    return np.ones(sw.n, bool) if rho is None else sw.axis["input_correlation"] == rho


def _rho_colours(rhos):
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(0.1 + 0.75 * i / max(1, len(rhos) - 1)) for i in range(len(rhos))]


def correlation_map(data, sigma_w=None, depth=None, width=None, **select):
    """The correlation map measured: per layer, c[l] (the mean cosine of
    z[l] between distinct samples) from each input correlation c[0] of the
    sweep, beside the mean-field c map from the same c[0], for an ordered, a
    near-critical and a chaotic sigma_w (or those given); below, |c[l] - c*|
    on a log scale, where the approach exp(-l/xi_c) is a straight line, with
    the measured fit over its window. One family (activation, init, sigma_b,
    batch); every input_correlation of it is drawn."""
    sw = _Sweep(data)
    fam = sw.family(split_by=FAMILY_AXES, **select)
    cmask, depth, width, selected, centre, source = _layer_figure_setup(
        sw, fam, depth, width, sigma_w, factors=(0.75, 1.0, 1.5))
    rhos = _rho_values(sw, cmask)
    colours = _rho_colours(rhos)
    layers = np.arange(1, depth + 1)
    has_fit = sw.has("xi_c_measured")
    has_star = sw.has("c_star_theory")
    seeds = max(int((cmask & sw.computed & (sw.axis["sigma_w"] == s)
                     & _rho_mask(sw, r)).sum()) for s in selected for r in rhos)
    every = max(1, depth // 40)
    notes = [
        f"Top: c[l], the mean cosine similarity of the pre-activations z[l] between distinct "
        f"samples (markers: mean over {seeds} seed{'s' if seeds != 1 else ''}"
        f"{', band: min–max' if seeds > 1 else ''}), from inputs whose pairwise correlation is "
        "c[0] (colours). Lines: the mean-field correlation map c[l] = q12[l]/q[l] from the same "
        "c[0] (Poole et al. 2016); dotted: its stable fixed point c*. As the width grows the "
        "cosine and q12/q coincide; at width n they differ by O(1/n) and c[l] fluctuates by "
        "about c(1 − c)·√(2/n) per layer (docs/theory.md).",
        "Bottom: |c[l] − c*| on a log scale, where an exponential approach exp(−l/ξ_c) is a "
        "straight line. Ordered phase: every pair of inputs becomes the same (c* = 1); chaotic: "
        "c* < 1; near the edge of chaos the approach is slowest (ξ_c → ∞)."
        + (" Thick pale lines: the measured fit exp(−l/ξ_c) (xi_c_measured, combined over "
           "the seeds) over its window, which ends where |c[l] − c*| reaches the noise floor "
           "of finite width." if has_fit else "")]
    with _style():
        fig, axs = _figure_with_caption(4.6 * len(selected) + 1.0, 7.4, notes, 2, len(selected))
        for j, s in enumerate(selected):
            top, bottom = axs[0, j], axs[1, j]
            smask = cmask & (sw.axis["sigma_w"] == s)
            rows_any = np.flatnonzero(smask)
            chi1 = sw.var("chi1_theory")[rows_any[0]] if sw.has("chi1_theory") else math.nan
            xi_theory = sw.var("xi_c_theory")[rows_any[0]] if sw.has("xi_c_theory") else math.nan
            cstar = sw.var("c_star_theory")[rows_any[0]] if has_star else math.nan
            if not np.isfinite(cstar) and sw.has("c_theory"):
                cstar = sw.var("c_theory")[rows_any[0], depth - 1]
            if np.isfinite(cstar):
                top.axhline(cstar, color="0.35", ls=":", lw=1.2, gid="theory-c-star")
            for r, colour in zip(rhos, colours):
                m = smask & _rho_mask(sw, r) & sw.computed
                c = sw.var("c")[m][:, :depth]
                label = "c[0] = ?" if r is None else f"c[0] = {r:g}"
                if len(c):
                    mid, lo, hi = _seed_summary(c, False)
                    _spread(top, layers, lo, hi, colour, len(c))
                    top.plot(layers, mid, ls="none", marker="o", ms=3.2, markevery=every,
                             color=colour, gid="measured")
                    if np.isfinite(cstar):
                        dev = np.abs(mid - cstar)
                        ok = dev > 0
                        bottom.plot(layers[ok], dev[ok], ls="none", marker="o", ms=3.2,
                                    markevery=every, color=colour, gid="measured")
                if sw.has("c_theory"):
                    t = sw.var("c_theory")[smask & _rho_mask(sw, r)][:, :depth]
                    if len(t):
                        top.plot(layers, t[0], color=colour, lw=1.3, gid="theory-line")
                        if np.isfinite(cstar):
                            dev = np.abs(t[0] - cstar)
                            ok = dev > 1e-15
                            bottom.plot(layers[ok], dev[ok], color=colour, lw=1.3,
                                        gid="theory-line")
                if has_fit and len(c) and np.isfinite(cstar):
                    xi, se = combine_depth_scales(sw.var("xi_c_measured")[m],
                                                  sw.var("xi_c_measured_stderr")[m])
                    if np.isfinite(xi):
                        fitted = sw.var("xi_c_measured_reason")[m] == 1
                        first = int(sw.var("xi_c_fit_first_layer")[m][fitted].min())
                        last = int(sw.var("xi_c_fit_last_layer")[m][fitted].max())
                        anchor = abs(np.mean(c[:, first - 2]) - cstar)
                        ll = np.arange(first - 1, last + 1)
                        bottom.plot(ll, anchor * np.exp(-(ll - first + 1) / xi), color=colour,
                                    lw=6, alpha=0.3, solid_capstyle="butt", gid="measured-fit")
                        label += f": ξ_c = {xi:.3g} ± {se:.2g}"
                    else:
                        names = _reason_names(sw, "c")[m]
                        label += f": ξ_c not fitted ({', '.join(sorted(set(names)))})"
                top.plot([], [], color=colour, marker="o", ms=3.2, lw=1.3, label=label)
            phase = _phase_name(chi1)
            title = f"σ_w = {s:.3g}" + (f", {phase}" if phase else "")
            if np.isfinite(xi_theory):
                title += f"\nξ_c (theory) = {xi_theory:.3g}"
            elif xi_theory == math.inf:
                title += "\nξ_c (theory) = ∞"
            top.set_title(title)
            top.set_ylabel("c[l]")
            top.set_ylim(min(-0.05, top.get_ylim()[0]), 1.05)
            top.legend(loc="best", fontsize=8, framealpha=0.85)
            bottom.set_yscale("log")
            bottom.set_ylabel("|c[l] − c*|")
            for ax in (top, bottom):
                ax.set_xlabel("layer l")
                ax.set_xlim(0.5, depth + 0.5)
        fig.suptitle(f"The correlation map, measured: {sw.family_title(fam)}, depth {depth}, "
                     f"width {width}")
    return fig


def depth_scales(data, depth=None, width=None, **select):
    """xi_c and xi_q measured (markers: the seeds' fits combined, error bars
    one standard error) against the mean-field depth scales (lines) over
    sigma_w, at one depth and width (default: the largest), one colour per
    input correlation: the divergence of xi_c at the edge of chaos
    (Schoenholz et al. 2017, Figures 2-3). Needs a file with the measured
    depth scales (a sweep with the input_correlation axis)."""
    sw = _Sweep(data)
    if not sw.has("xi_c_measured"):
        raise ValueError("this file has no measured depth scales: sweep with the "
                         "input_correlation axis (docs/usage.md)")
    fam = sw.family(split_by=FAMILY_AXES, **select)
    fmask = sw.mask(**fam)
    depth = int(snap(sw.values("depth", fmask), depth, "depth") if depth
                else max(sw.values("depth", fmask)))
    width = int(snap(sw.values("width", fmask), width, "width") if width
                else max(sw.values("width", fmask)))
    cmask = fmask & (sw.axis["depth"] == depth) & (sw.axis["width"] == width)
    sigmas = np.array(sw.values("sigma_w", cmask), float)
    rhos = _rho_values(sw, cmask)
    colours = _rho_colours(rhos)
    crit = sw.theory_critical(fam)
    seeds = max(int((cmask & (sw.axis["sigma_w"] == s) & _rho_mask(sw, r)).sum())
                for s in sigmas for r in rhos)
    # What to draw, per panel: the theory's curve and each input correlation's points.
    names = {which: _reason_names(sw, which) for which in ("c", "q")}
    panels = {}
    missing = {}
    for which in ("c", "q"):
        theory = np.array([sw.var(f"xi_{which}_theory")[cmask & (sw.axis["sigma_w"] == s)][0]
                           for s in sigmas])
        points = []
        for r in rhos:
            xs, ys, es = [], [], []
            for s in sigmas:
                m = cmask & (sw.axis["sigma_w"] == s) & _rho_mask(sw, r)
                xi, se = combine_depth_scales(sw.var(f"xi_{which}_measured")[m],
                                              sw.var(f"xi_{which}_measured_stderr")[m])
                for name in names[which][m]:
                    if name != "fitted":
                        missing.setdefault(which, {}).setdefault(name, 0)
                        missing[which][name] += 1
                if np.isfinite(xi):
                    xs.append(s)
                    ys.append(xi)
                    es.append(se)
            points.append((np.array(xs), np.array(ys), np.array(es)))
        panels[which] = (theory, points)
    notes = [f"Markers: the measured depth scale of networks of depth {depth} and width {width}, "
             f"the fits of {seeds} seed{'s' if seeds != 1 else ''} combined (inverse-variance "
             "mean of their decay factors), error bars one standard error; colours: the inputs' "
             "correlation c[0]. Lines: mean-field ξ = −1/log χ at the fixed point (ξ_c: slope of "
             "the correlation map at c*; ξ_q: of the length map at q*). ξ_c diverges at the edge "
             "of chaos, where a network of any depth keeps its inputs' correlations (Schoenholz "
             "et al. 2017, Figures 2–3); a network shows a depth scale only up to about its own "
             "depth, so near the edge the fits end as long_transient or no_decay."]
    for which, counts in missing.items():
        notes.append(f"ξ_{which} not fitted: " + ", ".join(
            f"{name} ({n})" for name, n in sorted(counts.items(), key=lambda t: -t[1]))
            + f" configurations (xi_{which}_measured_reason; docs/theory.md).")
    with _style():
        fig, axs = _figure_with_caption(12.5, 4.9, notes, 1, 2)
        for ax, which, label in ((axs[0, 0], "c", "ξ_c: correlations between inputs"),
                                 (axs[0, 1], "q", "ξ_q: the length q")):
            theory, points = panels[which]
            ok = np.isfinite(theory) & (theory > 0)
            ax.plot(sigmas[ok], theory[ok], color="k", lw=1.5, gid="theory-line",
                    label="mean-field theory")
            drawn = []
            for k, (r, colour, (xs, ys, es)) in enumerate(zip(rhos, colours, points)):
                if not len(xs):
                    continue
                shifted = xs * (1 + 0.006 * (k - (len(rhos) - 1) / 2))  # side by side
                lower = np.minimum(es, ys * 0.95)  # a log axis cannot show 0
                ax.errorbar(shifted, ys, yerr=[lower, es], ls="none", marker="o", ms=5,
                            color=colour, capsize=2, gid="measured",
                            label="measured" + ("" if r is None else f", c[0] = {r:g}"))
                drawn += list(ys + es) + list(ys - lower)
            if crit is not None and math.isfinite(crit) and sigmas.min() <= crit <= sigmas.max():
                ax.axvline(crit, color="k", ls="--", lw=1.2, gid="theory-critical",
                           label=f"edge of chaos σ_w = {crit:.3g}")
            ax.set_yscale("log")
            values = np.array(drawn + list(theory[ok]))
            values = values[np.isfinite(values) & (values > 0)]
            if len(values):
                top = max(3.0 * depth, 1.5 * max(drawn)) if drawn else 3.0 * depth
                ax.set_ylim(max(0.2, 0.6 * values.min()), top)
            ax.set_xlabel(r"weight scale $\sigma_w$")
            ax.set_ylabel("depth scale  [layers]")
            ax.set_title(label)
            if not drawn:
                _note_in_axes(ax, f"no measured ξ_{which} at depth {depth}, width {width}")
            ax.legend(loc="best", fontsize=8, framealpha=0.85)
        fig.suptitle(f"Depth scales measured and predicted: {sw.family_title(fam)}")
    return fig


# ---- the input-output Jacobian (files with jacobian_samples > 0) ------------------------------

# Machine epsilon of each precision: a singular value below JACOBIAN_RANK_EPS
# x eps x sigma_max is rounding, not spectrum (J is singular to working
# precision there: relu zeroes about half of each layer's units, so J[L] has
# rank at most about n/2 and its smallest singular values are exactly 0).
EPSILON = {"float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps)}
JACOBIAN_RANK_EPS = 100.0
INIT_COLOURS = {"gaussian": "tab:red", "uniform": "tab:orange", "orthogonal": "tab:blue"}


def has_jacobian(data):
    """Whether the file holds the Jacobian's variables (jacobian_samples > 0)."""
    return "jac_sv" in _dataset(data)


def _jacobian_sweep(data):
    sw = _Sweep(data)
    if not sw.has("jac_sv"):
        raise ValueError("this file has no Jacobian: run the sweep with jacobian_samples: K "
                         "(or --jacobian-samples K)")
    return sw


def _edge_sigma(sw, fam):
    """The grid sigma_w nearest the family's edge of chaos (theory, else measured
    from the backward signal at the largest depth and width)."""
    m = sw.mask(**fam)
    centre, _ = sw.centre(fam, max(sw.values("depth", m)), max(sw.values("width", m)))
    return around(sw.values("sigma_w", m), centre, (1.0,))[0]


def _rounding_floor(sw):
    return JACOBIAN_RANK_EPS * EPSILON.get(sw.precision, EPSILON["float32"])


def jacobian_spectra(data, depths=None, width=None, **select):
    """The singular-value density of the input-output Jacobian J[L] at each
    activation's edge of chaos, Gaussian against orthogonal weights, at
    several depths (Pennington, Schoenholz & Ganguli 2017, Figures 1-2): one
    row per (activation, sigma_b, batch), one column per depth, a histogram of
    log10 sigma over every seed's jac_sv per init. Values below the rounding
    floor (J singular to working precision) are counted, not drawn."""
    sw = _jacobian_sweep(data)
    fams = sw.families(**{k: v for k, v in select.items() if k != "init"})
    rows, seen = [], set()
    for fam in fams:  # one row per family but init: the inits share a panel
        key = tuple(fam[a] for a in FAMILY_AXES if a != "init")
        if key not in seen:
            seen.add(key)
            rows.append(fam)
    all_depths = sw.values("depth")
    depths = [snap(all_depths, d, "depth") for d in depths] if depths else all_depths
    if len(depths) > 5:  # a few, spread out
        depths = [depths[int(round(i))] for i in np.linspace(0, len(depths) - 1, 5)]
    width = snap(sw.values("width"), width, "width") if width else max(sw.values("width"))
    floor = _rounding_floor(sw)
    inits = sw.values("init")
    notes = [f"Histogram of log10 of the singular values σ of J[L] = ∂a[L]/∂x (first sample of "
             f"each seed's batch, every seed pooled), width {width}, at each activation's edge of "
             "chaos (σ_w nearest the theory's critical value). Dynamical isometry is a spike "
             "(at σ = 1, dotted, when the mean is 1 too): orthogonal weights keep the spectrum "
             "narrow where the activation's φ' is nearly constant (linear; tanh near q* = 0), "
             "Gaussian weights spread it over more decades the deeper the network; relu cannot "
             "be isometric (about half its units are dead at every layer).",
             f"Values below {JACOBIAN_RANK_EPS:g} ε σ_max ({sw.precision or 'float32'} ε) are "
             "rounding: J is singular to working precision there; their share is printed "
             "(\"≈ 0\"), not drawn. Each panel prints, per init, σ_w and the normalised variance "
             "Var(λ)/mean(λ)² of λ = σ²: measured (mean over seeds) vs the free-probability "
             "theory."]
    with _style():
        fig, axs = _figure_with_caption(3.3 * len(depths) + 0.6, 2.7 * len(rows) + 0.6, notes,
                                        len(rows), len(depths), sharey=False)
        for r, fam in enumerate(rows):
            base = {a: fam[a] for a in FAMILY_AXES if a != "init"}
            for c, d in enumerate(depths):
                ax = axs[r, c]
                series = []  # (init, sigma_w, log10 sigma kept, share at rounding, rows)
                for init in inits:
                    f = dict(base, init=init)
                    if not sw.mask(**f).any():
                        continue
                    s_edge = _edge_sigma(sw, f)
                    m = (sw.mask(**f, depth=d, width=width) & sw.computed
                         & (sw.axis["sigma_w"] == s_edge))
                    if not m.any():
                        continue
                    sv = sw.var("jac_sv")[m]
                    top = np.nanmax(sv, axis=1, keepdims=True)
                    ok = np.isfinite(sv) & (sv > floor * top) & (sv > 0)
                    lost = 1 - ok.sum() / max(np.isfinite(sv).sum(), 1)
                    series.append((init, s_edge, np.log10(sv[ok]), lost, m))
                # Common bins; a spectrum narrower than a bin (an isometry) is a
                # spike, drawn as a bar to the top and labelled, so that it does
                # not flatten the others.
                values = [v for _, _, v, _, _ in series if len(v)]
                if values:
                    lo = min(v.min() for v in values)
                    hi = max(v.max() for v in values)
                    pad = 0.05 + 0.02 * (hi - lo)
                    bins = np.linspace(lo - pad, hi + pad, 41)
                    width_bin = bins[1] - bins[0]
                    peak = 0.0
                    for init, _, v, _, _ in series:
                        if len(v) and v.max() - v.min() > width_bin:
                            peak = max(peak, np.histogram(v, bins=bins, density=True)[0].max())
                    peak = peak or 1.0
                for k, (init, s_edge, v, lost, m) in enumerate(series):
                    colour = INIT_COLOURS.get(init, "0.4")
                    if len(v) and v.max() - v.min() <= width_bin:
                        ax.bar([np.median(v)], [peak * 1.05], width=width_bin, color=colour,
                               alpha=0.6, gid="density")
                        ax.text(np.median(v), peak * 1.07, f"all σ = {10 ** np.median(v):.4g}",
                                ha="center", va="bottom", fontsize=7.5, color=colour)
                    elif len(v):
                        ax.hist(v, bins=bins, density=True, histtype="stepfilled", alpha=0.35,
                                color=colour, gid="density")
                        ax.hist(v, bins=bins, density=True, histtype="step", lw=1.2, color=colour)
                    ratio = sw.var("jac_sq_sv_var_ratio")[m][:, d - 1]
                    theory = (sw.var("jac_sq_sv_var_ratio_theory")[m][0, d - 1]
                              if sw.has("jac_sq_sv_var_ratio_theory") else math.nan)
                    line = f"{init}, σ_w {s_edge:.3g}: {np.nanmean(ratio):.3g} vs {theory:.3g}"
                    if lost > 0.005:
                        line += f"; {100 * lost:.0f}% ≈ 0"
                    ax.text(0.02, 0.98 - 0.085 * k, line, transform=ax.transAxes, ha="left",
                            va="top", fontsize=7.5, color=colour)
                ax.axvline(0, color="0.3", ls=":", lw=1)
                if values:
                    ax.set_ylim(0, peak * (1.3 + 0.12 * len(series)))
                else:
                    _note_in_axes(ax, "no configuration here")
                ax.set_xlabel("log10 σ (singular value of J[L])")
                if c == 0:
                    ax.set_ylabel("density")
                title = f"{fam['activation']}"
                if sw.varying("sigma_b"):
                    title += f", σ_b = {fam['sigma_b']:g}"
                ax.set_title(f"{title}, depth {d}")
        fig.suptitle("Singular values of J[L] at the edge of chaos:\nGaussian (red) against "
                     "orthogonal (blue) weights")
    return fig


def jacobian_variance(data, width=None, **select):
    """The normalised variance of J[l]'s squared singular values against
    depth l, measured (mean over seeds and band) against the free-probability
    theory, at each family's edge of chaos: one panel per activation (and
    sigma_b, batch), one colour per init. Taken from the deepest
    configuration of each family (its layers are the shallower networks)."""
    sw = _jacobian_sweep(data)
    fams = sw.families(**{k: v for k, v in select.items() if k != "init"})
    panels, seen = [], set()
    for fam in fams:
        key = tuple(fam[a] for a in FAMILY_AXES if a != "init")
        if key not in seen:
            seen.add(key)
            panels.append(fam)
    width = snap(sw.values("width"), width, "width") if width else max(sw.values("width"))
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    notes = [f"Var(λ)/mean(λ)² of the eigenvalues λ of J[l] J[l]ᵀ (jac_sq_sv_var_ratio, width "
             f"{width}; markers: mean over seeds, band: min-max), and the free-probability "
             "prediction Σ_{k≤l} (μ2/μ1² − 1 − s1) along the length map (lines; s1 = −1 Gaussian, "
             "0 orthogonal; Pennington et al. 2017). 0 is dynamical isometry.",
             "The theory is the infinite-width limit. At width n the measured variance is "
             "biased by about +ρ²l²/(2n) (ρ = μ2/μ1²) while ρl/n is small, and it can never "
             "exceed n − 1, so deep Gaussian networks fall below the line once ρl approaches n "
             "(docs/theory.md, \"Finite width\")."]
    with _style():
        fig, axs = _figure_with_caption(4.6 * ncols + 0.6, 3.6 * nrows + 0.4, notes, nrows, ncols)
        for k in range(nrows * ncols):
            ax = axs[k // ncols, k % ncols]
            if k >= len(panels):
                ax.set_visible(False)
                continue
            base = {a: panels[k][a] for a in FAMILY_AXES if a != "init"}
            drawn = False
            for init in sw.values("init"):
                f = dict(base, init=init)
                if not sw.mask(**f).any():
                    continue
                s_edge = _edge_sigma(sw, f)
                m0 = sw.mask(**f, width=width) & sw.computed & (sw.axis["sigma_w"] == s_edge)
                if not m0.any():
                    continue
                d = max(sw.axis["depth"][m0])
                m = m0 & (sw.axis["depth"] == d)
                layers = np.arange(1, d + 1)
                values = sw.var("jac_sq_sv_var_ratio")[m][:, :d]
                centre, lo, hi = _seed_summary(values, False)
                colour = INIT_COLOURS.get(init, "0.4")
                every = max(1, d // 25)
                ax.plot(layers, centre, "o", ms=3.5, color=colour, markevery=every,
                        label=f"{init} (σ_w {s_edge:.3g}), measured", gid="measured")
                _spread(ax, layers, lo, hi, colour, int(m.sum()))
                if sw.has("jac_sq_sv_var_ratio_theory"):
                    ax.plot(layers, sw.var("jac_sq_sv_var_ratio_theory")[m][0, :d], color=colour,
                            lw=1.4, label=f"{init}, theory", gid="theory-line")
                drawn = True
            if not drawn:
                _note_in_axes(ax, "no configuration at this width")
            ax.set_xlabel("layer l")
            ax.set_ylabel("Var(λ) / mean(λ)²")
            title = f"{panels[k]['activation']}"
            if sw.varying("sigma_b"):
                title += f", σ_b = {panels[k]['sigma_b']:g}"
            ax.set_title(title)
            if drawn:
                ax.legend(loc="upper left", framealpha=0.85, fontsize=7.5)
        fig.suptitle("Normalised variance of the Jacobian's squared singular values against depth: "
                     "measured and free-probability theory")
    return fig


def jacobian_condition(data, width=None, **select):
    """Phase diagram of log10 of J[L]'s condition number sigma_max / sigma_min
    over (sigma_w, depth), mean over seeds, one panel per (activation, init)
    (and sigma_b, batch), with the theory's critical sigma_w. Cells where J is
    singular to working precision are hatched at the colour limit."""
    sw = _jacobian_sweep(data)
    fams = sw.families(**select)
    width = snap(sw.values("width"), width, "width") if width else max(sw.values("width"))
    limit = math.log10(1 / _rounding_floor(sw))
    ncols = min(len(sw.values("init")), 3) if len(fams) > 1 else 1
    nrows = -(-len(fams) // ncols)
    notes = [f"log10 (σ_max / σ_min) of J[L] (jac_sv_max / jac_sv_min, first sample, mean over "
             f"seeds), width {width}. 0 is dynamical isometry. Hatched: σ_min below "
             f"{JACOBIAN_RANK_EPS:g} ε σ_max ({sw.precision or 'float32'}): J is singular to "
             "working precision (relu: dead units make J rank deficient at any depth), drawn at "
             f"the colour limit {limit:.1f}. A square Gaussian matrix alone has σ_min ≈ "
             "σ_max/n, so Gaussian products pass the limit within a few layers. Dashed line: the "
             "critical σ_w (χ1 = 1) of the mean-field theory; on its chaotic side the condition "
             "number grows with depth whatever the weights."]
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=MISSING_COLOUR)
    with _style():
        fig, axs = _figure_with_caption(4.4 * ncols + 1.2, 3.4 * nrows + 0.4, notes, nrows, ncols)
        image = None
        for k in range(nrows * ncols):
            ax = axs[k // ncols, k % ncols]
            if k >= len(fams):
                ax.set_visible(False)
                continue
            fam = fams[k]
            fmask = sw.mask(**fam, width=width) & sw.computed
            depths, sigmas = sw.values("depth", fmask), sw.values("sigma_w", fmask)
            if not depths:
                _note_in_axes(ax, "no configuration at this width")
                continue
            xlog = max(sigmas) / min(sigmas) > 10 if min(sigmas) > 0 else False
            xe, ye = _edges(sigmas, xlog), _edges(depths, _log_axis(depths))
            z = np.full((len(depths), len(sigmas)), np.nan)
            singular = np.zeros(z.shape, bool)
            for di, d in enumerate(depths):
                for si, s in enumerate(sigmas):
                    m = fmask & (sw.axis["depth"] == d) & (sw.axis["sigma_w"] == s)
                    if not m.any():
                        continue
                    with np.errstate(all="ignore"):
                        kappa = np.log10(sw.var("jac_sv_max")[m] / sw.var("jac_sv_min")[m])
                    kappa = np.where(np.isnan(kappa), np.inf, kappa)
                    singular[di, si] = bool((kappa >= limit).any())
                    z[di, si] = float(np.mean(np.minimum(kappa, limit)))
            image = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=cmap, vmin=0, vmax=limit,
                                  shading="flat")
            for di in range(len(depths)):
                for si in range(len(sigmas)):
                    if singular[di, si]:
                        ax.add_patch(Rectangle((xe[si], ye[di]), xe[si + 1] - xe[si],
                                               ye[di + 1] - ye[di], fill=False, hatch=HATCH_INF,
                                               edgecolor="white", lw=0))
            crit = sw.theory_critical(fam)
            if crit is not None and math.isfinite(crit):
                ax.axvline(crit, color="white", ls="--", lw=1.3)
            if xlog:
                ax.set_xscale("log")
            if _log_axis(depths):
                ax.set_yscale("log")
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
                ax.yaxis.set_minor_locator(NullLocator())
            ax.set_yticks(_sparse_ticks(depths, ye, _log_axis(depths)))
            ax.set_xlabel("σ_w")
            ax.set_ylabel("depth L")
            ax.set_title(sw.family_title(fam))
        if image is not None:
            bar = fig.colorbar(image, ax=axs.ravel().tolist(), shrink=0.9)
            bar.set_label("log10 condition number of J[L]")
        fig.suptitle("Condition number of the input-output Jacobian over (σ_w, depth)")
    return fig


# ---- the summary table ---------------------------------------------------------------------

TABLE_KEYS = ("activation", "init", "sigma_b", "batch", "width", "depth")


def healthy_band_table(data):
    """Per (activation, init, sigma_b, batch, width, depth): the measured
    healthy band of sigma_w, i.e. the grid values whose mean over seeds of
    log10_delta_ratio has |.| < 1 (a seed with inf/NaN makes the mean
    non-finite: not healthy), next to the theory's critical sigma_w (NaN when
    the file has no theory). Only computed configurations (done, nonfinite,
    underflow)
    count."""
    sw = _Sweep(data)
    keys = TABLE_KEYS + tuple(a for a in OPTIONAL_AXES if a in sw.axes) + sw.block_axes
    df = pd.DataFrame({k: sw.axis[k] for k in keys + ("sigma_w", "seed")})
    df["ratio"] = sw.var("log10_delta_ratio")
    df = df[sw.computed]
    crit_theory = sw.var("sigma_w_critical_theory") if sw.has("sigma_w_critical_theory") else None
    out = []
    for key, group in df.groupby(list(keys), sort=False):
        sigmas, means, seeds = [], [], []
        for s, g in group.groupby("sigma_w", sort=True):
            sigmas.append(s)
            means.append(np.mean(g["ratio"].to_numpy()))
            seeds.append(len(g))
        sigmas, means = np.array(sigmas), np.array(means)
        with np.errstate(invalid="ignore"):
            healthy = np.abs(means) < HEALTHY
        idx = np.flatnonzero(healthy)
        finite = np.flatnonzero(np.isfinite(means))
        best = finite[np.argmin(np.abs(means[finite]))] if len(finite) else None
        row = dict(zip(keys, key))
        fam_rows = np.ones(sw.n, bool)
        for k in sw.family_axes:
            fam_rows &= sw.axis[k] == row[k]
        crit = math.nan
        if crit_theory is not None:
            c = crit_theory[fam_rows]
            c = c[np.isfinite(c)]
            crit = float(np.median(c)) if len(c) else math.nan
        row.update(
            seeds=int(min(seeds)), sigma_w_tested=len(sigmas), sigma_w_min=sigmas.min(),
            sigma_w_max=sigmas.max(),
            healthy_low=sigmas[idx[0]] if len(idx) else math.nan,
            healthy_high=sigmas[idx[-1]] if len(idx) else math.nan,
            healthy_count=len(idx),
            healthy_contiguous=bool(len(idx) and idx[-1] - idx[0] + 1 == len(idx)),
            best_sigma_w=sigmas[best] if best is not None else math.nan,
            best_log10_delta_ratio=means[best] if best is not None else math.nan,
            critical_sigma_w_theory=crit)
        out.append(row)
    # Rows in the sweep's order of activations and inits, then by number.
    table = pd.DataFrame(out)
    order = {a: {v: i for i, v in enumerate(sw.values(a))} for a in ("activation", "init")}
    return table.sort_values(["activation", "init", "sigma_b", "batch",
                              *[a for a in OPTIONAL_AXES if a in table], "width", "depth"],
                             key=lambda c: c.map(order[c.name]) if c.name in order else c,
                             kind="stable").reset_index(drop=True)


def _g(x, digits=4):
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{digits}g}"


def table_markdown(table, has_theory=True):
    """The healthy-band table as Markdown; columns that hold one value for
    every row (init, batch, ...) are named once above the table instead."""
    keys = ["activation", "sigma_b", "init", "batch",
            *[a for a in OPTIONAL_AXES if a in table], "width"]
    keys += [k for k in BLOCK_AXES if k in table]
    constant = [k for k in keys if k != "activation" and table[k].nunique() <= 1]
    shown = [k for k in keys if k not in constant]
    heads = {"activation": "activation", "sigma_b": "σ_b", "init": "init", "batch": "batch",
             "width": "width", "input_correlation": "c[0]", "branch": "α", "norm": "norm"}
    reals = ("sigma_b", "input_correlation")
    same = ", ".join(f"{heads[k]} = {_g(table[k].iloc[0]) if k in reals else table[k].iloc[0]}"
                     for k in constant if len(table))
    lines = [
        "# Healthy band of σ_w, measured",
        "",
        f"For each activation and depth: the swept σ_w values where the backward signal neither "
        f"vanishes nor explodes, |mean over seeds of log10_delta_ratio| < {HEALTHY:g} (less than a "
        "decade of change from the last layer to the first). The band's edges are grid values: the "
        "true edge lies between them and the next grid value. 'best' is the σ_w whose ratio is "
        "closest to 0. "
        + ("The last column is the mean-field critical σ_w (χ1 = 1)." if has_theory else
           "This file has no mean-field theory: the critical-σ_w column is empty."),
        "",
    ]
    if same:
        lines += [f"Every row: {same}.", ""]
    lines += [
        "| " + " | ".join(heads[k] for k in shown) + " | depth | seeds | healthy σ_w (measured) | "
        "healthy / tested | best σ_w | its log10 δ ratio | critical σ_w (theory) |",
        "| " + " | ".join("---" if k in ("activation", "init") else "---:" for k in shown)
        + " | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in table.to_dict("records"):
        if r["healthy_count"] == 0:
            band = f"none in {_g(r['sigma_w_min'])} – {_g(r['sigma_w_max'])}"
        elif r["healthy_low"] == r["healthy_high"]:
            band = _g(r["healthy_low"])
        else:
            band = f"{_g(r['healthy_low'])} – {_g(r['healthy_high'])}"
            if not r["healthy_contiguous"]:
                band += " (with gaps)"
        cells = [_g(r[k]) if k in reals else str(r[k]) for k in shown]
        cells += [str(r["depth"]), str(r["seeds"]), band, f"{r['healthy_count']}/{r['sigma_w_tested']}",
                  _g(r["best_sigma_w"]), _g(r["best_log10_delta_ratio"], 3),
                  _g(r["critical_sigma_w_theory"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_table(data, outdir, stem="healthy_band"):
    """Writes the healthy-band table as stem.csv (full precision) and stem.md."""
    sw = _Sweep(data)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    table = healthy_band_table(sw.ds)
    csv, md = outdir / f"{stem}.csv", outdir / f"{stem}.md"
    table.to_csv(csv, index=False)
    md.write_text(table_markdown(table, has_theory=sw.has("sigma_w_critical_theory")))
    return [md, csv]


# ---- everything ---------------------------------------------------------------------------

def figures(data, sigma_w=None, depth=None, width=None):
    """Yields (file stem, Figure) for every figure of the sweep, one at a time."""
    sw = _Sweep(data)
    for fam in sw.families():
        yield f"phase_diagram_{sw.family_stem(fam)}", phase_diagram(sw.ds, **fam)
    for fam in sw.families():
        yield (f"signal_propagation_{sw.family_stem(fam)}",
               signal_propagation(sw.ds, sigma_w=sigma_w, depth=depth, width=width, **fam))
    if sw.has("xi_c_measured"):  # a sweep with the input_correlation axis
        for fam in sw.families(split_by=FAMILY_AXES):
            stem = sw.family_stem(fam)
            yield (f"correlation_map_{stem}",
                   correlation_map(sw.ds, sigma_w=sigma_w, depth=depth, width=width, **fam))
            yield f"depth_scales_{stem}", depth_scales(sw.ds, depth=depth, width=width, **fam)
    families = sw.families()
    if len(families) <= GRADIENT_FLOW_ROWS:
        yield "gradient_flow", gradient_flow(sw.ds, sigma_w=sigma_w, depth=depth, width=width)
    else:  # one figure per family rather than one too tall to read
        for fam in families:
            yield (f"gradient_flow_{sw.family_stem(fam)}",
                   gradient_flow(sw.ds, sigma_w=sigma_w, depth=depth, width=width, **fam))
    yield "finite_width", finite_width(sw.ds)
    if sw.has("jac_sv"):  # the input-output Jacobian (jacobian_samples > 0)
        yield "jacobian_spectra", jacobian_spectra(sw.ds)
        yield "jacobian_variance", jacobian_variance(sw.ds)
        yield "jacobian_condition", jacobian_condition(sw.ds)
    import gradsweep_blocks  # residual blocks, norms, the health report (it imports this module)
    yield from gradsweep_blocks.figures(sw.ds)
    if has_training(sw.ds):
        yield from training_figures(sw.ds)


def write_all(data, outdir, formats=("png", "pdf"), dpi=150, sigma_w=None, depth=None, width=None):
    """Writes every figure in every format, and the summary table, into
    outdir; returns the paths written."""
    ds = _dataset(data)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, fig in figures(ds, sigma_w=sigma_w, depth=depth, width=width):
        for fmt in formats:
            path = outdir / f"{stem}.{fmt}"
            fig.savefig(path, dpi=dpi, metadata=_metadata(fmt))
            written.append(path)
            # The layout is done: keep it for the other formats (same size in inches).
            fig.set_layout_engine("none")
    written += write_table(ds, outdir)
    import gradsweep_blocks
    written += gradsweep_blocks.write_report(ds, outdir)
    if has_training(ds):
        written += write_training_table(ds, outdir)
    return written


def _metadata(fmt):
    # No creation dates in the files: figures of the same data are identical.
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": "gradsweep analysis/plot.py"}
    if fmt == "png":
        return {"Software": "gradsweep analysis/plot.py"}
    return None


class _style:
    """rcParams for the figures, restored afterwards (a context manager)."""

    def __enter__(self):
        self._ctx = matplotlib.rc_context(STYLE)
        self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


# ---- training (files of sweeps with train:) -----------------------------------------------

TRAINING_PANELS = ("width", "learning_rate", "parametrization")  # one panel each, per family
MAX_TRAINING_PANELS = 12


def has_training(data):
    """Whether the file comes from a sweep with a train: section."""
    return "train_loss" in _dataset(data)


def _training_axis(sw, name):
    """A training axis per configuration: learning_rate, or parametrization's names."""
    values = sw.var(name)
    if name == "parametrization":
        meanings = np.array(sw.ds[name].attrs.get("flag_meanings", "standard ntk mup").split()
                            + ["unknown"])
        values = meanings[np.clip(values.astype(int), 0, len(meanings) - 1)]
    return values


def _training_panels(sw, fmask):
    """The (width, learning_rate, parametrization) combinations of a family, as
    (label, mask) pairs in the sweep's order."""
    axes = {"width": sw.axis["width"], "learning_rate": _training_axis(sw, "learning_rate"),
            "parametrization": _training_axis(sw, "parametrization")}
    keys = [tuple(axes[a][i] for a in TRAINING_PANELS) for i in np.flatnonzero(fmask)]
    panels = []
    for key in dict.fromkeys(keys):
        m = fmask.copy()
        for a, v in zip(TRAINING_PANELS, key):
            m &= axes[a] == v
        varying = [a for a in TRAINING_PANELS if len(set(k[TRAINING_PANELS.index(a)] for k in keys)) > 1]
        label = ", ".join(f"{a.replace('learning_rate', 'η').replace('width', 'n')} = {v:g}"
                          if not isinstance(v, str) else str(v)
                          for a, v in zip(TRAINING_PANELS, key) if a in varying or a == "width")
        panels.append((label, m, dict(zip(TRAINING_PANELS, key))))
    return panels


def _accuracy(sw):
    """Final test accuracy, or the last recorded training accuracy where the
    data has no test split; and which it is."""
    test = sw.var("test_accuracy")
    if np.isfinite(test).any():
        return test, "test accuracy after the last step"
    train = sw.var("train_accuracy")
    return train[:, -1], "training accuracy on the last minibatch"


def trainability(data, **select):
    """The trainability diagram of Schoenholz et al. 2017: accuracy after
    training over (sigma_w, depth), mean over seeds, one panel per width,
    learning rate and parametrization, for one family; the theory's critical
    sigma_w and trainable depth 6 xi_c drawn on it."""
    sw = _Sweep(data)
    fam = sw.family(**select)
    fmask = sw.mask(**fam)
    panels = _training_panels(sw, fmask)[:MAX_TRAINING_PANELS]
    accuracy, what = _accuracy(sw)
    nonfinite_step = sw.var("first_nonfinite_step") if sw.has("first_nonfinite_step") else None
    depths, sigmas = sw.values("depth", fmask), sw.values("sigma_w", fmask)
    xlog = max(sigmas) / min(sigmas) > 10 if min(sigmas) > 0 else False
    ylog = _log_axis(depths)
    xe, ye = _edges(sigmas, xlog), _edges(depths, ylog)
    classes = sw.ds.attrs.get("data_output_width", 0)
    chance = 1.0 / classes if classes else None
    crit = sw.theory_critical(fam)
    xi = None
    if sw.has("xi_c_theory"):
        xv = sw.var("xi_c_theory")
        xi = np.array([np.nanmedian(xv[fmask & (sw.axis["sigma_w"] == s)]) for s in sigmas])
    notes = [f"Colour and number: {what}, mean over seeds; 0 to 1"
             + (f" (chance: {chance:.2g})" if chance else "") + "."]
    if crit is not None and math.isfinite(crit):
        notes.append(f"Dashed line: the mean-field critical σ_w = {crit:.4g} (χ1 = 1).")
    if xi is not None and (np.isfinite(xi) & (xi > 0)).any():
        notes.append(f"Green curve: the trainable depth {TRAINABLE_DEPTH_FACTOR:g}·ξ_c of "
                     "Schoenholz et al. 2017 from the theory in the file: deeper networks are "
                     "not expected to train.")
    cells = []
    for label, pmask, _ in panels:
        z = np.full((len(depths), len(sigmas)), np.nan)
        diverged = np.zeros(z.shape, bool)
        for di, d in enumerate(depths):
            for si, s in enumerate(sigmas):
                m = pmask & (sw.axis["depth"] == d) & (sw.axis["sigma_w"] == s)
                v = accuracy[m]
                if nonfinite_step is not None:
                    diverged[di, si] = bool((nonfinite_step[m] >= 0).any())
                if np.isfinite(v).any():
                    z[di, si] = np.nanmean(v)
        cells.append((label, z, diverged))
    if any(d.any() for _, _, d in cells):
        notes.append(f"Crossed {HATCH_NONFINITE}: training diverged (a non-finite loss) for "
                     "at least one seed; its accuracy is not counted.")
    if any(np.isnan(z).any() for _, z, _ in cells):
        notes.append("Grey: no value (not computed, failed, or diverged for every seed).")
    cols = min(3, len(panels))
    rows = (len(panels) + cols - 1) // cols
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad(MISSING_COLOUR)
    with _style():
        fig, axs = _figure_with_caption(max(8.0, 4.6 * cols + 1.2), 3.8 * rows + 0.6, notes, rows,
                                        cols)
        for k, (label, z, diverged) in enumerate(cells):
            ax = axs[k // cols, k % cols]
            mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=cmap, vmin=0, vmax=1,
                                 shading="flat")
            mesh.set_gid("trainability")
            for (di, si) in zip(*np.nonzero(diverged)):
                ax.add_patch(Rectangle((xe[si], ye[di]), xe[si + 1] - xe[si], ye[di + 1] - ye[di],
                                       fill=False, hatch=HATCH_NONFINITE, edgecolor="0.2",
                                       linewidth=0))
            if crit is not None and math.isfinite(crit) and xe[0] <= crit <= xe[-1]:
                ax.axvline(crit, color="w", ls="--", lw=1.6, gid="theory-critical")
            if xi is not None:
                y = TRAINABLE_DEPTH_FACTOR * xi
                ok = np.isfinite(y) & (y > 0)
                if ok.any():
                    ax.plot(np.asarray(sigmas)[ok], np.clip(y[ok], ye[0], ye[-1]), color="#2ca02c",
                            lw=2.2, marker=".", gid="theory-trainable-depth")
            if len(sigmas) <= ANNOTATE_MAX[0] * 2 and len(depths) <= ANNOTATE_MAX[1] * 2:
                for (di, si), value in np.ndenumerate(z):
                    if np.isfinite(value):
                        ax.text(_centre(xe, si, xlog), _centre(ye, di, ylog), f"{value:.2f}",
                                ha="center", va="center", fontsize=7.5,
                                color="white" if _luminance(cmap(value)) < 0.45 else "black")
            _sigma_depth_axes(ax, sigmas, depths, xe, ye, xlog, ylog)
            ax.set_xlabel(r"weight scale $\sigma_w$")
            ax.set_ylabel("depth L")
            ax.set_title(label)
        for k in range(len(panels), rows * cols):
            fig.delaxes(axs[k // cols, k % cols])
        fig.colorbar(mesh, ax=list(axs.flat)[:len(panels)], shrink=0.9, label=what)
        fig.suptitle(f"Trainability, {sw.family_title(fam)}: "
                     f"{int(sw.ds.attrs.get('train_steps', 0))} {sw.ds.attrs.get('optimizer', '')} "
                     f"steps on {sw.ds.attrs.get('data', 'the data')}")
    return fig


def loss_curves(data, **select):
    """Training loss against step for every configuration of a family, one
    panel per (width, learning rate, parametrization) and depth, coloured by
    sigma_w (mean over seeds)."""
    sw = _Sweep(data)
    fam = sw.family(**select)
    fmask = sw.mask(**fam)
    panels = _training_panels(sw, fmask)[:MAX_TRAINING_PANELS]
    depths, sigmas = sw.values("depth", fmask), sw.values("sigma_w", fmask)
    steps = sw.ds["step"].values
    loss = sw.var("train_loss")
    crit = sw.theory_critical(fam)
    centre, source = sw.centre(fam, max(depths), sw.values("width", fmask)[-1])
    colour = dict(zip(sigmas, _sigma_colours(sigmas, centre)))
    notes = ["Training loss on each step's minibatch (batch mean), mean over seeds; colour: "
             f"σ_w, blue below the edge of chaos ({source}: σ_w = {centre:.3g}), red above, "
             "black nearest to it. A curve that stops: training diverged there (status "
             "nonfinite)."]
    cells = [(label, pmask, d) for label, pmask, _ in panels for d in depths]
    cols = min(4, len(cells))
    rows = (len(cells) + cols - 1) // cols
    with _style():
        fig, axs = _figure_with_caption(3.6 * cols + 1.5, 2.9 * rows + 0.6, notes, rows, cols,
                                        sharex=True)
        for k, (label, pmask, d) in enumerate(cells):
            ax = axs[k // cols, k % cols]
            for s in sigmas:
                m = pmask & (sw.axis["depth"] == d) & (sw.axis["sigma_w"] == s)
                if not m.any():
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    curve = np.nanmean(np.where(np.isfinite(loss[m]), loss[m], np.nan), axis=0)
                ax.plot(steps, curve, color=colour[s], lw=1.3, label=f"σ_w = {s:.3g}",
                        gid="loss-curve")
            ax.set_yscale("log")
            ax.set_title(f"{label}, depth {d}", fontsize=10)
            if k + cols >= len(cells):
                ax.set_xlabel("step")
            if k % cols == 0:
                ax.set_ylabel("training loss")
        for k in range(len(cells), rows * cols):
            fig.delaxes(axs[k // cols, k % cols])
        handles, labels = axs[0, 0].get_legend_handles_labels()
        if len(labels) <= 16:
            axs[0, cols - 1].legend(handles, labels, fontsize=7.5, loc="upper right", ncol=2)
        fig.suptitle(f"Loss curves, {sw.family_title(fam)}")
    return fig


def coordinate_check_table(data):
    """The slope of log mean|z[l]| against log width per (activation,
    parametrization, learning rate, stats step, layer role), for the first,
    a middle and the last layer: the μP coordinate check's numbers (a slope
    near 0: the layer's activations neither blow up nor vanish with width).
    Sweeps with one width give an empty table."""
    sw = _Sweep(data)
    if not sw.has("mean_abs_z") or len(sw.values("width")) < 2:
        return pd.DataFrame()
    z = sw.var("mean_abs_z")  # (config, stats_step, layer)
    stats_steps = sw.ds["stats_step"].values
    param = _training_axis(sw, "parametrization")
    lr = _training_axis(sw, "learning_rate")
    rows = []
    for fam in sw.families():
        fmask = sw.mask(**fam)
        for p in dict.fromkeys(param[fmask]):
            for eta in sorted(set(lr[fmask])):
                for d in sw.values("depth", fmask):
                    base = fmask & (param == p) & (lr == eta) & (sw.axis["depth"] == d)
                    widths = sw.values("width", base)
                    if len(widths) < 2:
                        continue
                    for role, l in (("input", 1), ("hidden", max(1, (d + 1) // 2)), ("output", d)):
                        for k, step in enumerate(stats_steps):
                            y = [np.nanmean(z[base & (sw.axis["width"] == w), k, l - 1])
                                 for w in widths]
                            ok = np.isfinite(y) & (np.asarray(y) > 0)
                            slope = (np.polyfit(np.log(np.asarray(widths)[ok]), np.log(np.asarray(y)[ok]), 1)[0]
                                     if ok.sum() >= 2 else np.nan)
                            rows.append({"activation": fam["activation"], "parametrization": p,
                                         "learning_rate": eta, "depth": d, "stats_step": int(step),
                                         "layer_role": role, "layer": l, "slope": slope})
    return pd.DataFrame(rows)


def coordinate_check(data, **select):
    """The coordinate check of Tensor Programs V (Yang et al. 2021, Fig. 5):
    mean |z[l]| against width on log-log axes, one panel per stats step (the
    columns) and parametrization (the rows), one line per layer (first, a
    middle and the last), for one family and the sweep's first depth and
    learning rate (select others with depth=, learning_rate=)."""
    sw = _Sweep(data)
    fam = sw.family(**{k: v for k, v in select.items() if k in FAMILY_AXES})
    fmask = sw.mask(**fam)
    param, lr = _training_axis(sw, "parametrization"), _training_axis(sw, "learning_rate")
    depth = select.get("depth") or sw.values("depth", fmask)[0]
    eta = select.get("learning_rate") or sorted(set(lr[fmask]))[0]
    z = sw.var("mean_abs_z")
    stats_steps = sw.ds["stats_step"].values
    params = list(dict.fromkeys(param[fmask]))
    layers = sorted({1, max(1, (depth + 1) // 2), depth})
    colours = {1: "#1f77b4", layers[len(layers) // 2]: "#ff7f0e", depth: "#d62728"}
    notes = [f"mean |z[l]| over units and the minibatch of each step (before its update), mean "
             f"over seeds, against the width n, log-log; depth {depth}, learning rate {eta:g}. "
             "Slopes in the legends (least squares in log-log). In μP the slopes stay near 0 at "
             "every step; in the standard parametrization the output layer's grow after the "
             "first update (its updates scale with n)."]
    with _style():
        fig, axs = _figure_with_caption(3.3 * len(stats_steps) + 1, 2.9 * len(params) + 0.6, notes,
                                        len(params), len(stats_steps), sharex=True)
        for r, p in enumerate(params):
            base = fmask & (param == p) & (lr == eta) & (sw.axis["depth"] == depth)
            widths = sw.values("width", base)
            for c, step in enumerate(stats_steps):
                ax = axs[r, c]
                for l in layers:
                    y = np.array([np.nanmean(z[base & (sw.axis["width"] == w), c, l - 1])
                                  for w in widths])
                    ok = np.isfinite(y) & (y > 0)
                    slope = (np.polyfit(np.log(np.asarray(widths)[ok]), np.log(y[ok]), 1)[0]
                             if ok.sum() >= 2 else np.nan)
                    ax.plot(np.asarray(widths)[ok], y[ok], marker="o", ms=3.5, lw=1.4,
                            color=colours.get(l, "0.3"), gid="coordinate-check",
                            label=f"layer {l}: slope {slope:+.2f}")
                ax.set_xscale("log", base=2)
                ax.set_yscale("log")
                ax.set_title(f"{p}, step {int(step)}", fontsize=10)
                ax.legend(fontsize=7)
                if r == len(params) - 1:
                    ax.set_xlabel("width n")
                if c == 0:
                    ax.set_ylabel("mean |z[l]|")
        fig.suptitle(f"Coordinate check, {sw.family_title(fam)}")
    return fig


def training_figures(data):
    """(file stem, Figure) for every training figure of a file with training."""
    sw = _Sweep(data)
    for fam in sw.families():
        stem = sw.family_stem(fam)
        if len(sw.values("sigma_w", sw.mask(**fam))) > 1 or len(sw.values("depth", sw.mask(**fam))) > 1:
            yield f"trainability_{stem}", trainability(sw.ds, **fam)
        yield f"loss_curves_{stem}", loss_curves(sw.ds, **fam)
        if len(sw.values("width", sw.mask(**fam))) > 1:
            yield f"coordinate_check_{stem}", coordinate_check(sw.ds, **fam)


def write_training_table(data, outdir, stem="coordinate_check"):
    """The coordinate check's slopes as CSV and Markdown (nothing for one width)."""
    table = coordinate_check_table(data)
    if table.empty:
        return []
    outdir = Path(outdir)
    csv, md = outdir / f"{stem}.csv", outdir / f"{stem}.md"
    table.to_csv(csv, index=False, float_format="%.4g")
    pivot = table.pivot_table(index=["activation", "parametrization", "learning_rate", "depth",
                                     "layer_role"], columns="stats_step", values="slope")
    lines = ["# Coordinate check: slope of log mean|z[l]| against log width", "",
             "| " + " | ".join(list(pivot.index.names) + [f"step {c}" for c in pivot.columns]) + " |",
             "| " + " | ".join(["---"] * (len(pivot.index.names) + len(pivot.columns))) + " |"]
    for key, row in pivot.iterrows():
        lines.append("| " + " | ".join([str(k) for k in key] + [f"{v:+.3f}" for v in row]) + " |")
    md.write_text("\n".join(lines) + "\n")
    return [md, csv]
