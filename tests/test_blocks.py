# SPDX-License-Identifier: MIT
"""Residual blocks measured against their closed forms (issue 12): real
sweeps (the real binary under mpirun, float64, fixed seeds).

A linear residual block z[l] = z[l-1] + alpha W[l] z[l-1] (sigma_b = 0)
multiplies q by exactly 1 + alpha^2 sigma_w^2 in expectation, given
everything before it: W[l] is independent of z[l-1], E[z.Wz] = 0 and
E|Wz|^2 = sigma_w^2 |z|^2 (any weight distribution with Var(W_ij) =
sigma_w^2/n, orthogonal included). The per-block ratios R_l = q[l]/q[l-1]
are therefore martingale differences around g = 1 + alpha^2 sigma_w^2:
uncorrelated across blocks and (independent draws) across seeds, so their
mean over N = seeds x blocks has standard error s/sqrt(N), s the sample
standard deviation of the R_l. The test requires |mean - g| <= 5 s/sqrt(N)
(two-sided 6e-7 for a normal mean) and that s is the size the model says,
within a factor 2: per sample, Var(R) = (4 alpha^2 sigma_w^2 +
2 alpha^4 sigma_w^4)/n (u.Wu ~ N(0, sigma_w^2/n), |Wu|^2 ~ sigma_w^2
chi^2_n/n), and the batch mean of B nearly orthogonal samples divides it by
B (their cross terms are O(1/n^2)).

The backward signal of a linear net does not depend on the forward one, so
with the probe loss delta[l-1] = delta[l] + alpha sigma_w delta[l] U[l] grows
the same way going down: E[delta_sq[l-1] | delta[l]] = g delta_sq[l], U[l]
independent of delta[l] (which only U[l+1..L] and r made).

A wrong factor (alpha for alpha^2, a missing skip, sigma_w for sigma_w^2)
moves the mean by ~0.1 or more; 5 standard errors here are ~0.005.
"""
import math

import h5py
import numpy as np
import pytest

from conftest import run_gradsweep

Z = 5.0
WIDTH, BATCH, DEPTH, SEEDS = 256, 32, 24, 8

SWEEP = """\
name: linear-residual
base_seed: 31337
precision: float64
grid:
  activation: [linear]
  init: [gaussian, orthogonal]
  width: [{width}]
  depth: [{depth}]
  batch: [{batch}]
  sigma_w: [0.8, 1.0]
  seed: {{range: {seeds}}}
  branch_scale: [0.5, 1/sqrt(depth)]
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blocks")
    path = folder / "linear-residual.yaml"
    path.write_text(SWEEP.format(width=WIDTH, depth=DEPTH, batch=BATCH, seeds=SEEDS))
    results = folder / "linear-residual.h5"
    run = run_gradsweep([path, "-o", results], ranks=2)
    assert run.returncode == 0, run
    with h5py.File(results, "r") as f:
        inits = f["init"].attrs["flag_meanings"].split()
        data = {name: f[name][:] for name in ("sigma_w", "branch_scale", "seed", "status", "q",
                                              "delta_sq", "q_theory", "delta_sq_theory")}
        data["init"] = [inits[code] for code in f["init"][:]]
    assert (data["status"] == 1).all()  # done
    return data


def groups(data):
    """(init, sigma_w, alpha) -> the rows of its seeds."""
    out = {}
    for i in range(len(data["seed"])):
        key = (data["init"][i], float(data["sigma_w"][i]), float(data["branch_scale"][i]))
        out.setdefault(key, []).append(i)
    assert len(out) == 8 and all(len(rows) == SEEDS for rows in out.values())
    return out


def check_growth(ratios, g, sigma_w, alpha, what):
    n = ratios.size
    mean, s = ratios.mean(), ratios.std(ddof=1)
    se = s / math.sqrt(n)
    model = math.sqrt((4 * alpha**2 * sigma_w**2 + 2 * alpha**4 * sigma_w**4) / (WIDTH * BATCH))
    assert abs(mean - g) <= Z * se, (
        f"{what}: mean growth {mean:.6f}, closed form {g:.6f}: off by "
        f"{abs(mean - g) / se:.1f} standard errors ({se:.2e}, {n} blocks)")
    assert 0.5 * model <= s <= 2 * model, (
        f"{what}: the ratios' standard deviation {s:.3e} is not the model's {model:.3e}")
    return abs(mean - g) / se


def test_linear_residual_q_grows_by_one_plus_alpha2_sigma2(sweep, capsys):
    worst = 0
    for (init, sigma_w, alpha), rows in groups(sweep).items():
        g = 1 + alpha**2 * sigma_w**2
        q = sweep["q"][rows]  # (seeds, depth)
        ratios = (q[:, 1:] / q[:, :-1]).ravel()
        worst = max(worst, check_growth(ratios, g, sigma_w, alpha,
                                        f"q, {init}, sigma_w {sigma_w}, alpha {alpha:.4f}"))
        # the theory the file carries is the closed form itself
        theory = sweep["q_theory"][rows[0]]
        assert theory[0] == pytest.approx(sigma_w**2, rel=1e-14)
        assert np.allclose(theory[1:] / theory[:-1], g, rtol=1e-13, atol=0)
    with capsys.disabled():
        print(f"\nq growth: largest deviation {worst:.2f} standard errors")


def test_linear_residual_delta_grows_by_one_plus_alpha2_sigma2(sweep, capsys):
    worst = 0
    for (init, sigma_w, alpha), rows in groups(sweep).items():
        g = 1 + alpha**2 * sigma_w**2
        d = sweep["delta_sq"][rows]
        ratios = (d[:, :-1] / d[:, 1:]).ravel()  # delta_sq[l-1] / delta_sq[l]
        worst = max(worst, check_growth(ratios, g, sigma_w, alpha,
                                        f"delta_sq, {init}, sigma_w {sigma_w}, alpha {alpha:.4f}"))
        theory = sweep["delta_sq_theory"][rows[0]]
        assert theory[-1] == 1 and np.allclose(theory[:-1] / theory[1:], g, rtol=1e-13, atol=0)
    with capsys.disabled():
        print(f"\ndelta_sq growth: largest deviation {worst:.2f} standard errors")
