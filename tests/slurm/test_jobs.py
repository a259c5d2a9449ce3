# SPDX-License-Identifier: MIT
"""The scripts of jobs/, submitted unchanged to a real one-node Slurm cluster
(only the sizes differ: --nodes=1 --ntasks-per-node=2 on the command line, the
sweep and the results file through --export), as a user would submit them.

- a whole sweep as one MPI job (srun --mpi=pmix, one rank per task);
- the scripts' stop path, with a stand-in for gradsweep that records what
  reaches every rank: USR1, TERM or INT to the batch script becomes USR1 on
  every rank, and the requeue loop stops after MAX_RESTARTS;
- a job stopped by a signal mid-sweep ends with gradsweep's exit 5 and a
  valid, partial file; submitting it again, or letting sweep-requeue.sbatch
  requeue itself, resumes it to the same data as an uninterrupted run;
- ranks started without PMIx are caught: exit 7 and how to launch, instead of
  Open MPI's abort inside MPI_Init (4.x) or N singletons (5.x).
"""
import os
import re
import signal
import stat

import h5py
import numpy as np
import pytest

from slurm_cluster import exit_code
from slurm_jobs import (GRADSWEEP, Jobs, STATUS, assert_same_data, finished_ok,
                        wait_for_progress, wait_until)

# ~15 s on 2 cores: 256 configurations of 0.01–0.5 s, so that a stop signal
# lands mid-sweep and in-flight work ends quickly. sigma_w starts at 0.75, not
# 0.5: a relu net at 0.5 passes through float32 subnormals past layer ~40,
# which cost ~40x on some Intel CPUs (61 of the sweep's 88 s on a Xeon family
# 6 model 207), and this test is about scheduling, not about physics.
SWEEP = """\
name: slurm-test
base_seed: 7
precision: float32
grid:
  depth: [30, 100]
  width: [192, 384]
  sigma_w: {linspace: [0.75, 2.0, 8]}
  activation: [relu, tanh]
  seed: {range: 4}
  batch: [128]
"""
SIZES = ["--nodes=1", "--ntasks-per-node=2"]
TASKS = 2

def setup_sweep(folder):
    (folder / "sweep.yaml").write_text(SWEEP)
    return folder / "sweep.h5"


@pytest.fixture(scope="module")
def reference(cluster, tmp_path_factory):
    """An uninterrupted run of jobs/sweep.sbatch: (results file, job record,
    log, Jobs, job id)."""
    folder = tmp_path_factory.mktemp("reference")
    out = setup_sweep(folder)
    jobs = Jobs(cluster, folder)
    job = jobs.submit("sweep.sbatch", SIZES, SWEEP="sweep.yaml", OUT=out.name,
                      GRADSWEEP=GRADSWEEP)
    try:
        record = jobs.wait(job, timeout=300)
    finally:
        jobs.cancel_all()
    return out, record, jobs.log(job), jobs, job


def test_sweep_job_computes_every_configuration(reference):
    out, record, log, jobs, job = reference
    finished_ok(jobs, job, record)
    assert record["NumTasks"] == str(TASKS)
    with h5py.File(out, "r") as f:
        status = f["status"][:]
        assert len(status) == 256
        assert np.isin(status, [STATUS["done"], STATUS["nonfinite"]]).all(), np.unique(status)
        assert f.attrs["mpi_ranks"] == TASKS
        assert f.attrs["blas_threads"] == 1  # --cpus-per-task=1
        assert set(f["rank"][:]) == set(range(TASKS))
    assert "--resume" not in log.split("ranks:", 1)[1].splitlines()[0], log
    assert "gradsweep exited with 0" in log, log


# ---- the scripts' stop and requeue logic, with a stand-in for gradsweep -----------

# Records its arguments and the signals it gets, per rank; creates the results
# file (-o) as gradsweep would, so that a second run sees it.
STAND_IN = r"""#!/bin/bash
r=$SLURM_PROCID log=$FAKE_LOG.$r got=
echo "args: $*" >> "$log"
while (( $# )); do [[ $1 == -o ]] && out=$2; shift; done
(( r == 0 )) && : >> "$out"
trap 'echo "got USR1" >> "$log"; got=1' USR1
trap 'echo "got TERM" >> "$log"; got=1' TERM
trap 'echo "got INT" >> "$log"; got=1' INT
[[ $FAKE_MODE == exit5 ]] && exit 5
for ((i = 0; i < 600; i++)); do [[ -n $got ]] && break; sleep 0.1; done
sleep 1  # in-flight work finishing
echo "exit 5" >> "$log"
exit 5
"""


