# SPDX-License-Identifier: MIT
"""gradsweep_blocks.py — the figures the network axes of issue 12 call for,
and the one-page "is my network healthy" report (docs/analysis.md):

- block_phase_diagram: the backward and forward growth, log10_delta_ratio
  and log10_q_ratio (mean over seeds), over (branch_scale, depth), one
  column pair per norm, one row per sigma_w; the (sigma_w, depth) diagrams
  per branch scale and norm are gradsweep_plots.phase_diagram's, whose
  families split along both.
- block_signal_propagation: per block, the trunk's q and delta_sq against
  the theory, the activations' squared channel mean, the trunk's channel
  variance and the branch's (timm's avg_ch_var_residual): one line per
  (branch_scale, norm), as Brock et al. 2021 plot them.
- health_report / health_markdown: for a sweep over one architecture and
  its candidate initialisations (init x sigma_w x sigma_b x branch_scale x
  norm), one page: q and delta_sq per layer for every candidate, and a
  table with a verdict per candidate.

Used by gradsweep_plots.figures() and write_all(); runs with Debian's
/usr/bin/python3."""
import math

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.lines import Line2D

import gradsweep_plots as gp

HEALTHY = gp.HEALTHY          # |log10 ratio| below this: less than a decade of change
DEAD_LIMIT = 0.5              # more dead units than this in some layer: unhealthy
SATURATED_LIMIT = 0.5         # more saturated entries than this in some layer
MAX_SIGMA_ROWS = 4            # sigma_w rows of a block phase diagram
MAX_CANDIDATES = 12           # candidates drawn on the report's page (all go in its table)


def is_block_sweep(data):
    """Whether the file sweeps branch_scale or norm."""
    ds = gp._dataset(data)
    return "branch" in ds or "norm" in ds


def _branch_order(labels):
    """none first, then the numbers ascending, 1/sqrt(depth) last."""
    def key(label):
        if label == "none":
            return (0, 0.0)
        if label == "1/sqrt(depth)":
            return (2, 0.0)
        return (1, float(label))
    return sorted(set(labels), key=key)


def _axis(sw, name, default):
    return sw.axis[name] if name in sw.axis else np.full(sw.n, default)


def _pick(values, most):
    """At most `most` values, evenly spread, ends included."""
    if len(values) <= most:
        return list(values)
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, most)).astype(int))
    return [values[i] for i in idx]


def _log10(v):
    """log10 of the positive values, NaN elsewhere: signals that span 300
    decades (a residual relu net's) are drawn as log10 on a linear axis,
    which matplotlib's log axes cannot tick."""
    v = np.asarray(v, float)
    with np.errstate(all="ignore"):
        return np.where(np.isfinite(v) & (v > 0), np.log10(np.where(v > 0, v, 1)), np.nan)


def _mean_over_seeds(v):
    v = np.asarray(v, float)
    if not len(v):
        return math.nan, False
    if not np.all(np.isfinite(v)):
        return math.nan, True
    return float(np.mean(v)), False


# ---- (branch_scale, depth) ------------------------------------------------------------------

