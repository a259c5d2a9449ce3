#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Time per training step: gradsweep against PyTorch on the same network,
same precision, one thread each, side by side in one run.

    bench/train_step.py --gradsweep build/gradsweep [--depth 21] [--width 128]
                        [--batch 128] [--precision float32] [--steps 200]

The network is 784 -> width x (depth - 1) -> 10, tanh, SGD (lr 0.01) on
Fashion-MNIST minibatches, cross entropy. gradsweep's time per step is the
difference of two single-configuration runs (2·steps and steps steps), so
that start-up, data loading, the measurement at initialization and the test
evaluation cancel; PyTorch's is a timed loop of the same steps over minibatches
already in memory (nn.Linear layers, torch.optim.SGD), after warm-up.
Each is measured --repeat times, alternating, and the fastest kept (the
machine is shared: the fastest run is the one least disturbed). Both use one
OpenBLAS thread; set OPENBLAS_CORETYPE (e.g. SkylakeX) to give PyTorch the
GEMM kernel gradsweep chooses for the CPU (gradsweep keeps a user's value).
Prints both and their ratio; asserts nothing."""
import argparse
import os
import subprocess
import tempfile
import time

import h5py

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before torch loads OpenBLAS

SWEEP = """\
data: fashion-mnist
precision: {precision}
train:
  steps: {steps}
  optimizer: sgd
  record_every: {steps}
  stats_steps: [0]
grid:
  depth: [{depth}]
  width: [{width}]
  sigma_w: [1.35]
  sigma_b: [0.2236068]
  activation: [tanh]
  batch: [{batch}]
  learning_rate: [0.01]
"""


def gradsweep_seconds(binary, args, steps, folder):
    sweep = os.path.join(folder, f"s{steps}.yaml")
    with open(sweep, "w") as f:
        f.write(SWEEP.format(**{**vars(args), "steps": steps}))
    out = os.path.join(folder, f"r{steps}.h5")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    subprocess.run([binary, sweep, "-o", out, "--force", "--progress", "0"], check=True,
                   env=env, capture_output=True)
    with h5py.File(out, "r") as f:
        return float(f["elapsed_s"][0])


def torch_seconds_per_step(args):
    import numpy as np
    import torch
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # as gradsweep's training flushes subnormal numbers
    dtype = torch.float32 if args.precision == "float32" else torch.float64
    torch.manual_seed(0)
    layers, fan_in = [], 784
    for l in range(args.depth):
        fan_out = 10 if l == args.depth - 1 else args.width
        layers.append(torch.nn.Linear(fan_in, fan_out, dtype=dtype))
        if l < args.depth - 1:
            layers.append(torch.nn.Tanh())
        fan_in = fan_out
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = torch.as_tensor(rng.normal(size=(60000, 784)), dtype=dtype)
    y = torch.as_tensor(rng.integers(0, 10, size=60000))
    batches = [torch.as_tensor(rng.choice(60000, args.batch, replace=False))
               for _ in range(args.steps + 10)]

    def step(rows):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x[rows]), y[rows])
        loss.backward()
        opt.step()

    for rows in batches[:10]:
        step(rows)
    start = time.perf_counter()
    for rows in batches[10:]:
        step(rows)
    return (time.perf_counter() - start) / args.steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gradsweep", default="build/gradsweep")
    parser.add_argument("--depth", type=int, default=21)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--precision", default="float32", choices=["float32", "float64"])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ours, theirs = [], []
    binary = os.path.abspath(args.gradsweep)
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.repeat):
            short = gradsweep_seconds(binary, args, args.steps, folder)
            long = gradsweep_seconds(binary, args, 2 * args.steps, folder)
            ours.append((long - short) / args.steps)
            theirs.append(torch_seconds_per_step(args))
    print("gradsweep runs (ms per step):", " ".join(f"{t * 1e3:.2f}" for t in ours))
    print("PyTorch runs (ms per step):  ", " ".join(f"{t * 1e3:.2f}" for t in theirs))
    ours, theirs = min(ours), min(theirs)
    print(f"784 -> {args.width} x {args.depth - 1} -> 10 tanh, batch {args.batch}, "
          f"{args.precision}, SGD, one thread")
    print(f"gradsweep: {ours * 1e3:.3f} ms per step")
    print(f"PyTorch:   {theirs * 1e3:.3f} ms per step")
    print(f"gradsweep / PyTorch: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
