# SPDX-License-Identifier: MIT
"""One writer per results file (docs/usage.md, "One writer per results file"),
with real processes: while one gradsweep writes r.h5, a second start on it
(new, --force, --resume, --retry-failed; alone or under mpirun) is refused
with exit 8 before anything is touched, naming the holder; a holder that died
(kill -9 on this host, on "another host", in a requeued Slurm job) does not
block; --break-lock breaks a live lock and its holder then stops.

"Another host" is a real process in its own UTS namespace (unshare --uts) with
another host name: it cannot be seen from here, as a process on another node.
Holders are frozen with SIGSTOP once they hold the lock, so no test depends on
how fast the sweep runs; those whose heartbeat must go on run a sweep long
enough to outlast the test and are killed at the end.
"""
import os
import re
import signal
import socket
import subprocess
import time

import h5py

from conftest import GRADSWEEP, MPIEXEC, MPIEXEC_FLAGS, run_gradsweep

EXIT_LOCKED, EXIT_INTERRUPTED = 8, 5
# Minutes of work for one process: a holder never finishes by itself.
LONG = ["--depth", "100", "--width", "256", "--batch", "256", "--sigma-w", "0.5:2:200",
        "--activation", "tanh", "--progress", "0"]
# Six configurations that take a moment (drawing 100 weight matrices first):
# long enough to freeze or kill the run once it holds the lock, short to finish.
SHORT = ["--depth", "100", "--width", "256", "--batch", "4", "--sigma-w", "0.5:2:6",
         "--activation", "tanh", "--progress", "0"]
OTHER_HOST = "node-elsewhere"


def start(folder, args, hostname=None, env=None, ranks=None):
    """Starts gradsweep and returns it once it holds the lock (its line
    "N of M configurations to compute" comes after the results file is open),
    with what it printed before in proc.before. hostname: in a UTS namespace
    of its own with that host name."""
    cmd = [GRADSWEEP, *map(str, args)]
    if ranks:
        cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", str(ranks), *cmd]
    if hostname:
        cmd = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, *cmd]
    proc = subprocess.Popen(cmd, cwd=folder, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})), start_new_session=True)
    proc.before = ""
    while True:
        line = proc.stderr.readline()
        assert line, proc.before + proc.stderr.read()
        if "configurations to compute" in line:
            break
        proc.before += line
    assert proc.poll() is None, "the holder ended before the test could use it"
    return proc


def stop(proc, sig=signal.SIGKILL):
    """Sends sig to the whole process group (mpirun and its ranks) and reaps it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGCONT)
        os.killpg(proc.pid, sig)
    rest = proc.stderr.read()
    proc.wait(timeout=120)
    return rest


def freeze(proc):
    os.killpg(proc.pid, signal.SIGSTOP)


def thaw(proc):
    os.killpg(proc.pid, signal.SIGCONT)


def lock_record(folder):
    text = (folder / "r.h5.lock").read_text()
    return dict(line.split(" ", 1) for line in text.splitlines()
                if line and not line.startswith("#") and " " in line)


def files(folder):
    """Every file in folder with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def the_error(out):
    lines = [line for line in out.stderr.splitlines() if line.startswith("gradsweep: ")]
    assert len(lines) == 1, out
    return lines[0]


def assert_refused(out, holder_pid, host):
    assert out.returncode == EXIT_LOCKED, out
    message = the_error(out)
    for fragment in ['results file "r.h5" is being written by another gradsweep run',
                     f"host {host}", f"pid {holder_pid}", "since 20", "last heartbeat",
                     'lock "r.h5.lock"', "--break-lock"]:
        assert fragment in message, message
    assert out.stdout == "", out


def statuses(path):
    with h5py.File(path, "r") as f:
        return f["status"][:]


# ---- a live holder ----------------------------------------------------------------------


SECOND_STARTS = {
    "new": [],
    "force": ["--force"],
    "resume": ["--resume"],
    "retry-failed": ["--resume", "--retry-failed"],
}


