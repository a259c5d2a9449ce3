# SPDX-License-Identifier: MIT
"""jobs/example.yaml shows the lecture's point with real numbers.

At depth L the backward signal of a linear or ReLU network scales like
chi^(L-1) per unit variance, chi = sigma_w^2 (linear) or sigma_w^2 / 2
(ReLU, He et al. 2015), so log10_delta_ratio = ½·log10(delta_sq[1] /
delta_sq[L]) ≈ ½·(L-1)·log10(chi). Finite width n scatters it: each layer
multiplies the squared norm by a chi-square-like factor whose log has
variance ≈ 2/n (linear) and ≈ 5/n (ReLU, Hanin 2018), and biases it by
≈ -1/n in the log. The tolerances below are 5 standard errors of the mean
over the example's seeds plus that bias: a wrong scale (a missing sqrt(2), a
transposed weight) misses by many units, sampling never does."""
import math
import time

import h5py
import numpy as np
import pytest

L, N, SEEDS = 100, 128, 3


def tolerance(var_per_layer):
    sd = math.sqrt(var_per_layer * (L - 1) / N) / (2 * math.log(10))
    bias = (L - 1) / N / (2 * math.log(10))
    return 5 * sd / math.sqrt(SEEDS) + bias


@pytest.fixture(scope="module")
def example(tmp_path_factory, source_dir):
    from conftest import run_gradsweep
    folder = tmp_path_factory.mktemp("example")
    start = time.monotonic()
    out = run_gradsweep([source_dir / "jobs" / "example.yaml", "-o", "example.h5"], ranks=2,
                        cwd=folder)
    wall = time.monotonic() - start
    assert out.returncode == 0, out
    print(f"\njobs/example.yaml on 2 ranks: {wall:.1f} s wall")  # quoted in the note
    with h5py.File(folder / "example.h5", "r") as f:
        names = f["activation"].attrs["flag_meanings"].split()
        table = {name: f[name][:] for name in ("activation", "depth", "sigma_w", "seed",
                                                "status", "log10_delta_ratio")}
        table["activation"] = np.array([names[a] for a in table["activation"]])
    return table


def delta_ratio(t, activation, sigma_w):
    """Mean over seeds of log10_delta_ratio at depth L."""
    rows = (t["activation"] == activation) & (t["depth"] == L) & np.isclose(t["sigma_w"], sigma_w)
    assert rows.sum() == SEEDS
    return t["log10_delta_ratio"][rows].mean()


def test_every_configuration_computed(example):
    """All 576 computed. Most are done; a relu net at sigma_w 0.5 shrinks q by
    sigma_w^2/2 = 1/8 a layer, 1e-90 over 100 layers: its z may become exactly
    zero in float32, and such a row says underflow (not done), so that done
    rows only ever hold finite ratios."""
    status, t = example["status"], example
    assert len(status) == 576 and np.isin(status, [1, 4]).all(), np.unique(status)
    died = status == 4
    assert (t["activation"][died] == "relu").all() and (t["sigma_w"][died] <= 0.6).all()
    assert (t["depth"][died] == L).all()
    assert np.isfinite(t["log10_delta_ratio"][status == 1]).all()


@pytest.mark.parametrize("sigma_w", [0.9, 1.0, 1.1])
def test_linear_just_below_at_and_above_one(example, sigma_w):
    expected = (L - 1) * math.log10(sigma_w)  # ½·(L-1)·log10(sigma_w²): -4.5, 0, +4.1
    assert abs(delta_ratio(example, "linear", sigma_w) - expected) < tolerance(2.0)


@pytest.mark.parametrize("sigma_w", [1.0, math.sqrt(2), 2.0])
def test_relu_at_and_off_he(example, sigma_w):
    expected = 0.5 * (L - 1) * math.log10(sigma_w ** 2 / 2)  # -14.9, 0, +14.9
    assert abs(delta_ratio(example, "relu", sigma_w) - expected) < tolerance(5.0)


def test_tanh_at_and_off_lecun(example):
    # LeCun's scale is the edge of chaos for tanh: gradients neither vanish nor
    # explode exponentially (they decay like a power law, so the ratio stays
    # within a decade at depth 100). Off it: exponential in depth.
    assert abs(delta_ratio(example, "tanh", 1.0)) < 1.5
    # sigma_w = 0.5: q -> 0, where tanh is linear, so chi -> 0.25: ½·99·log10(0.25) = -29.8
    assert abs(delta_ratio(example, "tanh", 0.5) - 0.5 * (L - 1) * math.log10(0.25)) < tolerance(2.0)
    assert delta_ratio(example, "tanh", 2.0) > 3  # chaotic phase: chi1 > 1, gradients explode
