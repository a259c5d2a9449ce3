# SPDX-License-Identifier: MIT
"""gradsweep installed as a cluster site or a user installs it (issue 16): a
clean copy of the sources (the files git tracks, as they are in the work
tree) is configured, built and installed with `cmake --install --prefix` into
a temporary prefix other than the configured one; the source and build trees
are deleted; then, in fresh non-login bash shells with real Lmod,
`module use PREFIX/share/modulefiles; module load gradsweep`, and from there:

- a sweep of the installed example under mpirun, and gradsweep-plot on it;
- `man gradsweep` (and man's own pages still found);
- the installed jobs/sweep.sbatch submitted to the test's Slurm cluster
  (conftest.py) with no GRADSWEEP given: it runs the prefix's gradsweep and
  computes the same numbers as mpirun did.

Lmod, man and Slurm missing is a failure, not a skip: scripts/deps.sh test
installs them. ~1 min, most of it the build.
"""
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from slurm_cluster import exit_code
from slurm_jobs import JOB_ENV, SOURCE_DIR, STATUS, assert_same_data

LMOD_INIT = Path("/usr/share/lmod/lmod/init/bash")
VERSION = yaml.safe_load((SOURCE_DIR / "CITATION.cff").read_text())["version"]
# The sweep: the installed example, cut down to a few seconds on 2 ranks.
SMALL = "--depth 10,25 --seed 0"


def run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))}: exit {out.returncode}\n" \
                                f"{out.stdout}\n{out.stderr}"
    return out


def copy_tracked_files(source, destination):
    """A clean checkout without cloning: the tracked files of the work tree
    (uncommitted edits included, build folders and other untracked files not)."""
    listed = run(["git", "-C", source, "ls-files", "-z"]).stdout.split("\0")
    for name in filter(None, listed):
        path = source / name
        if path.is_file():  # a tracked file deleted in the work tree is gone
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination / name)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    source, build, prefix = root / "source", root / "build", root / "prefix"
    copy_tracked_files(SOURCE_DIR, source)
    started = time.monotonic()
    # Configured for one prefix, installed into another, as `cmake --install
    # --prefix` allows: whatever names the prefix must name the second.
    run(["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
         "-DGS_BUILD_TESTS=OFF", f"-DCMAKE_INSTALL_PREFIX={root / 'not-here'}"])
    run(["cmake", "--build", build, "-j", "2", "--target", "gradsweep", "man"])
    installed = run(["cmake", "--install", build, "--prefix", prefix])
    print(f"\ninstall: built and installed in {time.monotonic() - started:.0f} s")
    manifest = (build / "install_manifest.txt").read_text().split()
    shutil.rmtree(source)
    shutil.rmtree(build)
    assert not (root / "not-here").exists()
    return {"prefix": prefix, "trees": (str(source), str(build)), "manifest": manifest,
            "log": installed.stdout}


def module_shell(prefix, script, cwd, extra_env=None):
    """Runs a bash script in a fresh non-login shell that has loaded
    gradsweep's module with Lmod, with none of the test's own pointers to the
    build (CTest sets GRADSWEEP to it)."""
    assert LMOD_INIT.exists(), f"Lmod is not installed ({LMOD_INIT} missing): " \
                               "scripts/deps.sh test installs it (Debian package lmod)"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GRADSWEEP", "GS_", "LMOD", "MODULE", "_LMOD", "__LMOD"))
           and k not in ("PYTHONPATH", "MANPATH", "OPENBLAS_NUM_THREADS", "LOADEDMODULES")}
    env.update(JOB_ENV)
    env.update(extra_env or {})
    modulefiles = prefix / "share" / "modulefiles"
    header = (f"source {LMOD_INIT}\n"
              f"module use {shlex.quote(str(modulefiles))}\n"
              "module load gradsweep\n"
              "set -euo pipefail\n")
    return run(["bash", "--norc", "--noprofile", "-c", header + script], cwd=cwd, env=env,
               timeout=300)


def test_installs_the_whole_product(prefix):
    root = prefix["prefix"]
    wanted = {
        "bin/gradsweep", "bin/gradsweep-plot",
        "share/gradsweep/python/gradsweep_plots.py",
        "share/gradsweep/jobs/sweep.sbatch", "share/gradsweep/jobs/sweep-requeue.sbatch",
        "share/gradsweep/jobs/example.yaml",
        "share/doc/gradsweep/README.md", "share/doc/gradsweep/LICENSE",
        "share/doc/gradsweep/CITATION.cff", "share/doc/gradsweep/docs/usage.md",
        "share/doc/gradsweep/docs/schema.md", "share/doc/gradsweep/docs/analysis.md",
        "share/man/man1/gradsweep.1", f"share/modulefiles/gradsweep/{VERSION}",
    }
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert wanted <= files, sorted(wanted - files)
    assert sorted(files) == sorted(str(Path(p).relative_to(root)) for p in prefix["manifest"])
    for program in ("bin/gradsweep", "bin/gradsweep-plot", "share/gradsweep/jobs/sweep.sbatch"):
        assert os.access(root / program, os.X_OK), program
    assert (root / "bin/gradsweep-plot").read_text().startswith("#!/usr/bin/python3\n")
    # Nothing readable points into the deleted trees (the program's debug
    # information names its sources, as every -g build does).
    for name in files - {"bin/gradsweep"}:
        text = (root / name).read_text()
        for tree in prefix["trees"]:
            assert tree not in text, f"{name} names {tree}"
    sbatch = (root / "share/gradsweep/jobs/sweep.sbatch").read_text()
    assert f"GRADSWEEP=${{GRADSWEEP:-{root}/bin/gradsweep}}" in sbatch


