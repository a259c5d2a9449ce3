# SPDX-License-Identifier: MIT
"""Measured against predicted: real sweeps (the real binary under mpirun,
float64, widths 512-2048, several seeds) compared with the mean-field theory
that every results file carries (q_theory, delta_sq_theory, ...).

Every tolerance comes from a model of finite-width sampling error, never from
the data it judges (see `Fluctuations` below): per seed, the measured
per-layer q and delta_sq deviate from the infinite-width prediction by
(i) random fluctuations, whose relative variance grows about linearly in
depth/width (Hanin 2018) and shrinks with the batch only as far as samples are
uncorrelated, and (ii) a systematic O(depth/width) bias from averaging a
curved map over fluctuating inputs. A mean over S seeds must then lie within
    Z * sqrt(variance / S) + |bias|,   Z = 5,
of the prediction: a 5-sigma band (two-sided 6e-7 per comparison; ~1e-3 over
the ~2000 correlated comparisons of this file). A wrong factor 2 anywhere in
the theory moves a prediction by far more than these bands (e.g. 7% per seed
for linear nets of depth 50 at width 1024), so the tests can fail.

Run with Debian's interpreter (-s prints the largest deviation per test):
    GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest -s tests/test_validation.py
"""
import csv
import io
import math

import h5py
import numpy as np
import pytest
from scipy import special, stats

from conftest import run_gradsweep

Z = 5.0
RANKS = 2

# ---- activations (numpy mirrors of src/activation.c, for the fluctuation model) ----

SELU_L, SELU_A = 1.0507009873554804934, 1.6732632423543772848


def activation(name, slope=0.01):
    """phi and phi' as numpy functions."""
    sig = special.expit
    table = {
        "linear": (lambda u: u, lambda u: np.ones_like(u)),
        "relu": (lambda u: np.maximum(u, 0), lambda u: (u > 0) * 1.0),
        "leaky_relu": (lambda u: np.where(u > 0, u, slope * u),
                       lambda u: np.where(u > 0, 1.0, slope)),
        "tanh": (np.tanh, lambda u: 1 - np.tanh(u) ** 2),
        "sigmoid": (sig, lambda u: sig(u) * (1 - sig(u))),
        "selu": (lambda u: SELU_L * np.where(u > 0, u, SELU_A * np.expm1(np.minimum(u, 0))),
                 lambda u: SELU_L * np.where(u > 0, 1.0, SELU_A * np.exp(np.minimum(u, 0)))),
        "gelu": (lambda u: u * special.ndtr(u),
                 lambda u: special.ndtr(u) + u * np.exp(-u * u / 2) / math.sqrt(2 * math.pi)),
        "silu": (lambda u: u * sig(u), lambda u: sig(u) * (1 + u * (1 - sig(u)))),
        "elu": (lambda u: np.where(u > 0, u, np.expm1(np.minimum(u, 0))),
                lambda u: np.where(u > 0, 1.0, np.exp(np.minimum(u, 0)))),
        "softplus": (lambda u: np.logaddexp(0, u), sig),
        "erf": (special.erf, lambda u: 2 / math.sqrt(math.pi) * np.exp(-u * u)),
    }
    return table[name]


# Gaussian expectations for the model: composite 8-point Gauss-Legendre on
# z in [-10, 10] in panels of 0.025 with a panel edge at 0 (every kink), good
# to ~1e-6 relative, far more than a variance model needs; two-sample ones on
# a 64x64 Gauss-Hermite grid (~1e-2 relative at relu's step: a 1% error in a
# variance is 0.5% in a tolerance).
_x, _w = np.polynomial.legendre.leggauss(8)
_edges = np.linspace(-10, 10, 801)
Z1 = ((_edges[:-1, None] + _edges[1:, None]) / 2 + np.outer(np.diff(_edges) / 2, _x)).ravel()
W1 = (np.outer(np.diff(_edges) / 2, _w).ravel() * np.exp(-Z1 ** 2 / 2) / math.sqrt(2 * math.pi))
_gz, _gw = np.polynomial.hermite_e.hermegauss(64)
_gw = _gw / math.sqrt(2 * math.pi)
G1, G2 = np.meshgrid(_gz, _gz, indexing="ij")
GW = np.outer(_gw, _gw)