def block_phase_diagram(data, **select):
    """log10_q_ratio and log10_delta_ratio over (branch_scale, depth), mean over
    seeds, for one family (activation, init, sigma_b, batch) at the largest
    width: columns per norm (q, delta for each), rows per sigma_w (up to
    MAX_SIGMA_ROWS, evenly spread). Grey: not computed; hatched: a seed was
    not finite (or a ratio infinite)."""
    sw = gp._Sweep(data)
    base = {a: v for a, v in select.items() if a in gp.FAMILY_AXES}
    fam = {a: v for a, v in sw.families(**base)[0].items() if a in gp.FAMILY_AXES}
    fmask = sw.mask(**fam)
    width = max(sw.values("width", fmask))
    fmask &= sw.axis["width"] == width
    branches = _branch_order(_axis(sw, "branch", "none")[fmask])
    norms = list(dict.fromkeys(_axis(sw, "norm", "none")[fmask]))
    depths = sw.values("depth", fmask)
    sigmas = _pick(sw.values("sigma_w", fmask), MAX_SIGMA_ROWS)
    quantities = [("log10_q_ratio", "log10 q[L]/q[1]"),
                  ("log10_delta_ratio", "½ log10 δ²[1]/δ²[L]")]
    branch_axis, norm_axis = _axis(sw, "branch", "none"), _axis(sw, "norm", "none")
    finite = [np.abs(sw.var(q)[fmask & sw.computed]) for q, _ in quantities]
    finite = np.concatenate([v[np.isfinite(v)] for v in finite])
    vlim = max(HEALTHY * 1.5, float(finite.max()) if len(finite) else 0.0)
    norm = mcolors.SymLogNorm(linthresh=HEALTHY, linscale=0.6, vmin=-vlim, vmax=vlim, base=10)
    cmap = gp.matplotlib.colormaps[gp.DIVERGING].copy()
    cmap.set_bad(gp.MISSING_COLOUR)
    ncols = 2 * len(norms)
    notes = [f"Colour: mean over seeds of the growth from the first layer to the last; blue "
             f"shrinks, red grows, pale within ±{HEALTHY:g} decade (healthy). Columns: the "
             "forward signal q and the backward signal δ² for each norm; rows: σ_w; x: the branch "
             "scale α of the residual blocks (none: the plain network; 1/sqrt(depth): α = 1/√L, "
             "a different α on each row of depth). Grey: not computed; hatched: some seed's value "
             "was not finite."]
    with gp._style():
        fig, axs = gp._figure_with_caption(3.2 * ncols + 1.2, 2.6 * len(sigmas) + 0.8, notes,
                                           len(sigmas), ncols)
        mesh = None
        for si, s in enumerate(sigmas):
            for ni, nm in enumerate(norms):
                for qi, (q, label) in enumerate(quantities):
                    ax = axs[si, 2 * ni + qi]
                    z = np.full((len(depths), len(branches)), np.nan)
                    for di, d in enumerate(depths):
                        for bi, b in enumerate(branches):
                            m = (fmask & sw.computed & (sw.axis["sigma_w"] == s)
                                 & (sw.axis["depth"] == d) & (branch_axis == b) & (norm_axis == nm))
                            z[di, bi], bad = _mean_over_seeds(sw.var(q)[m])
                            if bad:
                                ax.add_patch(gp.Rectangle((bi - 0.5, di - 0.5), 1, 1, fill=False,
                                                          hatch=gp.HATCH_NONFINITE, lw=0))
                    mesh = ax.pcolormesh(np.arange(len(branches) + 1) - 0.5,
                                         np.arange(len(depths) + 1) - 0.5,
                                         np.ma.masked_invalid(z), cmap=cmap, norm=norm)
                    if z.size <= 48:
                        for (di, bi), v in np.ndenumerate(z):
                            if np.isfinite(v):
                                ax.text(bi, di, f"{v:.2g}", ha="center", va="center", fontsize=7,
                                        color="white" if abs(v) > vlim / 3 else "black")
                    ax.set_xticks(range(len(branches)))
                    ax.set_xticklabels(["1/√L" if b == "1/sqrt(depth)" else b for b in branches],
                                       rotation=30)
                    ax.set_yticks(range(len(depths)))
                    ax.set_yticklabels([str(d) for d in depths])
                    ax.set_xlabel("branch scale α")
                    if (2 * ni + qi) == 0:
                        ax.set_ylabel(f"σ_w = {s:.3g}\ndepth L")
                    ax.set_title(f"{label}, norm {nm}", fontsize=10)
        if mesh is not None:
            fig.colorbar(mesh, ax=axs, shrink=0.8, label="log10 growth (mean over seeds)")
        fig.suptitle(f"Residual blocks: growth over (α, depth), {fam['activation']}, "
                     f"{fam['init']} init, σ_b = {fam['sigma_b']:g}, width {width}")
    return fig