def stand_in(folder):
    path = folder / "stand-in.sh"
    path.write_text(STAND_IN)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def rank_logs(folder):
    return {r: (folder / f"fake.{r}").read_text() for r in range(TASKS)}


@pytest.mark.parametrize("script,signal", [("sweep.sbatch", "USR1"), ("sweep.sbatch", "TERM"),
                                           ("sweep-requeue.sbatch", "INT")])
def test_stop_signal_reaches_every_rank_as_usr1(jobs, tmp_path, script, signal):
    """scancel --signal=X -b signals the batch script only (as --signal=B:USR1@N
    does); the script passes USR1 on through srun. TERM must not reach srun:
    srun answers it by killing the ranks at once. INT (and TERM) stop
    sweep-requeue.sbatch for good: no requeue."""
    job = jobs.submit(script, SIZES, GRADSWEEP=stand_in(tmp_path), FAKE_MODE="wait",
                      FAKE_LOG=tmp_path / "fake", SWEEP="s.yaml", OUT="s.h5")
    jobs.wait(job, {"RUNNING"}, timeout=60)
    # Both ranks are up once both wrote their arguments.
    wait_until(lambda: all((tmp_path / f"fake.{r}").exists() for r in range(TASKS)), jobs,
               job)
    jobs.signal(job, signal)
    record = jobs.wait(job, timeout=60)
    log = jobs.log(job)
    assert record["JobState"] == "FAILED" and exit_code(record) == (5, 0), f"{record}\n{log}"
    assert record["Restarts"] == "0", f"{record}\n{log}"
    for r, text in rank_logs(tmp_path).items():
        assert text.splitlines() == ["args: s.yaml -o s.h5 --blas-threads 1", "got USR1",
                                     "exit 5"], f"rank {r}:\n{text}\n{log}"
    assert f"got SIG{signal}" in log and "gradsweep exited with 5" in log, log
    assert "submit this job again to resume it" in log, log


def test_requeue_resumes_and_gives_up_after_max_restarts(jobs, tmp_path):
    """Exit 5 requeues the job (same id, log appended), and the next run adds
    --resume; after MAX_RESTARTS requeues the job ends with exit 5."""
    job = jobs.submit("sweep-requeue.sbatch", SIZES, GRADSWEEP=stand_in(tmp_path),
                      FAKE_MODE="exit5", FAKE_LOG=tmp_path / "fake", SWEEP="s.yaml",
                      OUT="s.h5", MAX_RESTARTS=1)
    record = jobs.wait(job, timeout=120)
    log = jobs.log(job)
    assert record["JobState"] == "FAILED" and exit_code(record) == (5, 0), f"{record}\n{log}"
    assert record["Restarts"] == "1", record
    for r, text in rank_logs(tmp_path).items():
        assert [line for line in text.splitlines() if line.startswith("args")] == [
            "args: s.yaml -o s.h5 --blas-threads 1",
            "args: s.yaml -o s.h5 --blas-threads 1 --resume"], f"rank {r}:\n{text}\n{log}"
    assert "requeued (restart 1 of at most 1)" in log, log
    assert "interrupted after 1 requeue(s) (MAX_RESTARTS=1)" in log, log


# ---- stop and resume with the real gradsweep -------------------------------------


def interrupt_mid_sweep(jobs, script, out, **env):
    """Submits a job, signals its batch script with USR1 once some
    configurations are done; returns the job id."""
    job = jobs.submit(script, SIZES, SWEEP="sweep.yaml", OUT=out.name, GRADSWEEP=GRADSWEEP,
                      **env)
    wait_for_progress(jobs, job, out, done_at_least=12)
    jobs.signal(job, "USR1")
    return job


def check_partial(out):
    """An interrupted file: valid, some configurations done with all their
    numbers, the others pending with none."""
    with h5py.File(out, "r") as f:
        status = f["status"][:]
        done = status == STATUS["done"]
        pending = status == STATUS["pending"]
        assert done.any() and pending.any(), np.unique(status, return_counts=True)
        assert (done | pending).all(), np.unique(status)
        ratio = f["log10_delta_ratio"][:]
        assert np.isfinite(ratio[done]).all() and np.isnan(ratio[pending]).all()
        return {name: f[name][:] for name in ("rank", "elapsed_s")}, done