def test_second_start_refused_while_the_first_writes(tmp_path):
    """Each way of starting a second run is refused, touching nothing; the
    first then finishes with every row, and leaves no lock behind."""
    holder = start(tmp_path, [*SHORT, "-o", "r.h5"])
    try:
        freeze(holder)
        record = lock_record(tmp_path)
        assert record["host"] == socket.gethostname() and record["pid"] == str(holder.pid)
        before = files(tmp_path)
        for extra in SECOND_STARTS.values():
            out = run_gradsweep([*SHORT, "-o", "r.h5", *extra], cwd=tmp_path)
            assert_refused(out, holder.pid, socket.gethostname())
            assert files(tmp_path) == before, extra
        # the same under mpirun: refused once, by rank 0, before any rank touches the file
        out = run_gradsweep([*SHORT, "-o", "r.h5", "--resume"], cwd=tmp_path, ranks=2)
        assert_refused(out, holder.pid, socket.gethostname())
        assert files(tmp_path) == before
        # a dry run reads nothing of the file: not refused
        assert run_gradsweep([*SHORT, "-o", "r.h5", "--dry-run"], cwd=tmp_path).returncode == 0
        thaw(holder)
        rest = holder.stderr.read()
        assert holder.wait(timeout=600) == 0, rest
    finally:
        stop(holder)
    assert list(statuses(tmp_path / "r.h5")) == [1] * 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5"]


def test_holder_under_mpirun_refuses_a_second_mpirun(tmp_path):
    holder = start(tmp_path, [*LONG, "-o", "r.h5"], ranks=2)
    try:
        pid = int(lock_record(tmp_path)["pid"])  # rank 0 holds it
        out = run_gradsweep([*LONG, "-o", "r.h5", "--force"], cwd=tmp_path, ranks=2)
        assert_refused(out, pid, socket.gethostname())
    finally:
        stop(holder)


def test_lock_given_back_on_a_graceful_stop(tmp_path):
    holder = start(tmp_path, [*LONG, "-o", "r.h5"])
    assert (tmp_path / "r.h5.lock").exists()
    rest = stop(holder, signal.SIGINT)
    assert holder.returncode == EXIT_INTERRUPTED, rest
    assert not (tmp_path / "r.h5.lock").exists()
    again = start(tmp_path, [*LONG, "-o", "r.h5", "--resume"])
    assert again.before == ""  # no lock to break
    stop(again)


# ---- holders that died ---------------------------------------------------------------------


def test_killed_holder_on_this_host_does_not_block(tmp_path):
    holder = start(tmp_path, [*SHORT, "-o", "r.h5"])
    pid = holder.pid
    stop(holder)  # kill -9: the lock stays behind
    assert lock_record(tmp_path)["pid"] == str(pid)
    out = run_gradsweep([*SHORT, "-o", "r.h5", "--resume"],
                        cwd=tmp_path)
    assert out.returncode == 0, out
    assert re.search(rf'note: broke the lock on "r.h5" held by host \S+, pid {pid}, .*'
                     rf"its process {pid} no longer runs on this host", out.stderr), out
    assert list(statuses(tmp_path / "r.h5")) == [1] * 6
    assert not (tmp_path / "r.h5.lock").exists()


def test_pid_reused_by_another_process(tmp_path):
    """A lock whose pid now belongs to another process (here: a sleep that
    started after the lock was written) is stale."""
    holder = start(tmp_path, [*SHORT, "-o", "r.h5"])
    stop(holder)
    record = (tmp_path / "r.h5.lock").read_text()
    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "r.h5.lock").write_text(re.sub(r"\npid \d+\n", f"\npid {other.pid}\n",
                                                   record))
        out = run_gradsweep([*SHORT, "-o", "r.h5",
                             "--resume"], cwd=tmp_path)
    finally:
        other.kill()
        other.wait()
    assert out.returncode == 0, out
    assert f"its pid {other.pid} now belongs to another process" in out.stderr, out


