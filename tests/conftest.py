# SPDX-License-Identifier: MIT
"""Shared fixtures of the end-to-end tests: the real gradsweep binary under
the real mpirun, writing real parallel HDF5 files into a temporary folder.

CTest passes the binary and the tools through the environment (see
tests/CMakeLists.txt); run by hand as, e.g.
    GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest tests/test_cli.py
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

def apply_sanitizer_environment():
    """Under the sanitizer build, the setting tests/sanitizer/probe.py found
    for LeakSanitizer on this machine (KEY=VALUE lines), for every process the
    tests start. The probe runs first (a CTest fixture); a missing file then
    means it failed, which must not go unnoticed."""
    path = os.environ.get("GS_SANITIZER_ENV")
    if not path:
        return
    if not os.path.exists(path):
        raise RuntimeError(f"GS_SANITIZER_ENV={path} does not exist: run the sanitizer_probe "
                           "test first (ctest --preset asan runs it as a fixture)")
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                os.environ[key] = value


apply_sanitizer_environment()

SOURCE_DIR = Path(os.environ.get("GS_SOURCE_DIR", Path(__file__).resolve().parent.parent))
GRADSWEEP = os.environ.get("GRADSWEEP", str(SOURCE_DIR / "build" / "gradsweep"))
MPIEXEC = os.environ.get("MPIEXEC", shutil.which("mpirun") or "mpirun")
# As root Open MPI needs --allow-run-as-root; more ranks than cores need
# --oversubscribe.
MPIEXEC_FLAGS = os.environ.get("MPIEXEC_FLAGS", "--oversubscribe").split()
if os.geteuid() == 0 and "--allow-run-as-root" not in MPIEXEC_FLAGS:
    MPIEXEC_FLAGS.append("--allow-run-as-root")


class Result:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_gradsweep(args, ranks=None, cwd=None, timeout=600, env=None):
    """Runs gradsweep with args: under mpirun with `ranks` ranks, or as a plain
    process when ranks is None. Returns a Result (never raises on failure)."""
    cmd = [GRADSWEEP, *map(str, args)]
    if ranks is not None:
        cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", str(ranks), *cmd]
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=full_env)
    return Result(proc)


@pytest.fixture(scope="session")
def gradsweep():
    return run_gradsweep


@pytest.fixture(scope="session")
def source_dir():
    return SOURCE_DIR