def expect(f, q):
    return float(np.sum(W1 * f(math.sqrt(q) * Z1, Z1)))


def expect2(f, g, q, c):
    s = math.sqrt(max(0.0, 1 - c * c))
    u1, u2 = math.sqrt(q) * G1, math.sqrt(q) * (c * G1 + s * G2)
    return float(np.sum(GW * f(u1) * g(u2)))


class Fluctuations:
    """First-order finite-width model of one configuration's per-layer q and
    delta_sq (probe loss), along the mean-field trajectory q[l], c[l].

    Forward. Given layer l-1, the units of layer l are i.i.d.: the pair
    (z_s, z_t) of two samples is Gaussian with variances Q_s, Q_t and
    correlation c. The batch mean of phi(z)^2 then has relative variance
        (1/(nB)) [K4(1) + (B-1) K4(c)],  K4(c) = Cov(phi(u1)^2, phi(u2)^2) / V^2,
    (relu: K4(1) = 5, Hanin 2018's constant), which becomes the next layer's
    Q after scaling by (sigma_w^2 V / q[l+1])^2, while the earlier relative
    fluctuation passes on with gain g = sigma_w^2 V'(q) q / q[l+1] (1 for
    linear and relu without bias, < 1 for saturating phi). Measuring q adds
    the Gaussian sampling of z: (1/(nB)) [2 + (B-1) 2 c^2]. Samples that the
    mean field calls uncorrelated still share the weights: their squared
    correlation is ~ (l+1)/n (the second moment of a product of l Gaussian
    matrices, Fuss-Catalan), so c^2 -> c^2 + (l+1)/n throughout.
    Bias: E[V(Q)] - V(q) = V''(q) Var(Q) / 2 with Var(Q) the per-sample
    (B = 1) variance, passed on with gain g.

    Backward (probe). delta[l] = g (*) phi'(z[l]) with g = delta[l+1] W
    Gaussian given delta[l+1] and independent of z[l]; per layer the
    batch-mean delta_sq takes relative variance
        (1/(nB)) [(3 E[phi'^4] / D^2 - 1) + (B-1) ((1 + 2 rho^2)(1 + K'(c)) - 1)],
        K'(c) = Cov(phi'(u1)^2, phi'(u2)^2) / D^2
    (relu: 3 * 2 - 1 = 5 again; linear: 2), rho^2 ~ (L-l)/n the squared
    correlation of two samples' g (r is independent across samples, the W's
    are shared), plus the forward fluctuation of q[l] through
    e = d log D / d log q, plus 2/(nB) for r itself.
    """

    def __init__(self, name, slope, sigma_w, sigma_b, n, batch, q, c):
        phi, dphi = activation(name, slope)
        w2, b2, B = sigma_w ** 2, sigma_b ** 2, batch
        L = len(q)
        c_eff = [min(1.0, math.sqrt(c[l] ** 2 + (l + 2) / n)) for l in range(L)]
        V, dV, d2V, D, dD, d2D, K4, K4_1, KD, KD_1, D4 = ([] for _ in range(11))
        for l in range(L):
            ql = q[l]
            V.append(expect(lambda u, z: phi(u) ** 2, ql))
            dV.append(expect(lambda u, z: phi(u) ** 2 * (z * z - 1), ql) / (2 * ql))
            d2V.append(expect(lambda u, z: phi(u) ** 2 * (z ** 4 - 6 * z * z + 3), ql) / (4 * ql * ql))
            D.append(expect(lambda u, z: dphi(u) ** 2, ql))
            dD.append(expect(lambda u, z: dphi(u) ** 2 * (z * z - 1), ql) / (2 * ql))
            d2D.append(expect(lambda u, z: dphi(u) ** 2 * (z ** 4 - 6 * z * z + 3), ql)
                       / (4 * ql * ql))
            D4.append(expect(lambda u, z: dphi(u) ** 4, ql))
            sq = lambda u: phi(u) ** 2
            dsq = lambda u: dphi(u) ** 2
            K4.append((expect2(sq, sq, ql, c_eff[l]) - V[l] ** 2) / V[l] ** 2)
            K4_1.append(expect(lambda u, z: phi(u) ** 4, ql) / V[l] ** 2 - 1)
            KD.append((expect2(dsq, dsq, ql, c_eff[l]) - D[l] ** 2) / D[l] ** 2)
            KD_1.append(3 * D4[l] / D[l] ** 2 - 1)  # g^2 phi'^2: chi-square times the mask
        nB = n * B
        # forward: relative variance of the batch-mean Q (r), of one sample's Q (r1), bias
        r, r1, bias = [0.0] * L, [0.0] * L, [0.0] * L
        r[0] = (w2 / q[0]) ** 2 * 2 / nB  # |x_s|^2 / n, independent inputs
        r1[0] = (w2 / q[0]) ** 2 * 2 / n
        fresh = [0.0] * L
        gain = [0.0] * L
        for l in range(L - 1):
            scale = (w2 * V[l] / q[l + 1]) ** 2
            gain[l] = w2 * dV[l] * q[l] / q[l + 1]
            fresh[l] = scale * (K4_1[l] + (B - 1) * K4[l]) / nB
            r[l + 1] = gain[l] ** 2 * r[l] + fresh[l]
            r1[l + 1] = gain[l] ** 2 * r1[l] + scale * K4_1[l] / n
            bias[l + 1] = gain[l] * bias[l] + w2 * d2V[l] * q[l] ** 2 * r1[l] / (2 * q[l + 1])
        self.q_var = [r[l] + (2 + (B - 1) * 2 * c_eff[l] ** 2) / nB for l in range(L)]
        self.q_bias = bias
        # backward: fresh mask/Gaussian variance per layer, plus the forward
        # fluctuation of q[m] (m >= l) through e[m] = d log D / d log q, with
        # the forward fluctuations' correlation across layers (gain chain).
        e = [q[l] * dD[l] / D[l] for l in range(L)]
        xi = [r[0]] + [fresh[l] for l in range(L - 1)]  # innovations of the forward chain
        self.delta_var, self.delta_bias = [0.0] * L, [0.0] * L
        # Two samples' g = delta W share W: their squared correlation is ~ the
        # chain length from the top over n (as forward), rho2 below.
        back = [(KD_1[m] + (B - 1) * ((1 + 2 * min(1.0, (L - m) / n)) * (KD[m] + 1) - 1)) / nB
                for m in range(L)]
        for l in range(L):
            var = 2 / nB + sum(back[m] for m in range(l, L - 1))
            coupled = 0.0
            for k in range(L - 1):  # innovation k reaches layer m >= k with gain prod g
                total, g = 0.0, 1.0
                for m in range(k, L - 1):
                    if m >= l:
                        total += e[m] * g
                    g *= gain[m]
                coupled += xi[k] * total ** 2
            self.delta_var[l] = var + coupled
            self.delta_bias[l] = sum(e[m] * bias[m] + q[m] ** 2 * d2D[m] * r1[m] / (2 * D[m])
                                     for m in range(l, L - 1))


