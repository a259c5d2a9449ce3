#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gradsweep's performance, as ratios measured side by side in one run.

    run_bench.py --gradsweep build/gradsweep --bench-net build/bench/bench_net [--quick]
                 [--out DIR]

1. GEMM efficiency: whole configurations against the GEMMs they contain,
   for widths 64 … 2048 and batches 64 … 512 (bench_net), three ways: against
   the same GEMMs with the kernel gradsweep runs, with the fastest correct
   kernel the BLAS offers on this CPU, and against the core's peak (an FMA
   loop in its widest vector instructions).
2. Against PyTorch: the same sweep-shaped blocks, same precision, one thread,
   same per-layer statistics, same OpenBLAS kernel (torch_bench.py):
   gradsweep's time / PyTorch's.
3. Scheduling: a sweep whose configurations differ in cost by 100x or more on
   2 ranks: busy core-seconds / (ranks x wall), and the share of that wall
   time spent writing results (the file's busy_time_s, write_time_s).
4. Memory: peak resident memory of single-configuration runs against the
   workspace model that --dry-run and --max-memory use.
5. Estimates: --dry-run's time for jobs/example.yaml and the benchmark's
   sweeps against the measured time, on 1 rank and on 2 (target: within
   +-25 %).

Prints one table per part and writes them all to DIR/bench.csv. No figure is
asserted: these machines are shared; the targets are quoted for comparison."""
import argparse
import csv
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

HERE = Path(__file__).resolve().parent
MPI_FLAGS = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])


def run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"run_bench: {' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stderr}")
    return out


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def gemm_efficiency(args, tmp, rows):
    print("\n== 1. GEMM efficiency: whole configurations / GEMMs alone (targets: >= 0.85 of the "
          "best kernel's GEMM at width >= 512, >= 0.6 at widths 64-128; >= 0.75 of the core's "
          "peak at width >= 1024)", flush=True)
    table = {}
    for precision in (["float32"] if args.quick else ["float32", "float64"]):
        out_csv = tmp / f"net_{precision}.csv"
        cmd = [args.bench_net, "--precision", precision, "--csv", out_csv]
        if args.quick:
            cmd.append("--quick")
        print(run(cmd).stdout, end="", flush=True)
        for r in read_csv(out_csv):
            table[(precision, int(r["width"]), int(r["batch"]))] = r
            for part, value, detail in [
                    ("gemm_efficiency", r["efficiency"],
                     f"{r['config_gflops']} of {r['gemm_gflops']} GFLOP/s, kernel {r['kernel']}"),
                    ("of_best_gemm", r["of_best"],
                     f"{r['config_gflops']} of {r['best_gemm_gflops']} GFLOP/s "
                     f"({r['best_kernel']})"),
                    ("of_peak", r["of_peak"],
                     f"{r['config_gflops']} of {r['peak_gflops']} GFLOP/s ({r['peak_isa']} FMA)")]:
                rows.append({"part": part, "precision": precision, "width": r["width"],
                             "batch": r["batch"], "value": value, "detail": detail})
    return table


def against_pytorch(args, tmp, net, rows):
    print("\n== 2. gradsweep / PyTorch, same configurations, precision, thread count and "
          "OpenBLAS kernel (target <= 0.3 at width <= 128, <= 0.85 at width 1024)", flush=True)
    shapes = ["64x128", "128x128"] if args.quick else ["64x128", "128x128", "1024x256"]
    out_csv = tmp / "torch.csv"
    # PyTorch loads the system OpenBLAS, which picks its kernel when it loads:
    # name the one gradsweep ran so that both use the same.
    kernel = next(iter(net.values()))["kernel"]
    env = dict(os.environ, OPENBLAS_CORETYPE=kernel)
    cmd = ["/usr/bin/python3", HERE / "torch_bench.py", "--shapes", ",".join(shapes),
           "--csv", out_csv] + (["--quick"] if args.quick else [])
    run(cmd, env=env)
    torch_kernels = {r["kernel"] for r in read_csv(out_csv)}
    print(f"kernel: gradsweep {kernel}, PyTorch {', '.join(sorted(torch_kernels))}")
    print(f"{'width':>6} {'batch':>6} {'gradsweep s':>12} {'PyTorch s':>10} {'ratio':>7}")
    for r in read_csv(out_csv):
        key = ("float32", int(r["width"]), int(r["batch"]))
        if key not in net:  # quick mode: time gradsweep on this shape too
            extra = tmp / f"net_{r['width']}x{r['batch']}.csv"
            run([args.bench_net, "--quick", "--kernels", "none", "--shapes",
                 f"{r['width']}x{r['batch']}", "--csv", extra])
            net[key] = read_csv(extra)[0]
        ours, theirs = float(net[key]["config_s"]), float(r["torch_s"])
        print(f"{r['width']:>6} {r['batch']:>6} {ours:12.4f} {theirs:10.4f} {ours / theirs:7.3f}")
        rows.append({"part": "vs_pytorch", "precision": "float32", "width": r["width"],
                     "batch": r["batch"], "value": f"{ours / theirs:.4f}",
                     "detail": f"{ours:.4f} s vs {theirs:.4f} s, kernel {kernel}"})


def scheduling(args, tmp, rows):
    print("\n== 3. Scheduling on 2 ranks, costs differing by ~160x (target: busy >= 0.95 of "
          "ranks x wall; writing <= 2%)", flush=True)
    sweep = tmp / "uneven.yaml"
    depths = "[5, 50]" if args.quick else "[5, 20, 50]"
    sweep.write_text(f"""name: uneven
grid:
  activation: [relu, tanh]
  depth: {depths}
  width: [64, 256]
  sigma_w: {{linspace: [0.8, 1.6, {6 if args.quick else 12}]}}
  seed: {{range: {2 if args.quick else 4}}}
  batch: [128]
""")
    out = tmp / "uneven.h5"
    began = time.monotonic()
    run(["mpirun", *MPI_FLAGS, "-n", "2", args.gradsweep, sweep, "-o", out, "--force",
         "--progress", "0"])
    total = time.monotonic() - began
    with h5py.File(out, "r") as f:
        a = f.attrs
        ranks, wall = int(a["mpi_ranks"]), float(a["wall_time_s"])
        busy, write = float(a["busy_time_s"]), float(a["write_time_s"])
        elapsed = f["elapsed_s"][:]
        n = len(elapsed)
    spread = elapsed.max() / elapsed.min()
    efficiency, share = busy / (ranks * wall), write / (ranks * wall)
    print(f"{n} configurations, slowest / fastest {spread:.0f}x; scheduling wall {wall:.2f} s "
          f"(whole command {total:.2f} s, with MPI start-up and creating the file)")
    print(f"busy core-seconds / (ranks x wall) = {busy:.2f} / ({ranks} x {wall:.2f}) = "
          f"{efficiency:.3f}")
    print(f"writing results: {write:.3f} s of {ranks} x {wall:.2f} s = {100 * share:.2f}%")
    rows.append({"part": "scheduling_efficiency", "value": f"{efficiency:.4f}",
                 "detail": f"{n} configs, {spread:.0f}x cost spread, 2 ranks"})
    rows.append({"part": "hdf5_write_share", "value": f"{share:.5f}",
                 "detail": f"{write:.3f} s writing of {ranks} x {wall:.2f} s"})


def peak_rss_bytes(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"run_bench: {' '.join(map(str, cmd))} failed")
    return usage.ru_maxrss * 1024


def workspace_bytes(args, axes):
    out = run([args.gradsweep, *axes, "--dry-run"]).stdout
    m = re.search(r"memory per rank: ([\d.]+) (B|KiB|MiB|GiB)", out)
    unit = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[m.group(2)]
    return float(m.group(1)) * unit


def memory(args, tmp, rows):
    print("\n== 4. Peak resident memory of one rank against the workspace model", flush=True)
    sizes = [(200, 1024, 256), (50, 2048, 512)] if args.quick else [
        (200, 1024, 256), (50, 2048, 512), (400, 1024, 512), (100, 4096, 256)]
    base_axes = ["--depth", "1", "--width", "8", "--batch", "2", "--sigma-w", "1",
                 "--activation", "relu", "--progress", "0"]
    baseline = peak_rss_bytes([args.gradsweep, *base_axes, "-o", tmp / "m0.h5", "--force"])
    print(f"baseline (MPI, HDF5, OpenBLAS, a tiny sweep): {baseline / 2**20:.0f} MiB")
    print(f"{'depth':>6} {'width':>6} {'batch':>6} {'model MiB':>10} {'measured MiB':>13} "
          f"{'ratio':>6}")
    for depth, width, batch in sizes:
        axes = ["--depth", str(depth), "--width", str(width), "--batch", str(batch),
                "--sigma-w", "1", "--activation", "relu", "--progress", "0"]
        model = workspace_bytes(args, axes)
        peak = peak_rss_bytes([args.gradsweep, *axes, "-o", tmp / "m.h5", "--force"]) - baseline
        print(f"{depth:6d} {width:6d} {batch:6d} {model / 2**20:10.0f} {peak / 2**20:13.0f} "
              f"{peak / model:6.3f}")
        rows.append({"part": "memory_vs_model", "width": width, "batch": batch,
                     "value": f"{peak / model:.4f}",
                     "detail": f"depth {depth}: {peak / 2**20:.0f} MiB measured, "
                               f"{model / 2**20:.0f} MiB modelled"})


def parse_seconds(text):
    """gradsweep's "1h02m", "3m07s" or "4.2 s" -> seconds."""
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+) ?s)?", text.strip())
    h, mi, sec = (float(g) if g else 0.0 for g in m.groups())
    return 3600 * h + 60 * mi + sec


