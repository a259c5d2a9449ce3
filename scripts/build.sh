#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build.sh — configures and builds gradsweep with a CMake preset (default:
# "default", into build/; "asan" builds into build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
