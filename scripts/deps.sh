#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh — installs the Debian 12 packages gradsweep needs, if any are missing.
#   scripts/deps.sh run    build and run sweeps, draw figures
#   scripts/deps.sh test   ... plus everything the test suite uses
# As root it installs them with apt-get; otherwise it prints the exact line to
# run and exits 1. It never touches what is already installed.
set -euo pipefail

what=${1:-run}
run_packages=(cmake make gcc pkg-config openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
              libopenblas-dev libyaml-dev librandom123-dev zlib1g-dev dataset-fashion-mnist
              python3-h5py python3-numpy python3-matplotlib python3-xarray python3-pandas
              python3-h5netcdf)
test_packages=(clang libclang-rt-14-dev python3-pytest python3-netcdf4
               python3-torch python3-yaml netcdf-bin r-cran-hdf5r
               slurmctld slurmd slurm-client munge lmod man-db)
case "$what" in
  run) wanted=("${run_packages[@]}") ;;
  test) wanted=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: scripts/deps.sh run|test" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

line="apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "gradsweep needs these Debian packages: ${missing[*]}" >&2
  echo "install them as root, then run this again:" >&2
  echo "  sudo apt-get update && sudo $line" >&2
  exit 1
fi
echo "gradsweep: installing ${missing[*]} (python3-torch is large: ~570 MB, ~2 min)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -q >&2
$line >&2