# ---- running sweeps -----------------------------------------------------------------

def sweep(tmp_path, name, args):
    out = run_gradsweep([*args, "--precision", "float64", "--name", name, "-o", f"{name}.h5",
                         "--progress", "0"], ranks=RANKS, cwd=tmp_path, timeout=900)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / f"{name}.h5", "r") as f:
        data = {k: f[k][:] for k in f if k not in ("config", "layer")}
        data["leaky_relu_slope"] = f.attrs["leaky_relu_slope"]
    assert (data["status"] == 1).all(), data["status"]
    return data


def groups(data):
    """Configurations that differ only in seed, as lists of indices."""
    keys = {}
    for i in range(len(data["seed"])):
        key = tuple(data[k][i] for k in ("activation", "init", "width", "depth", "batch",
                                         "sigma_b", "sigma_w"))
        keys.setdefault(key, []).append(i)
    return list(keys.values())


ACTIVATIONS = "linear relu leaky_relu tanh sigmoid selu gelu silu elu softplus erf".split()


class Worst:
    """The largest deviation of a test, in units of its tolerance."""

    def __init__(self, label):
        self.label, self.ratio, self.where = label, 0.0, ""

    def check(self, deviation, tolerance, where):
        ratio = abs(deviation) / tolerance
        if ratio > self.ratio:
            self.ratio, self.where = ratio, f"{where}: deviation {deviation:+.3g}, tolerance {tolerance:.3g}"
        return ratio <= 1

    def report(self):
        print(f"\n{self.label}: largest deviation {self.ratio:.2f} of the tolerance ({self.where})")


