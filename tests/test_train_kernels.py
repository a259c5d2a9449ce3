# SPDX-License-Identifier: MIT
"""gradsweep's training kernels against PyTorch (float64): the losses
(cross entropy with its log-sum-exp, mse against targets and against one-hot
labels: value, per-sample losses, softmax, accuracy and the per-sample
gradient dl/dz) and the optimizers (torch.optim.SGD with and without
momentum, torch.optim.Adam) over several steps, to 1e-12.

tests/train_kernels_harness.c runs the C kernels on the numbers this test
writes to its stdin. Run by hand:
    GS_TRAIN_KERNELS_HARNESS=build/tests/train_kernels_harness \
        /usr/bin/python3 -m pytest -q tests/test_train_kernels.py
"""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

HARNESS = os.environ.get("GS_TRAIN_KERNELS_HARNESS",
                         str(Path(__file__).resolve().parent.parent / "build" / "tests"
                             / "train_kernels_harness"))
RTOL = 1e-12
# The harness links OpenBLAS (through gs_math) without calling it; one thread
# keeps OpenBLAS from starting its pool, whose thread start LeakSanitizer
# reports now and then (a leak inside glibc's pthread_getattr_np).
HARNESS_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def run_harness(header, *arrays):
    text = header + "\n" + "\n".join(" ".join(repr(float(v)) if isinstance(v, (float, np.floating))
                                             else str(int(v)) for v in np.ravel(a))
                                    for a in arrays) + "\n"
    proc = subprocess.run([HARNESS], input=text, capture_output=True, text=True, timeout=60,
                          env=HARNESS_ENV)
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        name, *values = line.split()
        out[name] = np.array([float(v) for v in values])
    return out


def assert_close(got, want, what, scale=None):
    """|got - want| <= RTOL * max(|want|, scale): relative, with an absolute
    floor at RTOL * scale for entries that are near zero by cancellation."""
    want = np.asarray(want, dtype=np.float64).ravel()
    got = np.asarray(got, dtype=np.float64).ravel()
    assert got.shape == want.shape, what
    floor = np.abs(want).max() if scale is None else scale
    bound = RTOL * np.maximum(np.abs(want), floor)
    worst = np.max(np.abs(got - want) - bound)
    assert worst <= 0, f"{what}: worst excess {worst:.3g} over {RTOL:g} relative"


LOSS_CASES = {
    # name: (B, k, logit scale)
    "small": (7, 3, 1.0),
    "classes10": (32, 10, 3.0),
    "large_logits": (16, 10, 300.0),   # exp would overflow without the max shift
    "one_class_dominant": (8, 4, 40.0),
}


def logits_and_labels(B, k, scale, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((B, k)) * scale
    z[0, :] = 0.25                      # a row of ties: argmax is the first index
    y = rng.integers(0, k, B)
    y[0] = 0
    return z, y


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_cross_entropy(case):
    B, k, scale = LOSS_CASES[case]
    z, y = logits_and_labels(B, k, scale, seed=len(case))
    got = run_harness(f"cross_entropy {B} {k}", z, y)
    zt = torch.tensor(z, requires_grad=True)
    yt = torch.tensor(y)
    per_sample = F.cross_entropy(zt, yt, reduction="none")
    loss = per_sample.mean()
    loss.backward()
    assert_close(got["losses"], per_sample.detach(), "per-sample loss")
    assert_close(got["loss"], [loss.item()], "mean loss")
    assert_close(got["probs"], torch.softmax(zt.detach(), 1), "softmax", scale=1.0)
    # dl_i/dz = B * d(mean)/dz: the per-sample gradient gradsweep hands backward
    assert_close(got["delta"], zt.grad * B, "dl/dz", scale=1.0)
    assert got["correct"][0] == (zt.detach().argmax(1) == yt).sum().item()


@pytest.mark.parametrize("form", ["targets", "labels"])
def test_mse(form):
    B, k = 12, 5
    rng = np.random.default_rng(3)
    z = rng.standard_normal((B, k)) * 2
    if form == "targets":
        t = rng.standard_normal((B, k))
        got = run_harness(f"mse {B} {k} targets", z, t)
        target = torch.tensor(t)
    else:
        y = rng.integers(0, k, B)
        got = run_harness(f"mse {B} {k} labels", z, y)
        target = F.one_hot(torch.tensor(y), k).double()
    zt = torch.tensor(z, requires_grad=True)
    per_sample = 0.5 * ((zt - target) ** 2).sum(1)
    loss = per_sample.mean()
    loss.backward()
    assert_close(got["losses"], per_sample.detach(), "per-sample loss")
    assert_close(got["loss"], [loss.item()], "mean loss")
    assert_close(got["delta"], zt.grad * B, "dl/dz", scale=1.0)
    if form == "labels":
        assert got["correct"][0] == (zt.detach().argmax(1) == torch.tensor(y)).sum().item()
    else:
        assert got["correct"][0] == 0


STEPS, N = 6, 40


def gradients(seed):
    """Gradients over several steps, spanning magnitudes (Adam's epsilon
    matters for the small ones), with exact zeros."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((STEPS, N)) * np.logspace(-9, 2, N)
    g[:, 3] = 0.0
    return g


def torch_trajectory(make_optimizer, p0, g):
    p = torch.tensor(p0, requires_grad=True)
    opt = make_optimizer([p])
    out = []
    for t in range(STEPS):
        opt.zero_grad()
        p.grad = torch.tensor(g[t])
        opt.step()
        out.append(p.detach().clone().numpy())
    return out


OPTIMIZERS = {
    "sgd": ("sgd {n} 0.05 {steps}", lambda ps: torch.optim.SGD(ps, lr=0.05)),
    "momentum": ("momentum {n} 0.05 0.9 {steps}",
                 lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "adam": ("adam {n} 0.001 0.9 0.999 1e-08 {steps}",
             lambda ps: torch.optim.Adam(ps, lr=0.001, betas=(0.9, 0.999), eps=1e-8)),
    "adam_other_betas": ("adam {n} 0.03 0.5 0.9 1e-06 {steps}",
                         lambda ps: torch.optim.Adam(ps, lr=0.03, betas=(0.5, 0.9), eps=1e-6)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_matches_torch(name):
    header, make = OPTIMIZERS[name]
    rng = np.random.default_rng(11)
    p0 = rng.standard_normal(N)
    g = gradients(seed=len(name))
    got = run_harness(header.format(n=N, steps=STEPS), p0, g)
    want = torch_trajectory(make, p0, g)
    for t in range(STEPS):
        assert_close(got[f"p_{t + 1}"], want[t], f"{name}, parameters after step {t + 1}",
                     scale=1.0)
