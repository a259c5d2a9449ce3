#!/usr/bin/env bash
# example.sh — the lecture's picture from real numbers: installs missing
# packages, builds, runs jobs/example.yaml on every local core with mpirun and
# says where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh default
ranks=$(nproc)
out=${1:-example.h5}
mpirun_flags=()
[[ $(id -u) -eq 0 ]] && mpirun_flags+=(--allow-run-as-root)
mpirun "${mpirun_flags[@]}" -n "$ranks" build/gradsweep jobs/example.yaml -o "$out" --force
echo "results: $(realpath "$out")  (open with h5py, xarray.open_dataset, h5dump; docs/analysis.md)"
