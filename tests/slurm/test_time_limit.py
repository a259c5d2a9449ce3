"""The wall-clock limit, for real: jobs/sweep-requeue.sbatch with a one-minute
limit on a sweep that needs several, stopped by Slurm's own --signal=B:USR1@30
before each limit, requeued and resumed until the sweep is done; the data equal
an uninterrupted run's.

Slow (2–4 minutes: Slurm checks limits every ~30 s and may send the signal up to
a minute early), so CTest label "slurm-slow" and skipped unless GS_SLOW_TESTS=1:
    GS_SLOW_TESTS=1 ctest --preset default -L slurm-slow
"""
import os
import re
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from slurm_jobs import GRADSWEEP, STATUS, assert_same_data, finished_ok, gradsweep_has

pytestmark = [
    pytest.mark.skipif(os.environ.get("GS_SLOW_TESTS") != "1",
                       reason="slow; set GS_SLOW_TESTS=1 to run it"),
    pytest.mark.skipif(not gradsweep_has("--resume"), reason="this gradsweep has no --resume yet"),
]

# ~60 s of work on 2 cores, configurations of at most ~0.5 s.
SWEEP = """\
name: slurm-time-limit
base_seed: 11
precision: float32
grid:
  depth: [30, 100]
  width: [192, 384]
  sigma_w: {linspace: [0.5, 2.0, 8]}
  activation: [relu, tanh]
  seed: {range: 12}
  batch: [128]
"""


def uninterrupted(folder):
    """The same sweep under plain mpirun: the data do not depend on the ranks."""
    cmd = [shutil.which("mpirun") or "mpirun", "-n", "2", GRADSWEEP, "sweep.yaml", "-o", "ref.h5"]
    if os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    out = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return folder / "ref.h5"


def test_time_limit_stops_requeues_and_resumes(jobs, tmp_path):
    (tmp_path / "sweep.yaml").write_text(SWEEP)
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
    assert_same_data(tmp_path / "sweep.h5", uninterrupted(tmp_path))
