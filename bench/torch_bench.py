#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The same sweep-shaped block of configurations as bench_net, in PyTorch:
what a researcher would write instead of gradsweep.

For each (width, batch): SEEDS seeds × 8 values of sigma_w, depth DEPTH,
tanh (or --activation), float32 (or --precision), one thread. Each seed's
unit weights are drawn once and reused across sigma_w (as gradsweep does), so
the comparison is of the forward/backward passes and statistics, not of the
random number generators. Per configuration it computes what gradsweep
records, with autograd for the backward pass: q, preact_mean, c (by the same
O(B n) identity), act_ch_sq_mean, act_ch_var, saturated_frac, dead_frac,
delta_sq, grad_w_norm, grad_b_norm.

    torch_bench.py --shapes 64x128,1024x256 [--quick] [--csv FILE]
Prints one line per shape: seconds for the block, the best of at least 3
runs and of as many as fill half a second (--quick: a tenth). Seconds of
CPU time (time.process_time), as bench_net counts its own: on a machine
shared with other work the wall clock counts time spent waiting for a core."""
import argparse
import csv
import os
import sys
import time

# One thread, as gradsweep runs one BLAS thread per rank. torch.set_num_threads
# only governs PyTorch's own OpenMP pool: Debian's PyTorch hands matrix products
# to the system BLAS (OpenBLAS), whose threads must be capped before it loads,
# or its GEMMs quietly use every core.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402  (after the thread caps above)
import torch.nn.functional as F  # noqa: E402

SIGMAS = 8


def blas_kernel():
    """The OpenBLAS kernel this process runs (PyTorch loaded the library; a
    second load by name returns the same one), or "unknown"."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z,
               "sigmoid": torch.sigmoid, "silu": F.silu, "gelu": F.gelu, "elu": F.elu,
               "selu": F.selu}
# φ'(z) from z and a = φ(z) where it has a short closed form: what a careful
# script would write (one elementwise op); the others ask autograd.
DERIVATIVES = {"tanh": lambda z, a: 1 - a * a, "relu": lambda z, a: (z > 0).to(z.dtype),
               "linear": lambda z, a: torch.ones_like(z), "sigmoid": lambda z, a: a * (1 - a)}


def layer_stats(z, a, d):
    """The forward statistics of one layer (z, a, d: B × n)."""
    B, n = z.shape
    norms = z.norm(dim=1, keepdim=True)
    u = z / norms
    total = u.sum(0)
    c = (total.dot(total) - (u * u).sum()) / (B * (B - 1))
    mean = a.mean(0)
    saturated = d.abs() < 1e-3
    return torch.stack([(z * z).mean(), z.mean(), c, (mean * mean).mean(),
                        a.var(0, unbiased=False).mean(), saturated.float().mean(),
                        saturated.all(0).float().mean()])


def run_block(width, batch, depth, seeds, act, dtype, sigma_b=0.05):
    phi, dphi = ACTIVATIONS[act], DERIVATIVES.get(act)
    gen = torch.Generator().manual_seed(1)
    sigmas = [0.5 + 1.5 * k / (SIGMAS - 1) for k in range(SIGMAS)]
    start = time.process_time()
    for seed in range(seeds):
        units = [torch.randn(width, width, generator=gen, dtype=dtype) / width ** 0.5
                 for _ in range(depth)]
        betas = [torch.randn(width, generator=gen, dtype=dtype) for _ in range(depth)]
        x = torch.randn(batch, width, generator=gen, dtype=dtype)
        r = torch.randn(batch, width, generator=gen, dtype=dtype)
        for sigma_w in sigmas:
            weights = [(sigma_w * u).requires_grad_() for u in units]
            biases = [(sigma_b * b).requires_grad_() for b in betas]
            a, zs, rows = x, [], []
            for w, b in zip(weights, biases):
                z = a @ w.T + b
                z.retain_grad()
                a = phi(z)
                if dphi:
                    d = dphi(z.detach(), a.detach())
                else:  # φ' elementwise, as autograd sees it
                    zr = z.detach().requires_grad_()
                    d, = torch.autograd.grad(phi(zr).sum(), zr)
                with torch.no_grad():
                    rows.append(layer_stats(z.detach(), a.detach(), d))
                zs.append(z)
            loss = (r * zs[-1]).sum(1).mean()
            loss.backward()
            with torch.no_grad():
                backward = [torch.stack([(batch * z.grad).pow(2).mean(), w.grad.norm(),
                                         b.grad.norm()])
                            for z, w, b in zip(zs, weights, biases)]
            torch.stack(rows), torch.stack(backward)  # the per-layer table
    return time.process_time() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", default="64x128,128x128,1024x256")
    p.add_argument("--activation", default="tanh", choices=sorted(ACTIVATIONS))
    p.add_argument("--precision", default="float32", choices=["float32", "float64"])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--csv")
    args = p.parse_args()
    torch.set_num_threads(1)
    dtype = torch.float32 if args.precision == "float32" else torch.float64
    depth, seeds = (6, 1) if args.quick else (20, 2)
    rows = []
    for item in args.shapes.split(","):
        width, batch = map(int, item.split("x"))
        best, spent, runs = float("inf"), 0.0, 0
        while runs < 3 or (spent < (0.1 if args.quick else 0.5) and runs < 200):
            t = run_block(width, batch, depth, seeds, args.activation, dtype)
            best, spent, runs = min(best, t), spent + t, runs + 1
        rows.append({"width": width, "batch": batch, "precision": args.precision,
                     "activation": args.activation, "depth": depth,
                     "configs": seeds * SIGMAS, "torch_s": f"{best:.6f}",
                     "kernel": blas_kernel()})
        print(f"torch {width:6d} {batch:6d} {best:10.4f} s ({blas_kernel()})", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
