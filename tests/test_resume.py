# SPDX-License-Identifier: MIT
"""Nothing a sweep finished is lost: SIGKILL at any moment leaves a file that
opens, whose done rows are complete; a stop signal ends the sweep gracefully
(exit 5); and the same command with --resume computes exactly what is missing,
giving the data of an uninterrupted run bit for bit."""
import contextlib
import os
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import GRADSWEEP, MPIEXEC, MPIEXEC_FLAGS, run_gradsweep
from schema_contract import PER_LAYER

EXIT_INTERRUPTED = 5
# ~4 s on 2 ranks here: long enough to interrupt at many points.
SWEEP = ["--depth", "30,60", "--width", "192", "--sigma-w", "0.5:2:24", "--activation",
         "relu,tanh", "--seed", "0:3:4", "--batch", "64", "--progress", "0"]
N = 2 * 2 * 24 * 4
EXCLUDED = {"rank", "elapsed_s"}


def start(folder, out, *extra):
    cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", "2", GRADSWEEP, *SWEEP, "-o", out, *extra]
    return subprocess.Popen(cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def data(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][:] for name in f if name not in EXCLUDED}


def assert_same_data(path, reference):
    mine, theirs = data(path), data(reference)
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert mine[name].tobytes() == theirs[name].tobytes(), name


def check_done_rows_complete(path):
    """Every row marked done (or nonfinite) holds its numbers; pending rows
    hold none of the measured ones."""
    with h5py.File(path, "r") as f:
        status, depth = f["status"][:], f["depth"][:]
        q, delta_sq, elapsed = f["q"][:], f["delta_sq"][:], f["elapsed_s"][:]
    for i in np.flatnonzero(status == 1):
        assert np.isfinite(q[i, :depth[i]]).all() and np.isfinite(delta_sq[i, :depth[i]]).all()
        assert np.isfinite(elapsed[i])
    return status


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    began = time.monotonic()
    out = run_gradsweep([*SWEEP, "-o", "full.h5"], ranks=2, cwd=folder)
    assert out.returncode == 0, out
    # the file, and how long a whole run takes here
    return {"path": folder / "full.h5", "seconds": time.monotonic() - began}


# Kill points spread over a run, as fractions of an uninterrupted one: from
# MPI start-up and creating the file to the last configurations.
KILL_AT = [0.15, 0.3, 0.45, 0.6, 0.75, 0.9]


def kill_everything(proc, folder):
    """SIGKILL to mpirun and to every rank: Open MPI puts each rank in a
    process group of its own, so killing mpirun's group leaves the ranks
    running (and writing) for seconds. Ranks are found by their working
    folder; returns once none is left."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 60
    while True:
        ranks = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{pid}/cwd") == str(folder):
                    state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
                    if state not in "ZX":
                        ranks.append(int(pid))
            except OSError:
                continue  # gone, or not ours to look at
        if not ranks:
            return
        for pid in ranks:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert time.monotonic() < deadline, f"ranks {ranks} survive SIGKILL"
        time.sleep(0.05)


def rows_done(path):
    """How many rows of a killed run's file are complete (None: no file)."""
    if not path.exists():
        return None
    return int((check_done_rows_complete(path) != 0).sum())


