# SPDX-License-Identifier: MIT
"""Helpers of the Slurm tests: submit the scripts of jobs/ to the test cluster
as a user would, and read the results files they write."""
import os
import subprocess
import time
from pathlib import Path

# Reading a results file while a job writes it (docs/usage.md); set before
# h5py loads HDF5.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")

import h5py  # noqa: E402
import pytest  # noqa: E402

from slurm_cluster import FINISHED, SlurmError, exit_code  # noqa: E402

SOURCE_DIR = Path(os.environ.get("GS_SOURCE_DIR", Path(__file__).resolve().parents[2]))
GRADSWEEP = os.environ.get("GRADSWEEP", str(SOURCE_DIR / "build" / "gradsweep"))
JOBS = SOURCE_DIR / "jobs"
STATUS = {"pending": 0, "done": 1, "nonfinite": 2, "failed": 3, "underflow": 4}

# What every job needs here and a cluster user would have set up already: Open
# MPI refuses root without these.
JOB_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "HDF5_USE_FILE_LOCKING": "FALSE"}


class Jobs:
    """Submits scripts of jobs/ from a folder, remembers the jobs, cancels any
    still there at the end of the test."""

    def __init__(self, cluster, folder):
        self.cluster, self.folder, self.ids = cluster, Path(folder), []

    def submit(self, script, options=(), **env):
        exports = ",".join(f"{k}={v}" for k, v in {**JOB_ENV, **env}.items())
        job = self.cluster.sbatch([*options, f"--export=ALL,{exports}", JOBS / script],
                                  cwd=self.folder)
        self.ids.append(job)
        return job

    def wait(self, job, states=FINISHED, timeout=300):
        try:
            return self.cluster.wait(job, states, timeout)
        except SlurmError as e:
            raise SlurmError(f"{e}\n--- job log\n{self.log(job)}") from None

    def signal(self, job, name):
        """What a user (or Slurm's --signal=B:…) does: signal the batch script."""
        self.cluster.run(["scancel", f"--signal={name}", "--batch", job])

    def log(self, job):
        path = self.folder / f"gradsweep-{job}.out"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def cancel_all(self):
        for job in self.ids:
            self.cluster.run(["scancel", job], check=False)


def finished_ok(jobs, job, record):
    assert record["JobState"] == "COMPLETED" and exit_code(record) == (0, 0), \
        f"{record}\n--- job log\n{jobs.log(job)}"


def read_status(path):
    """The status of every configuration, or None while the file is not
    there or not readable yet (it is being created)."""
    try:
        with h5py.File(path, "r") as f:
            return f["status"][:]
    except (OSError, KeyError):
        return None


def data_variables(path, excluded=("rank", "elapsed_s")):
    with h5py.File(path, "r") as f:
        return {name: f[name][:] for name in f
                if isinstance(f[name], h5py.Dataset) and name not in excluded}


def assert_same_data(path, reference):
    """Every data variable bitwise equal, except who computed a configuration
    and how long it took (tests/test_ranks.py)."""
    ours, theirs = data_variables(path), data_variables(reference)
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name].tobytes() == theirs[name].tobytes(), name


def wait_for_progress(jobs, job, path, done_at_least, timeout=300):
    """Polls the results file (readable while the job writes it) until at
    least `done_at_least` configurations are done; returns the status. The
    wait is long because it costs nothing when the job is quick: on a loaded
    2-core machine a job's first configurations once took over 120 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(path)
        if status is not None and (status == STATUS["done"]).sum() >= done_at_least:
            return status
        record = jobs.cluster.job(job)
        if record["JobState"] in FINISHED:
            pytest.fail(f"job ended before the sweep made progress: {record}\n{jobs.log(job)}")
        time.sleep(0.3)
    processes = subprocess.run(["ps", "-eo", "pid,stat,etime,args"], capture_output=True,
                               text=True).stdout
    pytest.fail(f"no progress in {path} after {timeout} s\n{jobs.cluster.job(job)}\n"
                f"{jobs.log(job)}\nprocesses:\n{processes}")


def wait_until(condition, jobs, job, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s\n{jobs.log(job)}")
        time.sleep(0.1)