# ---- per block ------------------------------------------------------------------------------

BLOCK_PANELS = (  # variable, title, theory, log axis
    ("q", "trunk q[l] = mean z[l]²", "q_theory", True),
    ("delta_sq", "backward δ²[l]", "delta_sq_theory", True),
    ("c", "correlation c[l] between samples", "c_theory", False),
    ("act_ch_sq_mean", "activations' squared channel mean", None, True),
    ("trunk_ch_var", "trunk channel variance", None, True),
    ("branch_ch_var", "branch channel variance (avg_ch_var_residual)", None, True),
)


def block_signal_propagation(data, sigma_w=None, depth=None, width=None, **select):
    """Signal propagation per block for one family (activation, init, sigma_b,
    batch) at one sigma_w (default: the median), depth and width (default:
    the largest): one line per (branch_scale, norm), measured (geometric
    mean over seeds) with theory dashed where the file has it."""
    sw = gp._Sweep(data)
    base = {a: v for a, v in select.items() if a in gp.FAMILY_AXES}
    fam = {a: v for a, v in sw.families(**base)[0].items() if a in gp.FAMILY_AXES}
    fmask = sw.mask(**fam) & sw.computed
    width = width or max(sw.values("width", fmask))
    fmask &= sw.axis["width"] == width
    depth = depth or max(sw.values("depth", fmask))
    fmask &= sw.axis["depth"] == depth
    sigmas = sw.values("sigma_w", fmask)
    s = gp.snap(sigmas, sigma_w, "sigma_w") if sigma_w is not None else sigmas[len(sigmas) // 2]
    fmask &= sw.axis["sigma_w"] == s
    branch_axis, norm_axis = _axis(sw, "branch", "none"), _axis(sw, "norm", "none")
    combos = [(b, nm) for b in _branch_order(branch_axis[fmask])
              for nm in dict.fromkeys(norm_axis[fmask]) if (fmask & (branch_axis == b)
                                                             & (norm_axis == nm)).any()]
    colours = gp.matplotlib.colormaps["tab10"](np.arange(len(combos)) % 10)
    layers = np.arange(1, depth + 1)
    every = max(1, depth // 40)
    notes = ["Lines with markers: measured, geometric mean over seeds (arithmetic for c); dashed: "
             "mean-field theory from the file. Residual blocks are layers 2…L (a last layer of "
             "output_width ≠ width is a dense head); the trunk is z[l], the branch α(W a + b). "
             "Solid markers: no norm; open markers: LayerNorm."]
    with gp._style():
        fig, axs = gp._figure_with_caption(13.0, 7.8, notes, 2, 3)
        for ax, (name, title, theory, log) in zip(axs.flat, BLOCK_PANELS):
            drawn = False
            for (b, nm), colour in zip(combos, colours):
                m = fmask & (branch_axis == b) & (norm_axis == nm)
                if not sw.has(name):
                    continue
                rows = sw.var(name)[m][:, :depth]
                mid, _, _ = gp._seed_summary(rows, log)
                if not np.isfinite(mid).any():
                    continue
                label = f"α = {'1/√L' if b == '1/sqrt(depth)' else b}, {nm}"
                shown = _log10(mid) if log else mid
                ax.plot(layers, shown, color=colour, lw=1.0, marker="o", ms=3, markevery=every,
                        mfc="none" if nm != "none" else colour, label=label)
                drawn = True
                if theory and sw.has(theory):
                    t = sw.var(theory)[m][:1, :depth]
                    if len(t) and np.isfinite(t[0]).any():
                        ax.plot(layers, _log10(t[0]) if log else t[0], color=colour, lw=1.0,
                                ls="--")
            if not drawn:
                gp._note_in_axes(ax, f"no finite {name} values")
            ax.set_ylabel("log10" if log else "")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("layer l")
        handles, labels = axs[0, 0].get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", ls="--"))
        labels.append("mean-field theory")
        axs[0, 0].legend(handles, labels, fontsize=7.5, framealpha=0.85)
        fig.suptitle(f"Signal propagation per block: {fam['activation']}, {fam['init']} init, "
                     f"σ_w = {s:.3g}, σ_b = {fam['sigma_b']:g}, depth {depth}, width {width}")
    return fig


# ---- is my network healthy? -----------------------------------------------------------------

CANDIDATE_AXES = ("activation", "init", "sigma_w", "sigma_b", "branch", "norm")


def _candidate_name(c, named):
    parts = [c["activation"], c["init"]]
    sigma = named.get(c["sigma_w"])
    parts.append(f"σ_w {sigma}" if sigma else f"σ_w {c['sigma_w']:.3g}")
    if c["sigma_b"]:
        parts.append(f"σ_b {c['sigma_b']:g}")
    if c.get("branch", "none") != "none":
        parts.append(f"residual α {'1/√L' if c['branch'] == '1/sqrt(depth)' else c['branch']}")
    if c.get("norm", "none") != "none":
        parts.append(c["norm"])
    return ", ".join(parts)


def health_table(data, depth=None, width=None):
    """One row per candidate (activation, init, sigma_w, sigma_b, branch,
    norm) at one depth and width (default: the largest): the growth of q and
    delta_sq from the first layer to the last (mean over seeds), the worst
    layer's dead and saturated fractions, the statuses, and a verdict with
    its reasons."""
    sw = gp._Sweep(data)
    depth = depth or max(sw.values("depth"))
    width = width or max(sw.values("width"))
    m0 = (sw.axis["depth"] == depth) & (sw.axis["width"] == width)
    if not m0.any():
        raise ValueError(f"no configurations of depth {depth} and width {width}")
    named = {}
    if sw.has("sigma_w_name"):  # he, torch_default, ...: the names the sweep used
        codes = sw.var("sigma_w_name")
        meanings = sw.ds["sigma_w_name"].attrs.get("flag_meanings", "").split()
        for value, code in zip(sw.axis["sigma_w"], codes):
            if 0 < int(code) < len(meanings):
                named[value] = meanings[int(code)]
    keys = [a for a in CANDIDATE_AXES if a in sw.axis]
    seen, rows = {}, []
    for i in np.flatnonzero(m0):
        key = tuple(sw.axis[a][i].item() if hasattr(sw.axis[a][i], "item") else sw.axis[a][i]
                    for a in keys)
        seen.setdefault(key, []).append(i)
    for key, idx in seen.items():
        c = dict(zip(keys, key))
        idx = np.array(idx)
        status = sw.status[idx]
        done = idx[np.isin(status, gp.COMPUTED)]
        q_ratio, bad_q = _mean_over_seeds(sw.var("log10_q_ratio")[done])
        d_ratio, bad_d = _mean_over_seeds(sw.var("log10_delta_ratio")[done])
        dead = np.nanmax(sw.var("dead_frac")[done][:, :depth]) if len(done) else math.nan
        saturated = np.nanmax(sw.var("saturated_frac")[done][:, :depth]) if len(done) else math.nan
        reasons = []
        if len(done) < len(idx):
            reasons.append(f"{len(idx) - len(done)} of {len(idx)} seeds not computed")
        if (status == "nonfinite").any():
            reasons.append("inf/NaN appeared")
        if (status == "underflow").any():
            reasons.append("a signal underflowed to 0")
        if bad_d or bad_q:  # an infinite ratio: the signal overflowed, or underflowed to 0
            reasons.append("a growth ratio is not finite")
        if math.isfinite(d_ratio) and d_ratio >= HEALTHY:
            reasons.append(f"gradients explode (×10^{d_ratio:.1f})")
        elif math.isfinite(d_ratio) and d_ratio <= -HEALTHY:
            reasons.append(f"gradients vanish (×10^{d_ratio:.1f})")
        if math.isfinite(q_ratio) and q_ratio >= HEALTHY:
            reasons.append(f"the forward signal grows (×10^{q_ratio:.1f})")
        elif math.isfinite(q_ratio) and q_ratio <= -HEALTHY:
            reasons.append(f"the forward signal dies (×10^{q_ratio:.1f})")
        if math.isfinite(dead) and dead > DEAD_LIMIT:
            reasons.append(f"{dead:.0%} dead units in some layer")
        # relu's φ' is 0 on half its inputs by design: saturation is a bounded φ's trouble
        piecewise_linear = c["activation"] in ("relu", "leaky_relu", "linear")
        if not piecewise_linear and math.isfinite(saturated) and saturated > SATURATED_LIMIT:
            reasons.append(f"{saturated:.0%} saturated in some layer")
        rows.append(dict(c, candidate=_candidate_name(c, named), seeds=len(idx),
                         log10_q_ratio=q_ratio, log10_delta_ratio=d_ratio, max_dead_frac=dead,
                         max_saturated_frac=saturated, healthy=not reasons,
                         verdict="healthy" if not reasons else "; ".join(reasons),
                         rows=idx, depth=depth, width=width))
    return rows


def health_markdown(rows):
    """The report's table as Markdown."""
    r0 = rows[0]
    lines = [f"# Is my network healthy? depth {r0['depth']}, width {r0['width']}", "",
             f"Healthy: the backward signal δ² and the forward signal q change by less than a "
             f"decade from the first layer to the last (|log10| < {HEALTHY:g}, mean over seeds), "
             f"no layer has more than {DEAD_LIMIT:.0%} dead units or (bounded activations) "
             f"{SATURATED_LIMIT:.0%} saturated entries, and every seed was computed and finite.",
             "",
             "| candidate | seeds | log10 q[L]/q[1] | ½ log10 δ²[1]/δ²[L] | max dead | max saturated "
             "| verdict |", "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['candidate']} | {r['seeds']} | {gp._g(r['log10_q_ratio'], 3)} | "
                     f"{gp._g(r['log10_delta_ratio'], 3)} | {gp._g(r['max_dead_frac'], 2)} | "
                     f"{gp._g(r['max_saturated_frac'], 2)} | "
                     f"{'**healthy**' if r['healthy'] else r['verdict']} |")
    return "\n".join(lines) + "\n"


def health_report(data, depth=None, width=None):
    """One page: q and delta_sq per layer of every candidate (up to
    MAX_CANDIDATES, healthy ones first) with the theory dashed, and the
    verdict table below."""
    sw = gp._Sweep(data)
    rows = health_table(sw.ds, depth, width)
    rows.sort(key=lambda r: not r["healthy"])
    drawn = rows[:MAX_CANDIDATES]
    d = rows[0]["depth"]
    layers = np.arange(1, d + 1)
    colours = gp.matplotlib.colormaps["tab10"](np.arange(len(drawn)) % 10)
    notes = [f"{len(rows)} candidate{'s' if len(rows) != 1 else ''} at depth {d}, width "
             f"{rows[0]['width']}" + (f" ({len(drawn)} drawn)" if len(drawn) < len(rows) else "")
             + ". Lines: geometric mean over seeds, shaded: min–max across seeds; dashed: mean-field "
             "theory; grey band: within "
             "a decade. Healthy: |log10| "
             f"growth of q and δ² below {HEALTHY:g} decade, at most {DEAD_LIMIT:.0%} dead units "
             f"and {SATURATED_LIMIT:.0%} saturated entries in any layer, every seed computed."]
    with gp._style():
        fig = gp._new_figure(8.27, 11.0, len(gp._wrap(notes, 7.4)))
        grid = fig.add_gridspec(3, 2, height_ratios=[1.7, 0.3, 0.9])
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])]
        for ax, (name, theory, title) in zip(axes, (("q", "q_theory", "forward: q[l] / q[1]"),
                                                    ("delta_sq", "delta_sq_theory",
                                                     "backward: δ²[l] / δ²[L]"))):
            # growth from where the signal enters: q from layer 1, δ² from layer L
            ref = 0 if name == "q" else d - 1
            for r, colour in zip(drawn, colours):
                values = sw.var(name)[r["rows"]][:, :d]
                mid, lo, hi = gp._seed_summary(values, True)
                if np.isfinite(mid).any():
                    base = _log10(mid[ref])
                    if len(values) > 1:  # the seeds' spread
                        ax.fill_between(layers, _log10(lo) - base, _log10(hi) - base,
                                        color=colour, alpha=0.18, lw=0)
                    ax.plot(layers, _log10(mid) - base, color=colour,
                            lw=2.6 if r["healthy"] else 1.6,
                            label=("✓ " if r["healthy"] else "✗ ") + r["candidate"])
                if sw.has(theory):
                    t = sw.var(theory)[r["rows"][:1]][0, :d]
                    if np.isfinite(t).any():
                        ax.plot(layers, _log10(t) - _log10(t[ref]), color=colour, lw=0.8, ls="--")
            ax.axhspan(-HEALTHY, HEALTHY, color="0.92", zorder=0)
            ax.set_ylabel("log10 growth" + (" from layer 1" if name == "q" else " from layer L"))
            ax.set_xlabel("layer l")
            ax.set_title(title, fontsize=10)
        legend_ax = fig.add_subplot(grid[1, :])
        legend_ax.axis("off")
        handles, labels = axes[0].get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.3", lw=0.8, ls="--"))
        labels.append("mean-field theory")
        legend_ax.legend(handles, labels, loc="center", ncol=2, fontsize=7, frameon=False)
        table_ax = fig.add_subplot(grid[2, :])
        table_ax.axis("off")
        cells = [[r["candidate"], gp._g(r["log10_q_ratio"], 2), gp._g(r["log10_delta_ratio"], 2),
                  "healthy" if r["healthy"] else _short(r["verdict"])] for r in rows[:24]]
        table = table_ax.table(cellText=cells, colLabels=["candidate", "log10 q growth",
                                                          "log10 δ growth", "verdict"],
                               colWidths=[0.46, 0.11, 0.11, 0.32], loc="upper center",
                               cellLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(6.5)
        table.scale(1, 1.3)
        for (row, col), cell in table.get_celld().items():
            if row > 0 and col == 3:
                cell.set_facecolor("#d9f2d9" if rows[row - 1]["healthy"] else "#f8d7d7")
        gp._caption(fig, gp._wrap(notes, 7.4))
        fig.suptitle("Is my network healthy?")
    return fig


def _short(verdict, width=48):
    """A verdict cut to one table cell."""
    return verdict if len(verdict) <= width else verdict[:width - 1] + "…"


# ---- everything -----------------------------------------------------------------------------

def figures(data):
    """Yields (file stem, Figure) for the block figures of a block sweep and
    the health report of every sweep."""
    sw = gp._Sweep(data)
    if is_block_sweep(sw.ds):
        fams = {tuple((a, f[a]) for a in gp.FAMILY_AXES) for f in sw.families()}
        for fam in sorted(fams, key=str):
            fam = dict(fam)
            stem = sw.family_stem({a: fam[a] for a in gp.FAMILY_AXES})
            if len([b for b in dict.fromkeys(_axis(sw, "branch", "none"))]) > 1 or \
                    len(sw.values("depth")) > 1:
                yield f"block_phase_diagram_{stem}", block_phase_diagram(sw.ds, **fam)
            yield f"block_signal_propagation_{stem}", block_signal_propagation(sw.ds, **fam)
    yield "health_report", health_report(sw.ds)


def write_report(data, outdir):
    """health_report.md beside the figures; returns the paths written."""
    rows = health_table(data)
    path = outdir / "health_report.md"
    path.write_text(health_markdown(rows))
    return [path]
