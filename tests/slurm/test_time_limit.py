# SPDX-License-Identifier: MIT
"""The wall-clock limit, for real: jobs/sweep-requeue.sbatch with a one-minute
limit on a sweep that needs several, stopped by Slurm's own --signal=B:USR1@30
before each limit, requeued and resumed until the sweep is done; the data equal
an uninterrupted run's.

Slow (5–7 minutes: Slurm checks limits every ~30 s and may send the signal up to
a minute early), so CTest label "slurm-slow" and skipped unless GS_SLOW_TESTS=1:
    GS_SLOW_TESTS=1 ctest --preset default -L slurm-slow
"""
import math
import os
import re

import h5py
import numpy as np
import pytest

from slurm_jobs import GRADSWEEP, STATUS, assert_same_data, finished_ok

pytestmark = [
    pytest.mark.skipif(os.environ.get("GS_SLOW_TESTS") != "1",
                       reason="slow; set GS_SLOW_TESTS=1 to run it"),
]

# Configurations of at most ~0.5 s; the number of seeds is set from gradsweep's
# own estimate (--dry-run) so that the sweep needs about two one-minute limits
# on 2 cores on whatever machine runs the test (a fixed size that once needed
# several minutes here came to fit in one after gradsweep got faster).
SWEEP = """\
name: slurm-time-limit
base_seed: 11
precision: float32
grid:
  depth: [30, 100]
  width: [192, 384]
  sigma_w: {linspace: [0.5, 2.0, 8]}
  activation: [relu, tanh]
  seed: {range: SEEDS}
  batch: [128]
"""
TARGET_CORE_SECONDS = 2 * 2 * 60  # two limits of one minute, on 2 ranks


def seconds(text):
    """gradsweep's durations ("31.3 s", "3m25s", "1h05m") in seconds."""
    if text.endswith(" s"):
        return float(text[:-2])
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)([hms])", text))


def write_sized_sweep(gradsweep, folder):
    probe = folder / "probe.yaml"
    probe.write_text(SWEEP.replace("SEEDS", "12"))
    out = gradsweep([probe, "--dry-run", "-o", folder / "probe.h5"], timeout=300)
    assert out.returncode == 0, out
    estimate = seconds(re.search(r"about (.+?) of one core", out.stdout).group(1))
    seeds = max(12, math.ceil(12 * TARGET_CORE_SECONDS / estimate))
    probe.unlink()
    (folder / "sweep.yaml").write_text(SWEEP.replace("SEEDS", str(seeds)))
    print(f"\n{seeds} seeds: about {estimate * seeds / 12:.0f} s of one core by gradsweep's estimate")


def uninterrupted(gradsweep, folder):
    """The same sweep under plain mpirun: the data do not depend on the ranks."""
    out = gradsweep(["sweep.yaml", "-o", "ref.h5"], ranks=2, cwd=folder, timeout=600)
    assert out.returncode == 0, out
    return folder / "ref.h5"


def test_time_limit_stops_requeues_and_resumes(jobs, gradsweep, tmp_path):
    write_sized_sweep(gradsweep, tmp_path)
    job = jobs.submit("sweep-requeue.sbatch",
                      ["--nodes=1", "--ntasks-per-node=2", "--time=1", "--signal=B:USR1@30"],
                      SWEEP="sweep.yaml", OUT="sweep.h5", GRADSWEEP=GRADSWEEP, MAX_RESTARTS=10)
    record = jobs.wait(job, timeout=900)
    log = jobs.log(job)
    finished_ok(jobs, job, record)
    assert int(record["Restarts"]) >= 1, f"{record}\n{log}"
    runs = re.findall(r"ranks: (.*)", log)
    assert len(runs) == int(record["Restarts"]) + 1, log
    assert all("--resume" in run for run in runs[1:]), log
    with h5py.File(tmp_path / "sweep.h5", "r") as f:
        status = f["status"][:]
    assert np.isin(status, [STATUS["done"], STATUS["nonfinite"]]).all()
    assert_same_data(tmp_path / "sweep.h5", uninterrupted(gradsweep, tmp_path))