def compare_layers(data, idx, worst, label, check_delta=True):
    """Mean over seeds of measured/predicted - 1, per layer, against the model."""
    i0 = idx[0]
    L, n, B = int(data["depth"][i0]), int(data["width"][i0]), int(data["batch"][i0])
    name = ACTIVATIONS[data["activation"][i0]]
    q_th, c_th = data["q_theory"][i0, :L], data["c_theory"][i0, :L]
    d_th = data["delta_sq_theory"][i0, :L]
    for i in idx:  # the theory is a function of the configuration alone
        assert np.array_equal(data["q_theory"][i, :L], q_th)
    model = Fluctuations(name, data["leaky_relu_slope"], data["sigma_w"][i0], data["sigma_b"][i0],
                         n, B, q_th, c_th)
    S = len(idx)
    failures = []
    for quantity, th, var, bias in (("q", q_th, model.q_var, model.q_bias),
                                    ("delta_sq", d_th, model.delta_var, model.delta_bias)):
        if quantity == "delta_sq" and not check_delta:
            continue
        measured = np.array([data[quantity][i, :L] for i in idx])
        for l in range(L):
            dev = float(np.mean(measured[:, l] / th[l] - 1))
            tol = Z * math.sqrt(var[l] / S) + abs(bias[l])
            where = f"{label} {name} sigma_w={data['sigma_w'][i0]:.4g} {quantity}[{l + 1}]"
            if not worst.check(dev, tol, where):
                failures.append(f"{where}: {dev:+.4f} beyond {tol:.4f}")
    return failures


# ---- the lecture's picture ------------------------------------------------------------

def test_linear_grows_and_shrinks_like_sigma_w_to_the_depth(tmp_path):
    """Linear, sigma_w = 1.1 and 0.9, depth 50: E[q[L]/q[1]] = sigma_w^(2(L-1)),
    and the backward signal by the same factor. Both are exact in expectation
    (E|W v|^2 = sigma_w^2 |v|^2 for any fixed v), so there is no bias term."""
    L, n, B, seeds = 50, 1024, 32, 4
    data = sweep(tmp_path, "linear", ["--activation", "linear", "--sigma-w", "0.9,1.1",
                                      "--depth", L, "--width", n, "--batch", B,
                                      "--seed", f"0:{seeds - 1}:{seeds}"])
    worst = Worst("linear depth 50")
    for idx in groups(data):
        i0 = idx[0]
        w = data["sigma_w"][i0]
        expected = w ** (2 * (L - 1))
        assert math.isclose(data["q_theory"][i0, L - 1] / data["q_theory"][i0, 0], expected,
                            rel_tol=1e-12)
        model = Fluctuations("linear", 0, w, 0, n, B, data["q_theory"][i0, :L],
                             data["c_theory"][i0, :L])
        # the ratio's relative variance: the forward chain's, without layer 1's share
        var = model.q_var[L - 1] + model.q_var[0]
        tol = Z * math.sqrt(var / len(idx))
        forward = np.mean([data["q"][i, L - 1] / data["q"][i, 0] for i in idx]) / expected - 1
        backward = np.mean([data["delta_sq"][i, 0] / data["delta_sq"][i, L - 1]
                            for i in idx]) / expected - 1
        assert worst.check(forward, tol, f"sigma_w={w} q[L]/q[1]"), (w, forward, tol)
        assert worst.check(backward, tol, f"sigma_w={w} delta_sq[1]/delta_sq[L]"), \
            (w, backward, tol)
        assert not compare_layers(data, idx, worst, "linear")
    worst.report()