def test_holder_on_another_host_alive_then_its_heartbeat_stops(tmp_path):
    """Across hosts only the heartbeat tells: refused while it beats (every
    second here, --lock-stale 6), taken once it stopped for 6 s."""
    holder = start(tmp_path, [*LONG, "-o", "r.h5", "--lock-stale", "6"], hostname=OTHER_HOST)
    try:
        assert lock_record(tmp_path)["host"] == OTHER_HOST
        time.sleep(2)  # beats on its own: older than one heartbeat, younger than 6 s
        out = run_gradsweep([*LONG, "-o", "r.h5", "--resume"], cwd=tmp_path)
        assert_refused(out, holder.pid, OTHER_HOST)
        age = float(re.search(r"last heartbeat (\d+) s ago", out.stderr).group(1))
        assert age <= 2, out  # it did beat: the lock is younger than the holder's start
    finally:
        stop(holder)  # kill -9: "the node is lost"
    out = run_gradsweep([*LONG, "-o", "r.h5", "--resume"], cwd=tmp_path)
    assert out.returncode == EXIT_LOCKED, out  # 6 s have not passed yet
    time.sleep(7)
    taker = start(tmp_path, [*LONG, "-o", "r.h5", "--resume"])
    stop(taker)
    assert f"held by host {OTHER_HOST}" in taker.before, taker.before
    assert re.search(r"its heartbeat stopped \d+ s ago \(it beats every 1 s\)", taker.before), \
        taker.before


def test_requeued_slurm_job_takes_its_own_lock_on_another_node(tmp_path):
    """A preempted job's lock (killed with no time to give it back) is taken
    at once by the same job requeued on another node (same SLURM_JOB_ID,
    higher SLURM_RESTART_COUNT), though its heartbeat is still fresh; any other
    job is refused."""
    first_run = {"SLURM_JOB_ID": "4242", "SLURM_RESTART_COUNT": "0"}
    holder = start(tmp_path, [*SHORT, "-o", "r.h5"],
                   hostname=OTHER_HOST, env=first_run)
    stop(holder)
    assert lock_record(tmp_path)["slurm_job_id"] == "4242"
    args = [*SHORT, "-o", "r.h5", "--resume"]
    other_job = run_gradsweep(args, cwd=tmp_path, env={"SLURM_JOB_ID": "4243"})
    assert_refused(other_job, holder.pid, OTHER_HOST)
    assert "Slurm job 4242" in other_job.stderr
    requeued = run_gradsweep(args, cwd=tmp_path,
                             env={"SLURM_JOB_ID": "4242", "SLURM_RESTART_COUNT": "1"})
    assert requeued.returncode == 0, requeued
    assert "run 0 of this Slurm job 4242, which Slurm requeued (this is run 1)" in \
        requeued.stderr, requeued
    assert list(statuses(tmp_path / "r.h5")) == [1] * 6


def test_break_lock_stops_the_holder(tmp_path):
    """--break-lock takes a live lock; its holder notices at its next
    heartbeat, stops writing (exit 8) and says why, so that one run writes."""
    holder = start(tmp_path, [*LONG, "-o", "r.h5", "--lock-stale", "3"], hostname=OTHER_HOST)
    try:
        breaker = start(tmp_path, [*LONG, "-o", "r.h5", "--resume", "--break-lock",
                                   "--lock-stale", "3"])
        assert lock_record(tmp_path)["pid"] == str(breaker.pid)
        assert f"held by host {OTHER_HOST}" in breaker.before and "--break-lock" in \
            breaker.before, breaker.before
        rest = holder.stderr.read()
        holder.wait(timeout=120)
    finally:
        stop(holder)
    try:
        assert holder.returncode == EXIT_LOCKED, rest
        assert re.search(r'stopped writing "r.h5": its lock "r.h5.lock" was broken and taken by '
                         rf"host {re.escape(socket.gethostname())}, pid {breaker.pid}", rest), rest
    finally:
        stop(breaker)
