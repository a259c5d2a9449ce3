# SPDX-License-Identifier: MIT
"""A real one-node Slurm cluster for the tests: Debian's slurmctld and slurmd,
localhost only, every file in one state folder, started and stopped by PID.

Facts it relies on are in ../shared/notes/LOCAL-SLURM.md: no cgroups here
(proctrack/linuxproc, task/none), auth/none + cred/none (no munge daemon),
PMIx as the default MPI plugin (the only one Debian's Open MPI works with),
8 CPUs declared on a 2-core machine so that several small jobs fit, ports
picked free, a scheduler that starts jobs at once. The daemons run as the
current user (root in CI; an ordinary user works too). From nothing to an idle
node takes ~1 s, stopping ~1 s.

    cluster = Cluster(Path("/tmp/x")); cluster.start()
    job = cluster.sbatch(["--ntasks=2", "jobs/sweep.sbatch"], env={...})
    info = cluster.wait(job, FINISHED)
    cluster.stop()

By hand, for poking at the scripts in jobs/ (prints the SLURM_CONF to export):
    /usr/bin/python3 tests/slurm/slurm_cluster.py start /tmp/gs-slurm
    /usr/bin/python3 tests/slurm/slurm_cluster.py stop /tmp/gs-slurm
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "scancel", "scontrol", "squeue")
# Job states after which a job runs no more (unless requeued: REQUEUED is
# transient and the job comes back PENDING).
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
            "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}

# Beyond the notes' lines: cred_expire is also how long a requeued job waits
# before it may start again (slurm.conf(5)), and the main and backfill
# schedulers look at pending jobs every 60 s and 30 s by default: with those
# defaults a requeue takes 2–3 min instead of ~6 s. KillWait: seconds from
# SIGTERM to SIGKILL when a job is cancelled or hits its limit (default 30).
CONFIG = """\
ClusterName=gradsweep-test
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/none
CredType=cred/none
AuthInfo=cred_expire=5
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=pmix
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1,bf_interval=1
SlurmdParameters=config_overrides
KillWait=10
NodeName=localhost CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


# Slurm's PMIx plugin puts each step's client folder in /tmp/spmix_appdir_UID_JOB.STEP
# unless told otherwise: two test clusters (both number jobs from 1), or one left
# over, would collide ("Cannot create client cli tmpdir: File exists").
MPI_CONFIG = "PMIxCliTmpDirBase={root}/pmix\n"


class SlurmError(RuntimeError):
    pass


def missing_programs():
    """The Slurm programs this machine lacks (scripts/deps.sh test installs them)."""
    return [p for p in DAEMONS + CLIENTS if not shutil.which(p, path=os.environ.get("PATH", "")
                                                               + ":/usr/sbin:/sbin")]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_record(line):
    """`scontrol show job -o` prints one job as KEY=VALUE pairs separated by
    spaces; values themselves may hold spaces only in a few fields we do not
    read (Command, WorkDir are paths without spaces in the tests)."""
    record = {}
    for item in line.split():
        key, sep, value = item.partition("=")
        if sep:
            record[key] = value
    return record