def test_relu_he_keeps_q_and_lecun_halves_it(tmp_path):
    """relu, sigma_b = 0: E[q[l]/q[1]] = (sigma_w^2/2)^(l-1) exactly (z -> -z
    symmetry of every layer), so He's sigma_w^2 = 2 keeps q and sigma_w = 1
    halves it every layer; per-layer q and delta_sq follow the theory."""
    L, n, B, seeds = 50, 1024, 32, 4
    data = sweep(tmp_path, "relu", ["--activation", "relu", "--sigma-w", "1,he", "--depth", L,
                                    "--width", n, "--batch", B, "--seed",
                                    f"0:{seeds - 1}:{seeds}"])
    worst = Worst("relu depth 50")
    failures = []
    for idx in groups(data):
        i0 = idx[0]
        w2 = data["sigma_w"][i0] ** 2
        q_th = data["q_theory"][i0, :L]
        assert np.allclose(q_th / q_th[0], (w2 / 2) ** np.arange(L), rtol=1e-12)
        failures += compare_layers(data, idx, worst, "relu")
    worst.report()
    assert not failures, failures


def test_relu_log_q_spread_grows_like_depth_over_width(tmp_path):
    """Hanin 2018: for one input through a He-initialised relu net, log q[l]
    spreads across networks with variance ~ 5 l / n (each layer multiplies q by
    mean(relu(z)^2)/E[..], of relative variance 5/n; the first layer and the
    final measurement each add 2/n instead: (5 l - 1)/n). Batch 1, width 512,
    96 seeds: the sample variance over S seeds is variance * chi2(S-1)/(S-1),
    so it must lie within the chi2 quantiles at 1e-5 each side."""
    L, n, seeds = 40, 512, 96
    data = sweep(tmp_path, "hanin", ["--activation", "relu", "--sigma-w", "he", "--depth", L,
                                     "--width", n, "--batch", 1, "--seed",
                                     f"0:{seeds - 1}:{seeds}"])
    log_q = np.log(data["q"][:, :L])
    lo, hi = (stats.chi2.ppf(p, seeds - 1) / (seeds - 1) for p in (1e-5, 1 - 1e-5))
    worst = Worst("relu log-q spread")
    for l in (10, 20, 40):
        predicted = (5 * l - 1) / n
        measured = np.var(log_q[:, l - 1], ddof=1)
        ratio = measured / predicted
        print(f"\nlayer {l}: var(log q) = {measured:.4f}, predicted (5l-1)/n = {predicted:.4f}")
        # the band [lo, hi] as a deviation and tolerance of the ratio from 1
        tol = (hi - 1) if ratio > 1 else (1 - lo)
        assert worst.check(ratio - 1, tol, f"var(log q[{l}])/((5l-1)/n)"), (l, ratio, lo, hi)
    worst.report()


