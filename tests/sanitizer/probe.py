#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Finds out, before the sanitizer tests run, how LeakSanitizer can check the
processes that load Open MPI on this machine, and tells the tests.

    probe.py LSAN_PROBE GRADSWEEP ENV_FILE

LSAN_PROBE is tests/sanitizer/lsan_probe.c built with ASan + UBSan: it loads
Open MPI, parallel HDF5 and OpenBLAS as gradsweep does, lists the loaded
objects that have TLS, and leaks one block on purpose. GRADSWEEP is the
sanitizer build of gradsweep. The probe tries each setting below in turn and
keeps the first under which
  - LSAN_PROBE, alone and under mpirun -n 2, reports the deliberate leak (the
    check is shown able to fail) and its tracer does not crash,
  - no dynamically loaded library's TLS block is tracked through
    __tls_get_addr (the condition under which the tracer can crash, below),
  - gradsweep's own short runs (no arguments, --version, a tiny sweep) end
    with their own exit codes, no tracer crash.
It writes that setting to ENV_FILE (KEY=VALUE lines, applied by
tests/conftest.py to every process the tests start) and prints one line:
which checks run where and, if a check cannot run, which and why. With no
setting that works, the leak check is switched off for the tests' processes
(ASan and UBSan stay on) and the line says so; unit tests without MPI keep
their own leak checks. It fails only if ASan itself cannot run.

Why: on some machines (seen on a 2-core Intel Xeon, family 6 model 207,
glibc 2.36, with clang 14's and GCC 12's runtimes alike) every process that
loaded Open MPI ended with "Tracer caught signal 11" from LeakSanitizer, exit 1
instead of its own code. Inside MPI_Init, a single process's hwloc topology
discovery loads hwloc's OpenCL plugin, which loads libOpenCL (ocl-icd), whose
TLS is dynamic: the sanitizer records the block from its __tls_get_addr
interceptor, and when the block happens to sit 16 bytes past a page boundary
(ASan's allocator decides, so it depends on everything the process allocated
before) it reads the block's bounds from a glibc 2.19 header that glibc 2.36
no longer writes: a nonsense range ("DTLS 10 at 0xc4d-0x400001d4f") that the
tracer then scans at exit, and crashes. So whether a given process crashes
cannot be predicted, but whether the risk exists can: a tracked dynamic TLS
block. HWLOC_COMPONENTS=-opencl keeps hwloc from loading the plugin; gradsweep
never uses OpenCL devices, so nothing under test changes.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

LEAK_MARK = "gs_probe_deliberate_leak"
CRASH_MARKS = ("Tracer caught signal", "LeakSanitizer has encountered a fatal error")
DYNAMIC_TLS = re.compile(r"__tls_get_addr: 0x[0-9a-f]+ \{0x([0-9a-f]+),0x[0-9a-f]+\} =>")
TLS_MODULE = re.compile(r"lsan_probe: tls module (\d+) (\S+)")

# Settings tried in order: environment additions, and what to say about them.
SETTINGS = [
    ({}, None),
    ({"HWLOC_COMPONENTS": "-opencl"},
     "with HWLOC_COMPONENTS=-opencl: hwloc's OpenCL plugin loads {library}, whose dynamic TLS "
     "can crash LeakSanitizer's tracer (seen: Intel Xeon family 6 model 207)"),
]

TINY_SWEEP = ["--depth", "2", "--width", "8", "--batch", "4", "--sigma-w", "1",
              "--activation", "relu", "--progress", "0", "-o", "probe.h5"]


def base_environment():
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env["ASAN_OPTIONS"] = "detect_leaks=1"
    env.setdefault("LSAN_OPTIONS", "")
    return env


def run(cmd, env, cwd=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
    return proc.returncode, proc.stdout + proc.stderr


def verbose(env):
    lsan = env.get("LSAN_OPTIONS", "")
    return dict(env, LSAN_OPTIONS=(lsan + ":" if lsan else "") + "verbosity=2")


def try_setting(probe, gradsweep, env):
    """(None, modules) when every check passes under env, else (what failed,
    modules): modules maps the TLS module ids seen to library names."""
    mpirun = os.environ.get("MPIEXEC") or shutil.which("mpirun") or "mpirun"
    modules = {}
    runs = [("as one process", [probe]),
            ("under mpirun -n 2", [mpirun, "--oversubscribe", "--allow-run-as-root", "-n", "2",
                                   probe])]
    for where, cmd in runs:
        rc, out = run(cmd, verbose(env))
        modules.update(TLS_MODULE.findall(out))
        if any(mark in out for mark in CRASH_MARKS):
            return f"its tracer crashed in a probe process {where}", modules
        if LEAK_MARK not in out or rc == 0:
            return f"it did not report a deliberate leak {where} (exit {rc})", modules
        tracked = sorted(set(DYNAMIC_TLS.findall(out)))
        if tracked:
            names = ", ".join(modules.get(str(int(i, 16)), f"module {int(i, 16)}")
                              for i in tracked)
            return f"it tracks the dynamic TLS of {names} {where}", modules
    with tempfile.TemporaryDirectory() as folder:
        for args, code in (([], 2), (["--version"], 0), (TINY_SWEEP, 0)):
            rc, out = run([gradsweep, *args], env, cwd=folder)
            if any(mark in out for mark in CRASH_MARKS) or rc != code:
                return (f"gradsweep {' '.join(args) or '(no arguments)'} exited {rc}, not "
                        f"{code}: {out.strip().splitlines()[-1] if out.strip() else ''}"), modules
    return None, modules


def library_of(failure, modules):
    """The library a failure names, for the message (when the tracer crashed
    before naming one: the library this workaround is for)."""
    for name in modules.values():
        if name in failure:
            return os.path.basename(name)
    return "libOpenCL (ocl-icd)"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: probe.py LSAN_PROBE GRADSWEEP ENV_FILE")
    probe, gradsweep, env_file = sys.argv[1:]
    base = base_environment()
    failures = []
    chosen = None
    seen = {}  # TLS module id -> library, over every try
    for extra, note in SETTINGS:
        failure, modules = try_setting(probe, gradsweep, dict(base, **extra))
        seen.update(modules)
        if failure is None:
            library = library_of(failures[-1], seen) if failures else ""
            chosen = (extra, note.format(library=library) if note else None)
            break
        failures.append(failure)
    lines = []
    if chosen is not None:
        extra, note = chosen
        lines += [f"{k}={v}" for k, v in extra.items()]
        lines.append("ASAN_OPTIONS=detect_leaks=1")
        message = ("sanitizers: ASan, UBSan and LeakSanitizer check every sanitizer test, MPI "
                   "processes included" + (f"; {note}" if note else ""))
        if failures:
            message += f" (as it is, LeakSanitizer: {failures[0]})"
    else:
        rc, out = run([probe], dict(base, ASAN_OPTIONS="detect_leaks=0"))
        if rc != 0:
            sys.exit(f"sanitizer probe: {probe} fails even without the leak check (exit {rc}):"
                     f"\n{out}")
        lines.append("ASAN_OPTIONS=detect_leaks=0")
        message = ("sanitizers: leak checks NOT made in the processes the integration tests "
                   f"start (LeakSanitizer: {failures[0]}; every known workaround failed: "
                   f"{'; '.join(failures[1:])}); ASan and UBSan still check them, and the unit "
                   "tests keep their leak checks")
    with open(env_file, "w") as f:
        f.write(f"# written by tests/sanitizer/probe.py: {message}\n")
        f.write("\n".join(lines) + "\n")
    print(message)


if __name__ == "__main__":
    main()