@pytest.mark.parametrize("fraction", KILL_AT)
def test_sigkill_then_resume(tmp_path, reference, fraction):
    """Killed at `fraction` of a run's time; the kill must land mid-sweep (the
    file holds some rows but not all), so a kill that came too early or too
    late is tried again later or sooner, up to 8 times."""
    delay = fraction * reference["seconds"]
    for attempt in range(8):
        for leftover in tmp_path.iterdir():
            leftover.unlink()
        proc = start(tmp_path, "r.h5")
        time.sleep(delay)
        kill_everything(proc, tmp_path)
        done = rows_done(tmp_path / "r.h5")  # also: it opens, and done rows are whole
        if done is not None and 0 < done < N:
            break
        delay *= 1.5 if not done else 0.6  # too early: later; too late: sooner
    else:
        pytest.fail(f"no kill landed mid-sweep in 8 attempts (last after {delay:.2f} s: {done})")
    status = check_done_rows_complete(tmp_path / "r.h5")
    with h5py.File(tmp_path / "r.h5", "r") as f:
        before = {"elapsed_s": f["elapsed_s"][:], "rank": f["rank"][:]}
    out = run_gradsweep([*SWEEP, "-o", "r.h5", "--resume"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    # the killed run's lock was left behind, and is broken: its process is gone
    assert 'note: broke the lock on "r.h5"' in out.stderr, out
    print(f"killed after {delay:.2f} s with {done} of {status.size} done; "
          "resumed to the uninterrupted result")
    assert_same_data(tmp_path / "r.h5", reference["path"])
    with h5py.File(tmp_path / "r.h5", "r") as f:
        # Nothing computed twice: rows done before the kill were not rewritten.
        done = status != 0
        assert (f["elapsed_s"][:][done] == before["elapsed_s"][done]).all()
        assert (f["rank"][:][done] == before["rank"][done]).all()
        assert f.attrs["configs_done"] == status.size and f.attrs["configs_pending"] == 0


def test_stop_signal_is_graceful_then_resume(tmp_path, reference):
    proc = start(tmp_path, "r.h5")
    time.sleep(0.5 * reference["seconds"])
    os.kill(proc.pid, signal.SIGUSR1)  # to mpirun, which forwards it to every rank
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "SIGUSR1 received: stopping" in stderr
    assert "the same command with --resume computes the" in stderr
    status = check_done_rows_complete(tmp_path / "r.h5")
    with h5py.File(tmp_path / "r.h5", "r") as f:  # closed properly: the end-of-run record
        assert f.attrs["configs_pending"] == (status == 0).sum() > 0
        assert f.attrs["configs_done"] == (status == 1).sum() > 0
    out = run_gradsweep([*SWEEP, "-o", "r.h5", "--resume"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    assert f"{(status == 0).sum()} of {status.size} configurations to compute" in out.stderr
    assert_same_data(tmp_path / "r.h5", reference["path"])


def test_grace_zero_abandons_in_flight_work(tmp_path):
    """With --grace 0 configurations in flight are abandoned (left pending),
    so even a sweep of long configurations stops at once."""
    slow = ["--depth", "400", "--width", "512", "--sigma-w", "1,1.2,1.4,1.6", "--activation",
            "tanh", "--batch", "256", "--progress", "0", "--grace", "0"]
    cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", "2", GRADSWEEP, *slow, "-o", "slow.h5"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGUSR1)
    began = time.monotonic()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert time.monotonic() - began < 10  # one configuration takes ~10 s here
    with h5py.File(tmp_path / "slow.h5", "r") as f:
        assert (f["status"][:] == 0).all()  # abandoned work stays pending, nothing half-stored
        assert np.isnan(f["q"][:]).all()


def test_retry_failed(tmp_path, reference):
    """Rows recorded as failed are recomputed by --resume --retry-failed (and
    left alone by --resume)."""
    out = run_gradsweep([*SWEEP, "-o", "r.h5"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "r.h5", "r+") as f:  # as if 5 configurations had run out of memory
        for i in (3, 17, 40, 41, 90):
            f["status"][i] = 3
            for name in PER_LAYER:
                f[name][i, :] = np.nan
    keep = run_gradsweep([*SWEEP, "-o", "r.h5", "--resume"], ranks=2, cwd=tmp_path)
    assert keep.returncode == 0 and f"0 of {N} configurations to compute" in keep.stderr
    retry = run_gradsweep([*SWEEP, "-o", "r.h5", "--resume", "--retry-failed"], ranks=2,
                          cwd=tmp_path)
    assert retry.returncode == 0, retry
    assert f"5 of {N} configurations to compute" in retry.stderr
    assert_same_data(tmp_path / "r.h5", reference["path"])