def test_module_load_then_sweep_plot_and_man(prefix, tmp_path):
    root = prefix["prefix"]
    out = module_shell(root, f"""
        echo "gradsweep=$(command -v gradsweep)"
        echo "plot=$(command -v gradsweep-plot)"
        echo "root=$GRADSWEEP_ROOT threads=$OPENBLAS_NUM_THREADS"
        echo "manpath=$(manpath 2>/dev/null)"
        gradsweep --version
        mpirun -n 2 gradsweep "$GRADSWEEP_ROOT/share/gradsweep/jobs/example.yaml" \\
            {SMALL} -o sweep.h5 --progress 0
        gradsweep-plot sweep.h5 -o figures --formats png
        MANWIDTH=80 man -P cat gradsweep > man.txt
        man --warnings -l "$(man -w gradsweep)" 2> man-warnings.txt > /dev/null
        """, cwd=tmp_path)
    lines = dict(line.split("=", 1) for line in out.stdout.splitlines()
                 if line.split("=", 1)[0] in ("gradsweep", "plot", "manpath"))
    assert lines["gradsweep"] == f"{root}/bin/gradsweep", out.stdout
    assert lines["plot"] == f"{root}/bin/gradsweep-plot", out.stdout
    assert f"root={root} threads=1" in out.stdout
    # man finds the module's page and still its own (an empty MANPATH element).
    assert f"{root}/share/man" in lines["manpath"] and "/usr/share/man" in lines["manpath"]
    assert out.stdout.count(f"gradsweep {VERSION} (OpenBLAS") == 1
    assert "How to cite: The gradsweep developers" in out.stdout

    with h5py.File(tmp_path / "sweep.h5", "r") as f:
        status = f["status"][:]
        assert len(status) == 3 * 2 * 16  # activations x depths x sigma_w, one seed
        assert np.isin(status, [STATUS["done"], STATUS["nonfinite"]]).all()
    figures = {p.name for p in (tmp_path / "figures").iterdir()}
    assert {"phase_diagram_relu.png", "signal_propagation_tanh.png", "gradient_flow.png",
            "healthy_band.csv"} <= figures, figures
    assert f"files in {tmp_path / 'figures'}" in out.stdout

    page = (tmp_path / "man.txt").read_text()
    for part in ("SYNOPSIS", "gradsweep theory", "--resume", "--max-memory", "FILES",
                 "share/gradsweep/jobs/", "HOW TO CITE", "The gradsweep developers (2026)"):
        assert part in page, part
    assert (tmp_path / "man-warnings.txt").read_text() == ""


def test_installed_slurm_script_runs_the_installed_gradsweep(prefix, cluster, tmp_path):
    """Submitted as a user would after `module load gradsweep`, with no
    GRADSWEEP: the script's default is the prefix's program."""
    root = prefix["prefix"]
    submitted = module_shell(root, f"""
        mpirun -n 2 gradsweep "$GRADSWEEP_ROOT/share/gradsweep/jobs/example.yaml" {SMALL} \\
            -o mpirun.h5 --progress 0
        export SWEEP="$GRADSWEEP_ROOT/share/gradsweep/jobs/example.yaml" OUT=slurm.h5 \\
               GRADSWEEP_ARGS="{SMALL}"
        sbatch --parsable --nodes=1 --ntasks-per-node=2 \\
            "$GRADSWEEP_ROOT/share/gradsweep/jobs/sweep.sbatch"
        """, cwd=tmp_path, extra_env={"SLURM_CONF": str(cluster.conf),
                                     "PATH": cluster.env["PATH"]})
    job = submitted.stdout.strip().splitlines()[-1].split(";")[0]
    record = cluster.wait(job, timeout=180)
    log_path = tmp_path / f"gradsweep-{job}.out"
    log = log_path.read_text() if log_path.exists() else "(no log)"
    assert record["JobState"] == "COMPLETED" and exit_code(record) == (0, 0), f"{record}\n{log}"
    assert f"2 ranks: {root}/bin/gradsweep " in log, log
    assert "gradsweep exited with 0" in log, log
    assert_same_data(tmp_path / "slurm.h5", tmp_path / "mpirun.h5")