def test_tanh_at_the_edge_decays_like_a_power_law(tmp_path):
    """tanh, sigma_b = 0, sigma_w = 1: q[l+1] = q - 2 q^2 + ..., so q ~ 1/(2l),
    a power law; measured q follows the prediction layer by layer."""
    L, n, B, seeds = 200, 1024, 32, 2
    data = sweep(tmp_path, "tanh", ["--activation", "tanh", "--sigma-w", "1", "--depth", L,
                                    "--width", n, "--batch", B, "--seed",
                                    f"0:{seeds - 1}:{seeds}"])
    q_th = data["q_theory"][0, :L]
    layers = np.arange(1, L + 1)
    # power law: log q against log l has slope -> -1; an exponential's slope in log l grows
    slope = np.polyfit(np.log(layers[99:]), np.log(q_th[99:]), 1)[0]
    assert -1.05 < slope < -0.95, slope
    assert 0.95 < q_th[L - 1] * 2 * L < 1.05
    worst = Worst("tanh sigma_w=1")
    failures = compare_layers(data, list(range(seeds)), worst, "tanh")
    measured = np.mean(data["q"][:, :L], axis=0)
    slope_measured = np.polyfit(np.log(layers[99:]), np.log(measured[99:]), 1)[0]
    print(f"\ntanh: log q vs log l slope {slope_measured:.3f} measured, {slope:.3f} predicted")
    worst.report()
    assert not failures, failures


# ---- every activation, ordered / critical / chaotic ------------------------------------

def critical_scales(sigma_b):
    out = run_gradsweep(["theory", "--csv", "--sigma-b", sigma_b])
    assert out.returncode == 0, out
    return {row["activation"]: float(row["sigma_w"])
            for row in csv.DictReader(io.StringIO(out.stdout))}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_at_three_scales(tmp_path, name):
    """sigma_b = 0.2, sigma_w at 0.8x, 1x and 1.25x the critical one that
    `gradsweep theory` reports: per-layer q and delta_sq within the sampling
    band of the prediction, depth 20, width 1024."""
    L, n, B, seeds, sigma_b = 20, 1024, 32, 3, 0.2
    critical = critical_scales(sigma_b)[name]
    scales = ",".join(repr(critical * k) for k in (0.8, 1.0, 1.25))
    data = sweep(tmp_path, name, ["--activation", name, "--sigma-w", scales, "--sigma-b", sigma_b,
                                  "--depth", L, "--width", n, "--batch", B, "--seed",
                                  f"0:{seeds - 1}:{seeds}"])
    worst = Worst(f"{name} at 3 scales")
    failures = []
    for idx in groups(data):
        assert np.isfinite(data["q_theory"][idx[0], :L]).all()
        assert math.isclose(data["sigma_w_critical_theory"][idx[0]], critical, rel_tol=1e-5)
        failures += compare_layers(data, idx, worst, "3 scales")
    worst.report()
    assert not failures, failures


# ---- the mse loss -----------------------------------------------------------------------

