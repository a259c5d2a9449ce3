# SPDX-License-Identifier: MIT
"""The GEMM kernel as a user meets it (issue 11): the results file and
--version say which kernel ran and how it was chosen; with OPENBLAS_CORETYPE
unset gradsweep runs the kernel for the CPU's widest instruction set; a
user's OPENBLAS_CORETYPE wins; GRADSWEEP_BLAS_KERNEL=library keeps the
library's own choice; a kernel computing wrong products is refused (exit 9)
before anything is written, on one rank and under mpirun.

The suite's own environment is never changed: the tests that need
OPENBLAS_CORETYPE set or unset do it in their subprocess's environment."""
import os
import re
import subprocess
from pathlib import Path

import h5py
import pytest

from conftest import GRADSWEEP, MPIEXEC, MPIEXEC_FLAGS

EXIT_USAGE, EXIT_BLAS = 2, 9
QUICK = ["--depth", "3", "--width", "8", "--sigma-w", "1", "--activation", "tanh", "--batch",
         "4", "--progress", "0"]
CHOICES = ("auto: ", "library: ", "user: ")
# OpenBLAS's x86-64 kernels by the widest instruction set they use
KERNELS_BY_ISA = {
    "AVX-512": {"SkylakeX", "Cooperlake", "SapphireRapids"},
    "AVX2+FMA": {"Haswell", "Zen", "Excavator"},
    "AVX": {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller"},
}


def cpu_isa():
    """The CPU's widest instruction set a GEMM kernel uses, from /proc/cpuinfo."""
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    if {"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"} <= flags:
        return "AVX-512"
    if {"avx2", "fma"} <= flags:
        return "AVX2+FMA"
    return "AVX" if "avx" in flags else "SSE3"


def env_without_coretype(**extra):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env.update(extra)
    return env


def run_clean(args, env, cwd, ranks=None):
    """gradsweep with exactly `env` (not added to the suite's, as conftest's
    run_gradsweep does: it cannot unset a variable)."""
    cmd = [GRADSWEEP, *map(str, args)]
    if ranks:
        cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", str(ranks), *cmd]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_file_and_version_name_the_kernel(gradsweep, tmp_path):
    out = gradsweep([*QUICK, "-o", "k.h5"], cwd=tmp_path, ranks=2)
    assert out.returncode == 0, out
    version = gradsweep(["--version"])
    assert version.returncode == 0, version
    with h5py.File(tmp_path / "k.h5", "r") as f:
        kernel, choice, config = (f.attrs[a] for a in ("blas_kernel", "blas_kernel_choice",
                                                        "blas"))
    assert kernel and kernel in config and choice.startswith(CHOICES), (kernel, choice)
    assert f"GEMM kernel {kernel} (self-check passed); {choice}" in version.stdout
    user = os.environ.get("OPENBLAS_CORETYPE")
    if user:  # the suite's environment sets it (as on the AMD CI machine): it won
        assert choice.startswith("user: ") and kernel.lower() == user.lower()


def test_unset_coretype_runs_the_kernel_for_the_cpu(tmp_path):
    """What a user with a distribution OpenBLAS gets out of the box."""
    out = run_clean([*QUICK, "-o", "auto.h5"], env_without_coretype(), tmp_path)
    assert out.returncode == 0, out.stderr
    with h5py.File(tmp_path / "auto.h5", "r") as f:
        kernel, choice = f.attrs["blas_kernel"], f.attrs["blas_kernel_choice"]
    isa = cpu_isa()
    if isa in KERNELS_BY_ISA:
        assert kernel in KERNELS_BY_ISA[isa], (isa, kernel, choice)
    assert choice.startswith(("auto: ", "library: ")), choice
    if choice.startswith("auto: "):  # the library fell back: said so, with what it had picked
        assert re.search(r"OpenBLAS picked \w+ \(.*\) on a CPU with " + re.escape(isa), choice)


def test_user_coretype_wins(tmp_path):
    """Prescott runs on every x86-64 CPU, and is never what gradsweep would pick
    on a CPU with AVX: the user's value must stand anyway."""
    env = env_without_coretype(OPENBLAS_CORETYPE="Prescott")
    out = run_clean([*QUICK, "-o", "user.h5"], env, tmp_path, ranks=2)
    assert out.returncode == 0, out.stderr
    with h5py.File(tmp_path / "user.h5", "r") as f:
        assert f.attrs["blas_kernel"] == "Prescott"
        assert f.attrs["blas_kernel_choice"].startswith("user: OPENBLAS_CORETYPE=Prescott")
        assert "Prescott" in f.attrs["blas"]


def test_library_choice_on_request(tmp_path):
    env = env_without_coretype(GRADSWEEP_BLAS_KERNEL="library")
    out = run_clean(["--version"], env, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "library: GRADSWEEP_BLAS_KERNEL=library keeps the library's own choice" in out.stdout
    bad = run_clean(["--version"], env_without_coretype(GRADSWEEP_BLAS_KERNEL="fast"), tmp_path)
    assert bad.returncode == EXIT_USAGE
    assert bad.stderr.startswith("gradsweep: GRADSWEEP_BLAS_KERNEL=fast: expected auto")


@pytest.mark.parametrize("ranks", [None, 2])
def test_wrong_products_are_refused(gradsweep, tmp_path, ranks):
    """The self-check runs on the real BLAS; the test hook makes one of its
    products wrong (a transposed operand) and nothing may be computed."""
    out = gradsweep([*QUICK, "-o", "never.h5"], cwd=tmp_path, ranks=ranks,
                    env={"GRADSWEEP_TEST_GEMM_FAULT": "1"})
    assert out.returncode == EXIT_BLAS, out
    first = out.stderr.splitlines()[0]
    assert first.startswith("gradsweep: the BLAS kernel ") and "computes wrong sgemm" in first
    assert "refusing to run" in first and "OPENBLAS_CORETYPE" in first
    assert not (tmp_path / "never.h5").exists()