def estimates(args, tmp, rows):
    print("\n== 5. --dry-run's estimate against the measured time (target: within +-25 %)",
          flush=True)
    sweeps = [("uneven", tmp / "uneven.yaml")]
    if not args.quick:
        sweeps = [("example", HERE.parent / "jobs" / "example.yaml"),
                  ("many-small", HERE / "many-small.yaml")] + sweeps
    print(f"{'sweep':>12} {'ranks':>5} {'estimate s':>11} {'CPU/rank s':>11} {'ratio':>6} "
          f"{'sweep wall s':>12} {'ratio':>6} {'command s':>10}")
    for name, path in sweeps:
        for ranks in (1, 2):
            launch = ["mpirun", *MPI_FLAGS, "-n", str(ranks)] if ranks > 1 else []
            out = run([*launch, args.gradsweep, path, "--dry-run"]).stdout
            if ranks == 1:
                estimate = parse_seconds(re.search(r"about (.+?) of one core", out).group(1))
            else:
                estimate = parse_seconds(re.search(r"on \d+ ranks: about (.+?) \(", out).group(1))
            result = tmp / f"{name}-{ranks}.h5"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.monotonic()
            run([*launch, args.gradsweep, path, "-o", result, "--force", "--progress", "0"])
            command = time.monotonic() - began
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / ranks
            with h5py.File(result, "r") as f:
                wall = float(f.attrs["wall_time_s"])
            print(f"{name:>12} {ranks:5d} {estimate:11.2f} {cpu:11.2f} {estimate / cpu:6.2f} "
                  f"{wall:12.2f} {estimate / wall:6.2f} {command:10.2f}", flush=True)
            rows.append({"part": "estimate_vs_measured", "width": name, "batch": ranks,
                         "value": f"{estimate / cpu:.4f}",
                         "detail": f"{estimate:.2f} s estimated, {cpu:.2f} s CPU per rank, "
                                   f"{wall:.2f} s sweep wall, {command:.2f} s whole command"})
    print("(CPU/rank: CPU time of the whole command (start-up, file, sweep) per rank, what it "
          "takes on cores of its own; sweep wall: the file's wall_time_s, which on a shared "
          "machine includes waiting for a core)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gradsweep", required=True)
    p.add_argument("--bench-net", required=True)
    p.add_argument("--out", default="bench-results")
    p.add_argument("--quick", action="store_true", help="a short version (CI)")
    p.add_argument("--parts", default="1,2,3,4,5",
                   help="which parts to run, e.g. 5 or 1,2 (part 2 needs 1, part 5 needs 3)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env_threads = os.environ.get("OPENBLAS_NUM_THREADS")
    load = os.getloadavg()
    print(f"gradsweep benchmark{' (quick)' if args.quick else ''}: {os.cpu_count()} cores, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
          f"OPENBLAS_NUM_THREADS={env_threads or 'unset'}; one BLAS thread per rank")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        parts = {int(p) for p in args.parts.split(",")}
        net = gemm_efficiency(args, tmp, rows) if parts & {1, 2} else {}
        if 2 in parts:
            against_pytorch(args, tmp, net, rows)
        if parts & {3, 5}:
            scheduling(args, tmp, rows)
        if 4 in parts:
            memory(args, tmp, rows)
        if 5 in parts:
            estimates(args, tmp, rows)
    with open(out / "bench.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["part", "precision", "width", "batch", "value",
                                          "detail"])
        w.writeheader()
        w.writerows(rows)
    load = os.getloadavg()
    print(f"\nfigures: {out / 'bench.csv'} (load average at the end {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
