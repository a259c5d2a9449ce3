#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""plot.py — every figure (PNG and PDF) and the healthy-band table for a
gradsweep results file:

    analysis/plot.py RESULTS.h5 [-o FIGDIR]
    gradsweep-plot RESULTS.h5 [-o FIGDIR]      (the same, installed: cmake --install)

Runs with Debian's /usr/bin/python3 (python3-h5py, -xarray, -pandas,
-matplotlib). docs/analysis.md explains each figure; the library behind it is
analysis/gradsweep_plots.py."""
import argparse
import sys
from pathlib import Path

# The command's name and where its library (gradsweep_plots.py) is: beside
# this file in the source tree. `cmake --install` writes this file as
# bin/gradsweep-plot with these two lines rewritten: the name, and the
# library's folder relative to bin/ (share/gradsweep/python; cmake/install.cmake).
PROG = "plot.py"
LIBRARY_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(LIBRARY_DIR))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from matplotlib.backend_bases import FigureCanvasBase  # noqa: E402

import gradsweep_plots as gp  # noqa: E402


def number_list(text):
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Every figure (PNG and PDF by default) and the healthy-band table for a "
                    "gradsweep results file, written into one folder.",
        epilog="Figures: phase_diagram_<activation>, signal_propagation_<activation>, "
               "gradient_flow, finite_width (+ healthy_band.md/.csv); for a sweep with the "
               "input_correlation axis also correlation_map_<family> (c[l] against layer with "
               "the theory, ordered / critical / chaotic sigma_w) and depth_scales_<family> "
               "(xi_c, xi_q measured and predicted over sigma_w), and the measured 6 xi_c on "
               "the phase diagrams; with the Jacobian (jacobian_samples > 0) also "
               "jacobian_spectra, jacobian_variance, jacobian_condition. See docs/analysis.md.")
    parser.add_argument("results", type=Path, help="a gradsweep results file (schema gradsweep/1)")
    parser.add_argument("-o", "--output", type=Path, default=Path("figures"),
                        help="folder for the figures (created if missing; default: ./figures)")
    parser.add_argument("--formats", default="png,pdf",
                        help="comma-separated image formats matplotlib knows (default: png,pdf)")
    parser.add_argument("--dpi", type=int, default=150, help="PNG resolution (default: 150)")
    parser.add_argument("--sigma-w", type=number_list, metavar="LIST",
                        help="sigma_w values for the per-layer figures (default: a few around "
                             "each activation's edge of chaos)")
    parser.add_argument("--depth", type=int, help="depth of the per-layer figures (default: largest)")
    parser.add_argument("--width", type=int, help="width of the per-layer figures (default: largest)")
    args = parser.parse_args(argv)
    formats = [f.strip().lstrip(".").lower() for f in args.formats.split(",") if f.strip()]
    known = FigureCanvasBase.get_supported_filetypes()
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        print(f"{PROG}: --formats: unknown {', '.join(unknown) or '(none given)'}; "
              f"matplotlib writes {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    try:
        ds = gp.load(args.results)
        written = gp.write_all(ds, args.output, formats=formats, dpi=args.dpi,
                               sigma_w=args.sigma_w, depth=args.depth, width=args.width)
    except (OSError, ValueError, TypeError) as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    theory = gp.theory_variables(ds)
    print(f"figures for {args.results} ({ds.sizes['config']} configurations"
          f"{', with mean-field theory' if theory else ', no theory in the file'}"
          f"{', with Jacobian spectra' if gp.has_jacobian(ds) else ''}):")
    for path in written:
        print(f"  {path}")
    print(f"{len(written)} files in {args.output.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