class Cluster:
    def __init__(self, root, cpus=8):
        self.root = Path(root)
        self.cpus = cpus
        self.conf = self.root / "slurm.conf"
        self.pids = {}   # daemon name -> PID, also in STATE_DIR/pids.json
        self.procs = {}  # daemon name -> Popen, when this process started them
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))
        self.env["PATH"] = self.env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"

    # ---- start and stop ---------------------------------------------------------

    def start(self, timeout=30):
        missing = missing_programs()
        if missing:
            raise SlurmError(f"Slurm is not installed (missing {', '.join(missing)}); "
                             "scripts/deps.sh test installs it")
        self.root.mkdir(parents=True, exist_ok=True)
        for sub in ("state", "spool", "pmix"):
            (self.root / sub).mkdir(exist_ok=True)
        self.conf.write_text(CONFIG.format(root=self.root, cpus=self.cpus,
                                           ctld_port=free_port(), slurmd_port=free_port(),
                                           user=pwd.getpwuid(os.getuid()).pw_name))
        (self.root / "mpi.conf").write_text(MPI_CONFIG.format(root=self.root))  # beside slurm.conf
        commands = {"slurmctld": ["slurmctld", "-D", "-i", "-f", str(self.conf)],
                    "slurmd": ["slurmd", "-D", "-N", "localhost", "-f", str(self.conf)]}
        for name in DAEMONS:
            out = open(self.root / f"{name}.out", "ab")
            proc = subprocess.Popen(commands[name], env=self.env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            out.close()
            self.procs[name] = proc
            self.pids[name] = proc.pid
        (self.root / "pids.json").write_text(json.dumps(self.pids))
        try:
            self._wait_for_idle_node(timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _wait_for_idle_node(self, timeout):
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            for name in self.pids:
                if not self._alive(name):
                    raise SlurmError(f"{name} exited at start-up; see {self.root}/{name}.log "
                                     f"and {name}.out:\n{self.log_tail(name)}")
            out = self.run(["scontrol", "show", "node", "localhost", "-o"], check=False)
            state = parse_record(out.stdout).get("State", "")
            if out.returncode == 0 and state.split("+")[0] == "IDLE":
                return
            time.sleep(0.2)
        raise SlurmError(f"the node is not idle after {timeout} s (state {state!r}); see "
                         f"{self.root}/slurmd.log:\n{self.log_tail('slurmd')}")

    def stop(self, timeout=20):
        """Cancels every job, waits for them to end, then stops the daemons by
        PID: SIGTERM, and SIGKILL if one is still there after `timeout`."""
        if not self.pids:
            return
        if all(self._alive(name) for name in self.pids):
            self.run(["scancel", "--user", pwd.getpwuid(os.getuid()).pw_name], check=False)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                out = self.run(["squeue", "-h", "-t", "all", "-o", "%T"], check=False)
                states = set(out.stdout.split())
                if out.returncode or not states & {"RUNNING", "COMPLETING", "CONFIGURING",
                                                   "SUSPENDED"}:
                    break
                time.sleep(0.2)
        for name in reversed(DAEMONS):  # slurmd first: it reports to slurmctld
            if name in self.pids and self._alive(name):
                os.kill(self.pids[name], signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name in reversed(DAEMONS):
            while name in self.pids and self._alive(name) and time.monotonic() < deadline:
                time.sleep(0.1)
            if name in self.pids and self._alive(name):
                os.kill(self.pids[name], signal.SIGKILL)
                end = time.monotonic() + 5
                while self._alive(name) and time.monotonic() < end:
                    time.sleep(0.05)
            self.pids.pop(name, None)
            self.procs.pop(name, None)

    def _alive(self, name):
        proc = self.procs.get(name)
        if proc is not None:
            return proc.poll() is None  # reaps it once it has ended
        try:
            os.kill(self.pids[name], 0)  # started by another process (the CLI below)
        except ProcessLookupError:
            return False
        return True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- clients -------------------------------------------------------------------

    def run(self, args, check=True, env=None, timeout=60, cwd=None):
        full_env = dict(self.env)
        full_env.update(env or {})
        out = subprocess.run(args, env=full_env, capture_output=True, text=True,
                             timeout=timeout, cwd=cwd)
        if check and out.returncode:
            raise SlurmError(f"{' '.join(map(str, args))}: exit {out.returncode}\n"
                             f"{out.stdout}{out.stderr}")
        return out

    def sbatch(self, args, env=None, cwd=None):
        """Submits a job; returns its id. env is the job's environment on top
        of this process's (sbatch exports everything by default)."""
        out = self.run(["sbatch", "--parsable", *map(str, args)], env=env, cwd=cwd)
        return out.stdout.strip().split(";")[0]

    def job(self, job_id):
        """The job's record from `scontrol show job -o`, as a dict."""
        out = self.run(["scontrol", "show", "job", str(job_id), "-o"])
        return parse_record(out.stdout.splitlines()[0])

    def wait(self, job_id, states=FINISHED, timeout=300, poll=0.2):
        """Polls the job until its JobState is one of `states` (faster than
        `sbatch --wait`, which polls every ~30 s); returns the record."""
        deadline = time.monotonic() + timeout
        record = {}
        while time.monotonic() < deadline:
            record = self.job(job_id)
            if record.get("JobState") in states:
                return record
            time.sleep(poll)
        raise SlurmError(f"job {job_id} is not in {sorted(states)} after {timeout} s: "
                         f"{record}")

    def log_tail(self, name, lines=20):
        path = self.root / f"{name}.log"
        if not path.exists():
            path = self.root / f"{name}.out"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def exit_code(record):
    """(exit code, signal) of a finished job: ExitCode=5:0 -> (5, 0)."""
    code, _, sig = record.get("ExitCode", "0:0").partition(":")
    return int(code), int(sig or 0)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(f"usage: {argv[0]} start|stop STATE_DIR", file=sys.stderr)
        return 2
    cluster = Cluster(Path(argv[2]).resolve())
    if argv[1] == "start":
        cluster.start()
        print(f"export SLURM_CONF={cluster.conf}")
        return 0
    pid_file = cluster.root / "pids.json"
    if not pid_file.exists():
        print(f"no cluster recorded in {cluster.root}", file=sys.stderr)
        return 1
    cluster.pids = json.loads(pid_file.read_text())
    cluster.stop()
    pid_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