def test_mse_backward_signal_keeps_its_forward_part(tmp_path):
    """mse: delta[L] = z[L] - y is correlated with W[L], and delta_sq_theory
    follows docs/theory.md's recursion, different for orthogonal weights.
    Depth 6, width 1024, 6 seeds. The fluctuation model above is the probe's,
    so here the tolerance comes from the seeds' own spread: a two-sided t-test
    at 1e-4 per comparison (t(5) = 9.68) plus 2% for the O(l/n) bias. The
    plain recursion delta_sq[l] = sigma_w^2 delta_sq[l+1] E[phi'^2] is off by
    up to 90% here (linear, gaussian, one layer below the top) and fails."""
    L, n, B, seeds = 6, 1024, 32, 6
    data = sweep(tmp_path, "mse", ["--activation", "linear,tanh,relu", "--init",
                                   "gaussian,orthogonal", "--sigma-w", "1.2", "--sigma-b", "0.3",
                                   "--loss", "mse", "--depth", L, "--width", n, "--batch", B,
                                   "--seed", f"0:{seeds - 1}:{seeds}"])
    t = stats.t.ppf(1 - 0.5e-4, seeds - 1)
    worst = Worst("mse depth 6")
    failures, naive_misses = [], 0
    for idx in groups(data):
        i0 = idx[0]
        name = ACTIVATIONS[data["activation"][i0]]
        init = ["gaussian", "uniform", "orthogonal"][data["init"][i0]]
        th = data["delta_sq_theory"][i0, :L]
        q_th = data["q_theory"][i0, :L]
        assert math.isclose(th[L - 1], q_th[L - 1] + 1, rel_tol=1e-12)
        measured = np.array([data["delta_sq"][i, :L] for i in idx]) / th - 1
        _, dphi = activation(name)
        naive = [q_th[L - 1] + 1]
        for l in range(L - 2, -1, -1):
            naive.insert(0, 1.44 * naive[0] * expect(lambda u, z: dphi(u) ** 2, q_th[l]))
        for l in range(L - 1):
            dev = measured[:, l].mean()
            tol = t * measured[:, l].std(ddof=1) / math.sqrt(seeds) + 0.02
            if not worst.check(dev, tol, f"{name} {init} delta_sq[{l + 1}]"):
                failures.append((name, init, l + 1, dev, tol))
            naive_dev = np.mean(np.array([data["delta_sq"][i, l] for i in idx]) / naive[l] - 1)
            naive_misses += abs(naive_dev) > tol
    worst.report()
    assert not failures, failures
    assert naive_misses > 0  # the test can tell the two recursions apart


# ---- layers of other widths, fans and the frameworks' inits (issue 12) -------------

def test_relu_shaped_networks_follow_the_length_map(tmp_path):
    """relu, 300 -> 128 -> 128 -> 20, every init, fan in/out/avg, PyTorch's
    default and a large scale (where torch_trunc_normal's cut bites). For
    weights and biases symmetric about 0 and any fixed a[l-1], z_i is
    symmetric, so E relu(z_i)^2 = E z_i^2 / 2 = (v_w |a|^2/fan_in + v_b) / 2
    exactly: E q[l] follows q[l] = v_w[l] q[l-1] / 2 + v_b[l] at any width,
    with each layer's own v_w = sigma_w^2 fan_in / fan (x tau for the cut)
    and torch_default's v_b = 1/(3 fan_in). So the mean over seeds must lie
    within Z standard errors of q_theory (the standard error estimated from
    the seeds themselves: S = 12 independent replicates of an unbiased
    quantity; Z = 5 on an estimate good to ~20 % is still over 4 sigma)."""
    L, seeds = 3, 12
    data = sweep(tmp_path, "shaped", [
        "--activation", "relu", "--depth", L, "--width", 128, "--input-width", 300,
        "--output-width", 20, "--batch", 16, "--sigma-w", "torch_default,12",
        "--init", "uniform,orthogonal,truncated_normal,torch_trunc_normal",
        "--fan", "in,out,avg", "--seed", f"0:{seeds - 1}:{seeds}"])
    worst = Worst("relu 300 -> 128 -> 20")
    failures = []
    keys = np.stack([data[k] for k in ("init", "sigma_w", "fan")], axis=1)
    for key in np.unique(keys, axis=0):
        idx = np.flatnonzero((keys == key).all(axis=1))
        assert len(idx) == seeds
        q = data["q"][idx, :L]
        theory = data["q_theory"][idx[0], :L]
        assert (data["q_theory"][idx, :L] == theory).all()
        mean, se = q.mean(axis=0), q.std(axis=0, ddof=1) / math.sqrt(seeds)
        for l in range(L):
            err = (mean[l] - theory[l]) / theory[l]
            tol = Z * se[l] / theory[l]
            if not worst.check(err, tol, f"init {key[0]:.0f} sigma_w {key[1]:.4g} fan "
                               f"{key[2]:.0f} q[{l + 1}]"):
                failures.append((key.tolist(), l + 1, mean[l], theory[l], tol))
    worst.report()
    assert not failures, failures