def test_interrupted_job_resumes_when_submitted_again(jobs, tmp_path, reference):
    out = setup_sweep(tmp_path)
    job = interrupt_mid_sweep(jobs, "sweep.sbatch", out)
    record = jobs.wait(job, timeout=120)
    assert record["JobState"] == "FAILED" and exit_code(record) == (5, 0), \
        f"{record}\n{jobs.log(job)}"
    before, done = check_partial(out)

    again = jobs.submit("sweep.sbatch", SIZES, SWEEP="sweep.yaml", OUT=out.name,
                        GRADSWEEP=GRADSWEEP)
    finished_ok(jobs, again, jobs.wait(again, timeout=300))
    assert "--resume" in jobs.log(again), jobs.log(again)
    assert_same_data(out, reference[0])
    # Nothing finished was computed again: the same rank and time as before.
    with h5py.File(out, "r") as f:
        for name, values in before.items():
            assert (f[name][:][done] == values[done]).all(), name


def test_requeue_job_resumes_by_itself(jobs, tmp_path, reference):
    out = setup_sweep(tmp_path)
    job = interrupt_mid_sweep(jobs, "sweep-requeue.sbatch", out)
    record = jobs.wait(job, timeout=300)
    log = jobs.log(job)
    finished_ok(jobs, job, record)
    assert record["Restarts"] == "1", record
    runs = re.findall(r"ranks: (.*)", log)
    assert len(runs) == 2 and "--resume" not in runs[0] and "--resume" in runs[1], log
    assert "gradsweep exited with 5" in log and "requeued (restart 1" in log, log
    assert_same_data(out, reference[0])


def gradsweep_processes(folder):
    """The pids of gradsweep ranks working in folder (a job's submit folder)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if (os.readlink(f"/proc/{pid}/cwd") == str(folder)
                    and os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "gradsweep"):
                pids.append(int(pid))
        except OSError:
            continue
    return pids


def test_preempted_job_requeued_resumes_by_itself(jobs, tmp_path, reference):
    """Preemption without warning: every rank killed with SIGKILL (no graceful
    stop, so the results file's lock stays behind), then the job requeued, as
    Slurm's PreemptMode=REQUEUE does. The requeued run (same job id, restart
    1) takes the dead run's lock and resumes to the uninterrupted data."""
    out = setup_sweep(tmp_path)
    job = jobs.submit("sweep-requeue.sbatch", SIZES, SWEEP="sweep.yaml", OUT=out.name,
                      GRADSWEEP=GRADSWEEP)
    wait_for_progress(jobs, job, out, done_at_least=12)
    ranks = gradsweep_processes(tmp_path)
    assert len(ranks) == TASKS, ranks
    for pid in ranks:
        os.kill(pid, signal.SIGKILL)
    record = jobs.wait(job, timeout=120)
    assert record["JobState"] == "FAILED", f"{record}\n{jobs.log(job)}"
    assert (tmp_path / "sweep.h5.lock").exists()  # nobody gave it back
    jobs.cluster.run(["scontrol", "requeue", job])
    record = jobs.wait(job, timeout=300)
    log = jobs.log(job)
    finished_ok(jobs, job, record)
    assert record["Restarts"] == "1", record
    assert re.search(r'note: broke the lock on "sweep.h5" held by host \S+, pid \d+, Slurm job '
                     rf"{job}, .*(no longer runs on this host|which Slurm requeued)", log), log
    assert not (tmp_path / "sweep.h5.lock").exists()
    assert_same_data(out, reference[0])


def test_ranks_started_without_pmix_are_caught(cluster, tmp_path):
    """srun --mpi=none cannot wire Debian's Open MPI together: every task must
    stop with exit 7 and say how to launch instead of computing alone."""
    setup_sweep(tmp_path)
    out = cluster.run(["srun", "--mpi=none", "-n", str(TASKS), "--label", GRADSWEEP,
                       "sweep.yaml", "-o", "x.h5"], check=False, cwd=tmp_path, timeout=120)
    text = out.stdout + out.stderr
    assert out.returncode == 7, text
    assert re.search(rf"tasks? 0-{TASKS - 1}: Exited with exit code 7", text), text
    assert "--mpi=pmix" in text and "mpirun" in text, text
    assert not (tmp_path / "x.h5").exists()
