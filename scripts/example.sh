#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# example.sh — the lecture's picture from real numbers: installs missing
# packages, builds, runs jobs/example.yaml on every local core with mpirun,
# draws the figures (analysis/plot.py) and says where everything is.
#   scripts/example.sh [RESULTS.h5 [FIGURE_DIR]]   (default: example.h5 figures)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh default
ranks=$(nproc)
out=${1:-example.h5}
figures=${2:-figures}
mpirun_flags=()
[[ $(id -u) -eq 0 ]] && mpirun_flags+=(--allow-run-as-root)
mpirun "${mpirun_flags[@]}" -n "$ranks" build/gradsweep jobs/example.yaml -o "$out" --force
echo "results: $(realpath "$out")  (open with h5py, xarray.open_dataset, h5dump; docs/analysis.md)"
analysis/plot.py "$out" -o "$figures"
echo "figures: $(realpath "$figures")/  (how to read them: docs/analysis.md)"
