#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh — the whole test suite from a clean checkout on Debian 12: installs
# missing packages, builds, and runs every test through CTest, first in the
# optimised build, then under AddressSanitizer + UndefinedBehaviorSanitizer,
# then the sweep-file parser under libFuzzer for a bounded time.
#   scripts/test.sh            everything
#   scripts/test.sh -R oracle  only tests whose name matches (passed to ctest)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
start=$SECONDS
# Tests run two at a time on two cores (up to four on more): most of them
# wait on one process at a time, and each test's MPI runs oversubscribe
# anyway. The Slurm and install tests share the machine's Slurm (RESOURCE_LOCK).
jobs=$(nproc); [ "$jobs" -gt 4 ] && jobs=4; [ "$jobs" -lt 2 ] && jobs=2
scripts/build.sh default
ctest --preset default -j "$jobs" "$@"
scripts/build.sh asan
ctest --preset asan -L sanitize -j "$jobs" "$@"
# Which sanitizer checks ran where, as tests/sanitizer/probe.py found them on
# this machine (one line; it names any check that could not run, and why).
sed -n 's|^# written by tests/sanitizer/probe.py: ||p' build-asan/sanitizer.env
# The sweep-file parser under libFuzzer: every seed and regression, then 60 s
# of fuzzing (tests/fuzz/README.md).
scripts/build.sh fuzz
ctest --preset fuzz "$@"
echo "test.sh: all tests passed in $((SECONDS - start)) s"
