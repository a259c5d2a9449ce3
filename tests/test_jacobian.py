# SPDX-License-Identifier: MIT
"""The input-output Jacobian (issue 13) end to end: real sweeps of the real
binary under mpirun, read from the results files they write.

- the file: the Jacobian's variables, the `sv` dimension and the root
  attribute exactly when jacobian_samples > 0, and not otherwise;
- exact cases: products of Gaussian matrices (linear networks) have the
  Fuss–Catalan moments, here with their exact finite-width values, derived by
  Wick's theorem below (an independent computation); orthogonal linear
  networks are isometries;
- the free-probability theory in the file against numpy quadrature along the
  file's own q_theory;
- measured against theory within sampling error at width 512 for relu, tanh
  and linear with Gaussian and orthogonal weights;
- bitwise the same whatever the ranks, and after --resume;
- `gradsweep export`'s J[L] against PyTorch's torch.autograd.functional.jacobian
  on the exported network (float64, 1e-10), and the file's statistics against
  the spectra of PyTorch's Jacobians.

Run with Debian's interpreter (-s prints the measured numbers):
    GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest -s tests/test_jacobian.py
"""
import math
import re
import shutil
from functools import lru_cache

import h5py
import numpy as np
import pytest
import torch

import torch_activations
from conftest import run_gradsweep

Z = 5.0  # standard errors: two-sided 6e-7 per comparison


def sweep(tmp_path, name, text, ranks=2, extra=()):
    (tmp_path / f"{name}.yaml").write_text(text)
    out = tmp_path / f"{name}.h5"
    r = run_gradsweep([tmp_path / f"{name}.yaml", "-o", out, "--progress", "0", *extra],
                      ranks=ranks)
    assert r.returncode == 0, r
    return out


def read(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f.keys()}, dict(f.attrs)


# ---- the file -----------------------------------------------------------------------------

JACOBIAN_VARIABLES = {  # name: dimensions
    "jac_sq_sv_mean": ("config", "layer"), "jac_sq_sv_var_ratio": ("config", "layer"),
    "jac_sv": ("config", "sv"), "jac_sv_max": ("config",), "jac_sv_min": ("config",),
    "jac_sq_sv_mean_theory": ("config", "layer"),
    "jac_sq_sv_var_ratio_theory": ("config", "layer"),
}

FILE_SWEEP = """\
name: jacobian-file
precision: float64
jacobian_samples: 2
grid:
  activation: [tanh, relu]
  init: [gaussian, orthogonal]
  width: [8, 16]
  depth: [2, 5]
  batch: [3]
  sigma_w: [1.0, 1.5]
"""


def test_file_layout(tmp_path):
    """The contract of docs/schema.md, "Jacobian": names, dimensions, fill,
    attributes, NaN past a configuration's depth and width; xarray reads it;
    and a sweep without jacobian_samples has none of it."""
    import xarray as xr
    path = sweep(tmp_path, "with", FILE_SWEEP)
    with h5py.File(path, "r") as f:
        assert f.attrs["jacobian_samples"] == 2
        assert "jacobian_samples: 2\n" in f.attrs["sweep_spec"]
        assert list(f["sv"][()]) == list(range(1, 17)) and f["sv"].attrs["CLASS"] == b"DIMENSION_SCALE"
        for name, dims in JACOBIAN_VARIABLES.items():
            ds = f[name]
            assert ds.dtype == np.float64, name
            assert [d.label for d in ds.dims] == list(dims), name
            assert math.isnan(ds.fillvalue) and np.isnan(ds.attrs["_FillValue"]), name
            assert ds.attrs["long_name"] and ds.attrs["units"] == "1", name
        depth, width = f["depth"][()], f["width"][()]
        status = f["status"][()]
        assert (status == 1).all()  # done
        for i in range(len(depth)):
            for name in ("jac_sq_sv_mean", "jac_sq_sv_var_ratio", "jac_sq_sv_mean_theory",
                         "jac_sq_sv_var_ratio_theory"):
                row = f[name][i]
                assert np.isfinite(row[:depth[i]]).all() and np.isnan(row[depth[i]:]).all(), name
            sv = f["jac_sv"][i]
            assert np.isfinite(sv[:width[i]]).all() and np.isnan(sv[width[i]:]).all()
            assert (np.diff(sv[:width[i]]) <= 0).all()
            assert f["jac_sv_max"][i] == sv[0] and f["jac_sv_min"][i] == sv[width[i] - 1]
    ds = xr.open_dataset(path)
    assert ds["jac_sv"].dims == ("config", "sv") and ds.sizes["sv"] == 16
    ds.close()

    plain = sweep(tmp_path, "without", FILE_SWEEP.replace("jacobian_samples: 2\n", ""))
    with h5py.File(plain, "r") as f:
        assert "jacobian_samples" not in f.attrs and "sv" not in f
        assert "jacobian_samples" not in f.attrs["sweep_spec"]
        assert not any(name in f for name in JACOBIAN_VARIABLES)
        # everything else is the same computation
        with h5py.File(path, "r") as g:
            for name in ("q", "delta_sq", "grad_w_norm", "q_theory", "log10_delta_ratio"):
                assert f[name][()].tobytes() == g[name][()].tobytes(), name


# ---- products of Gaussian matrices: Fuss–Catalan, exactly at finite width ------------------

def _pairings(items):
    if not items:
        yield []
        return
    for k in range(1, len(items)):
        for rest in _pairings(items[1:k] + items[k + 1:]):
            yield [(items[0], items[k])] + rest


def _partitions(d):
    out = []

    def rec(rem, largest, cur):
        if rem == 0:
            out.append(tuple(sorted(cur)))
        for p in range(min(rem, largest), 0, -1):
            rec(rem - p, p, cur + [p])
    rec(d, d, [])
    return out


@lru_cache(maxsize=None)
def _wick(monomial):
    """E over G (iid N(0, 1) entries) of prod_j tr((G A G^T)^m_j), A symmetric,
    by Wick's theorem: {(r, mu): count}, each term n^r prod_{m in mu} tr(A^m).
    A-occurrence t contributes G[i_t, a_t] A[a_t, b_t] G[j_t, b_t]; the rows
    chain around each trace (j_t = i_next), a pairing identifies the rows and
    the columns of the two G it pairs. Rows: n per class; columns: the A's
    linked by pairings close into cycles, one trace tr(A^length) each."""
    k = sum(monomial)
    nxt, t = {}, 0
    for m in monomial:
        for s in range(m):
            nxt[t + s] = t + (s + 1) % m
        t += m
    terms = {}
    for pairing in _pairings(list(range(2 * k))):  # G number g: occurrence g // 2, side g % 2
        parent = list(range(2 * k))

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for s in range(k):  # right row of s is the left row of the next one
            parent[find(2 * s + 1)] = find(2 * nxt[s])
        partner = {}
        for a, b in pairing:
            parent[find(a)] = find(b)
            partner[a], partner[b] = b, a
        rows = len({find(x) for x in range(2 * k)})
        seen, cycles = set(), []
        for start in range(2 * k):  # column slots: A joins 2s and 2s+1, pairings the rest
            if start in seen:
                continue
            length, x = 0, start
            while x not in seen:
                seen.add(x)
                y = x ^ 1  # along A
                seen.add(y)
                length += 1
                x = partner[y]
            cycles.append(length)
        key = (rows, tuple(sorted(cycles)))
        terms[key] = terms.get(key, 0) + 1
    return terms


def gaussian_product_moments(n, depth, degree):
    """E of every degree-`degree` trace monomial of A = J J^T, J the product of
    `depth` independent n x n matrices with N(0, 1/n) entries: one layer maps
    the vector of E[prod tr(A^m)] linearly (_wick), from A = I."""
    parts = _partitions(degree)
    step = np.zeros((len(parts), len(parts)))
    for i, lam in enumerate(parts):
        for (rows, mu), count in _wick(lam).items():
            step[i, parts.index(mu)] += count * float(n) ** (rows - degree)
    v = np.array([float(n) ** len(p) for p in parts])
    for _ in range(depth):
        v = step @ v
    return dict(zip(parts, v))


def fuss_catalan(depth, k):
    """The n -> infinity moment E[tr((JJ^T)^k)/n] = binom((depth+1)k, k) / (depth k + 1)."""
    return math.comb((depth + 1) * k, k) / (depth * k + 1)


def test_wick_moments_known_values():
    """The Wick machinery on textbook cases: a real n x n Wishart matrix has
    E tr(W^2)/n = 2 + 1/n and E tr(W^3)/n = 5 + 6/n + 4/n^2; as n grows the
    moments of products tend to the Fuss–Catalan numbers."""
    for n in (4, 64):
        m2, m3 = gaussian_product_moments(n, 1, 2), gaussian_product_moments(n, 1, 3)
        assert m2[(2,)] / n == pytest.approx(2 + 1 / n, rel=1e-14)
        assert m3[(3,)] / n == pytest.approx(5 + 6 / n + 4 / n ** 2, rel=1e-14)
    for depth in (2, 5):
        for k in (2, 3):
            assert gaussian_product_moments(10 ** 6, depth, k)[(k,)] / 10 ** 6 == \
                pytest.approx(fuss_catalan(depth, k), rel=1e-4)


FC_WIDTH, FC_DEPTHS, FC_SEEDS = 64, (1, 2, 4, 8), 800


def test_fuss_catalan(tmp_path):
    """Linear networks with Gaussian weights and sigma_w = 1 compute products of
    Gaussian matrices: the moments t_k = mean of sigma^(2k) over J[L]'s
    singular values (from the file's jac_sv) must have the exact finite-width
    expectations E[t_k] (Wick), within Z standard errors over the 800 seeds.
    The variances are exact too: E[t_k^2] and E[t_k t_1] are the degree-2k
    and degree-(k+1) monomials. t2 and t3 are estimated with t1 (E t1 = 1
    exactly) as a control variate, t_k - beta (t1 - 1) with the exact
    beta = Cov(t_k, t1) / Var(t1): the same expectation, a variance smaller
    by 1 - Corr^2 (~8x). At width 64 and depth 4 the finite-width correction
    to Fuss–Catalan (t2: 5 -> 5.16, t3: 35 -> 38.1) is then about 11 standard
    errors: the test tells exact from asymptotic. jac_sq_sv_mean is t1 at
    layer L and jac_sq_sv_var_ratio t2/t1^2 - 1."""
    text = f"""\
name: fuss-catalan
precision: float64
jacobian_samples: 1
grid:
  activation: [linear]
  init: [gaussian]
  width: [{FC_WIDTH}]
  depth: [{", ".join(map(str, FC_DEPTHS))}]
  batch: [1]
  sigma_w: [1.0]
  seed: {{range: {FC_SEEDS}}}
"""
    data, _ = read(sweep(tmp_path, "fc", text))
    n, S = FC_WIDTH, FC_SEEDS
    for depth in FC_DEPTHS:
        rows = data["depth"] == depth
        sv = data["jac_sv"][rows]
        assert sv.shape == (S, n) and np.isfinite(sv).all()
        lam = sv ** 2
        t = {k: (lam ** k).mean(axis=1) for k in (1, 2, 3)}
        np.testing.assert_allclose(data["jac_sq_sv_mean"][rows, depth - 1], t[1], rtol=1e-12)
        np.testing.assert_allclose(data["jac_sq_sv_var_ratio"][rows, depth - 1],
                                   t[2] / t[1] ** 2 - 1, rtol=1e-10)
        moments = {d: gaussian_product_moments(n, depth, d) for d in range(1, 7)}
        mean = {k: moments[k][(k,)] / n for k in (1, 2, 3)}
        assert mean[1] == pytest.approx(1, rel=1e-12)
        var1 = moments[2][(1, 1)] / n ** 2 - 1
        for k in (1, 2, 3):
            var = moments[2 * k][(k, k)] / n ** 2 - mean[k] ** 2
            cov = moments[k + 1][tuple(sorted((1, k)))] / n ** 2 - mean[k]
            beta = 0.0 if k == 1 else cov / var1
            estimate = (t[k] - beta * (t[1] - 1)).mean()
            se = math.sqrt((var - 2 * beta * cov + beta ** 2 * var1) / S)
            print(f"depth {depth}: E t{k} = {estimate:.5g} +- {se:.2g}, exact at width {n} "
                  f"{mean[k]:.5g}, Fuss-Catalan {fuss_catalan(depth, k):.5g}")
            assert abs(estimate - mean[k]) <= Z * se, (depth, k, estimate, mean[k], se)
            if depth == 4 and k > 1:  # the finite-width correction is resolved
                assert abs(estimate - fuss_catalan(depth, k)) > Z * se


# ---- orthogonal linear networks are isometries ---------------------------------------------

def test_orthogonal_linear_isometry(tmp_path):
    """Every singular value of J[L] is sigma_w^L = 1 to rounding at any depth, in
    both precisions, and the normalised variance is 0 to rounding at every
    layer (bounds as tests/test_jacobian.c derives them: ~1e-16 sqrt(nL) in
    float64, ~6e-8 sqrt(nL) in float32)."""
    for precision, tol, isometry in (("float64", 1e-12, 1e-25), ("float32", 1e-4, 1e-8)):
        text = f"""\
name: isometry
precision: {precision}
jacobian_samples: 2
grid:
  activation: [linear]
  init: [orthogonal]
  width: [32, 128]
  depth: [1, 10, 300]
  batch: [2]
  sigma_w: [1.0]
"""
        data, _ = read(sweep(tmp_path, f"iso-{precision}", text))
        for i in range(len(data["depth"])):
            n, L = data["width"][i], data["depth"][i]
            sv = data["jac_sv"][i, :n]
            assert np.abs(sv - 1).max() <= tol, (precision, n, L, np.abs(sv - 1).max())
            ratio = data["jac_sq_sv_var_ratio"][i, :L]
            assert (ratio >= 0).all() and (ratio < isometry).all(), (precision, n, L, ratio.max())
            assert (data["jac_sq_sv_var_ratio_theory"][i, :L] == 0).all()


# ---- the theory in the file, against quadrature ---------------------------------------------

_x, _w = np.polynomial.legendre.leggauss(16)


@lru_cache(maxsize=None)
def gaussian_rule(q):
    """Nodes u and weights for E[f(u)], u ~ N(0, q): composite 16-point
    Gauss-Legendre in u, panels of 1/20 over |u| <= 30 (the activations'
    scale: sech^2 and gelu's step are resolved at any q) merged with 96 panels
    over 12 standard deviations, an edge at 0 (every kink). ~1e-13."""
    s = math.sqrt(q)
    reach = min(30.0, 12 * s)
    edges = np.unique(np.concatenate([np.linspace(-12 * s, 12 * s, 97),
                                      np.linspace(-reach, reach, int(40 * reach) + 1)]))
    u = ((edges[:-1, None] + edges[1:, None]) / 2 + np.outer(np.diff(edges) / 2, _x)).ravel()
    w = np.outer(np.diff(edges) / 2, _w).ravel() * np.exp(-u ** 2 / (2 * q)) / math.sqrt(
        2 * math.pi * q)
    return u, w


def dphi(name, u, slope=0.01):
    """phi' by PyTorch's autograd of the activation PyTorch users write."""
    z = torch.tensor(u, requires_grad=True)
    (d,) = torch.autograd.grad(torch_activations.phi(name, z, slope).sum(), z)
    return d.numpy()


THEORY_ACTIVATIONS = ["linear", "relu", "leaky_relu", "tanh", "sigmoid", "selu", "gelu", "silu",
                      "elu", "softplus", "erf"]


def test_theory_against_quadrature(tmp_path):
    """jac_sq_sv_mean_theory and jac_sq_sv_var_ratio_theory recomputed here:
    along the file's q_theory, mu_j = E[phi'(sqrt(q) z)^(2j)] by composite
    Gauss-Legendre (edges at every kink, ~1e-12) with phi' from PyTorch's
    autograd; product of sigma_w^2 mu1, sum of mu2/mu1^2 - 1 - s1."""
    text = f"""\
name: theory
precision: float64
jacobian_samples: 1
grid:
  activation: [{", ".join(THEORY_ACTIVATIONS)}]
  init: [gaussian, uniform, orthogonal]
  width: [4]
  depth: [12]
  batch: [1]
  sigma_b: [0.0, 0.3]
  sigma_w: [0.7, 1.3, 2.0]
"""
    data, attrs = read(sweep(tmp_path, "theory", text))
    slope = attrs["leaky_relu_slope"]
    with h5py.File(tmp_path / "theory.h5", "r") as f:
        names = f["activation"].attrs["flag_meanings"].split()
        inits = f["init"].attrs["flag_meanings"].split()
    worst = 0.0
    for i in range(len(data["depth"])):
        name, init = names[data["activation"][i]], inits[data["init"][i]]
        w2, s1 = data["sigma_w"][i] ** 2, (0.0 if init == "orthogonal" else -1.0)
        mean, ratio = 1.0, 0.0
        for l, q in enumerate(data["q_theory"][i]):
            u, w = gaussian_rule(float(q))
            d = dphi(name, u, slope) ** 2
            mu1, mu2 = float(np.sum(w * d)), float(np.sum(w * d * d))
            mean *= w2 * mu1
            ratio += mu2 / mu1 ** 2 - 1 - s1
            for stored, mine in ((data["jac_sq_sv_mean_theory"][i, l], mean),
                                 (data["jac_sq_sv_var_ratio_theory"][i, l], ratio)):
                err = abs(stored - mine) / max(abs(mine), 1e-3)
                worst = max(worst, err)
                assert err < 1e-9, (name, init, data["sigma_w"][i], data["sigma_b"][i], l, stored,
                                    mine)
    print(f"worst relative difference from the quadrature: {worst:.2g}")


# ---- measured against theory at width 512 ------------------------------------------------------

MVT_WIDTH, MVT_DEPTH, MVT_SEEDS = 512, 10, 16


def _mu(name, q):
    u, w = gaussian_rule(float(q))
    d = dphi(name, u) ** 2
    return [float(np.sum(w * d ** j)) for j in (1, 2, 3)]


def first_order_ratio(name, init, q, n):
    """The normalised variance with its first-order finite-width correction
    (docs/theory.md, "Finite width"): per layer, with rho = mu2/mu1^2 and the
    bias of the layer's sample mean rho_n = rho (1 + b/n),
    b = 3 (rho - 1) - 2 (mu3 / (mu1 mu2) - 1),
        gaussian:   r' = r + rho_n + rho (1 + r) / n
        orthogonal: r' = r + rho_n - 1 + (rho - 1) r / n
    (D independent of W; exact for linear gaussian nets to O(1/n^2)). Valid
    while depth * rho^2 / n is small."""
    r, out = 0.0, []
    for qk in q:
        m1, m2, m3 = _mu(name, qk)
        rho = m2 / m1 ** 2
        rho_n = rho * (1 + (3 * (rho - 1) - 2 * (m3 / (m1 * m2) - 1)) / n)
        if init == "orthogonal":
            r = r + rho_n - 1 + (rho - 1) * r / n
        else:
            r = r + rho_n + rho * (1 + r) / n
        out.append(r)
    return np.array(out)


def test_measured_against_theory(tmp_path):
    """relu, tanh and linear at their edge of chaos, Gaussian and orthogonal
    weights, width 512, depth 10, 16 seeds: per layer, the mean over seeds of
    jac_sq_sv_var_ratio and jac_sq_sv_mean must lie within Z standard errors
    of the theory plus the finite-width bias. The standard error is the
    seeds' (their standard deviation over sqrt(16)); the bias allowance for
    the variance is the first-order correction above (at depth 10 and width
    512 it is 0.5 % (linear) to 2 % (relu, gaussian) of the prediction, the
    same order as 5 standard errors), for the mean l/n of it (Hanin 2018's
    O(depth/width)). A wrong s1 (1 per layer), a wrong mu2 or a product
    taken over the wrong q would fall outside by far."""
    text = f"""\
name: mvt
precision: float64
jacobian_samples: 1
grid:
  activation: [linear, tanh]
  init: [gaussian, orthogonal]
  width: [{MVT_WIDTH}]
  depth: [{MVT_DEPTH}]
  batch: [1]
  sigma_w: [1.0]
  seed: {{range: {MVT_SEEDS}}}
"""
    files = {"linear": sweep(tmp_path, "mvt", text), "tanh": tmp_path / "mvt.h5",
             "relu": sweep(tmp_path, "mvt-relu", text,
                           extra=("--activation", "relu", "--sigma-w", "he"))}
    n, layers = MVT_WIDTH, np.arange(1, MVT_DEPTH + 1)
    for act, path in files.items():
        data, _ = read(path)
        with h5py.File(path, "r") as f:
            names = f["activation"].attrs["flag_meanings"].split()
            inits = f["init"].attrs["flag_meanings"].split()
        for init in ("gaussian", "orthogonal"):
            rows = (data["activation"] == names.index(act)) & (data["init"] == inits.index(init))
            assert rows.sum() == MVT_SEEDS
            ratio, mean = data["jac_sq_sv_var_ratio"][rows], data["jac_sq_sv_mean"][rows]
            theory_ratio = data["jac_sq_sv_var_ratio_theory"][rows][0]
            theory_mean = data["jac_sq_sv_mean_theory"][rows][0]
            bias = np.abs(first_order_ratio(act, init, data["q_theory"][rows][0], n) - theory_ratio)
            for values, theory, allowance, what in (
                    (ratio, theory_ratio, bias, "var ratio"),
                    (mean, theory_mean, layers / n * np.abs(theory_mean), "mean")):
                centre = values.mean(axis=0)
                se = values.std(axis=0, ddof=1) / math.sqrt(MVT_SEEDS)
                band = Z * se + allowance
                print(f"{act:6s} {init:10s} {what:9s} layer {MVT_DEPTH}: measured "
                      f"{centre[-1]:.5g} +- {se[-1]:.2g}, theory {theory[-1]:.5g}, finite-width "
                      f"allowance {allowance[-1]:.2g}")
                bad = np.flatnonzero(~(np.abs(centre - theory) <= band))
                assert len(bad) == 0, (act, init, what, layers[bad], centre[bad], theory[bad],
                                       band[bad])


# ---- ranks and resume ---------------------------------------------------------------------------

RANKS_SWEEP = """\
name: jacobian-ranks
precision: float32
jacobian_samples: 3
grid:
  activation: [tanh, relu]
  init: [gaussian, orthogonal]
  width: [24, 48]
  depth: [3, 9]
  batch: [4]
  sigma_w: [0.9, 1.4]
  seed: [0, 1]
"""
SKIP = {"elapsed_s", "rank"}


def assert_same_bits(a, b):
    da, _ = read(a)
    db, _ = read(b)
    assert da.keys() == db.keys()
    for name in da:
        if name not in SKIP:
            assert da[name].tobytes() == db[name].tobytes(), name


def test_ranks_and_resume(tmp_path):
    """One rank, three ranks, and a file whose rows were half lost (status set
    back to pending, the Jacobian's rows overwritten) and then resumed on two
    ranks: the same bits in every variable."""
    one = sweep(tmp_path, "one", RANKS_SWEEP, ranks=1)
    three = sweep(tmp_path, "three", RANKS_SWEEP, ranks=3)
    assert_same_bits(one, three)
    resumed = tmp_path / "three.h5"
    with h5py.File(resumed, "r+") as f:
        lost = np.arange(0, len(f["status"]), 2)
        status = f["status"][()]
        status[lost] = 0
        f["status"][...] = status
        depth, width = f["depth"][()], f["width"][()]
        for name in ("jac_sq_sv_mean", "jac_sq_sv_var_ratio", "jac_sv", "jac_sv_max"):
            values = f[name][()]
            for i in lost:  # what an interrupted attempt could have left: within the row
                if values.ndim == 1:
                    values[i] = 12345.0
                else:
                    values[i, :depth[i] if name.startswith("jac_sq") else width[i]] = 12345.0
            f[name][...] = values
    r = run_gradsweep([tmp_path / "one.yaml", "-o", resumed, "--resume", "--progress", "0"],
                      ranks=2)
    assert r.returncode == 0, r
    assert_same_bits(one, resumed)


# ---- PyTorch's autograd on an exported network ---------------------------------------------

EXPORT_SWEEP = """\
name: jacobian-export
precision: float64
jacobian_samples: 2
leaky_relu_slope: 0.2
grid:
  activation: [linear, relu, tanh, gelu, selu, sigmoid]
  init: [gaussian, uniform, orthogonal]
  width: [10]
  depth: [3]
  batch: [3]
  sigma_b: [0.3]
  sigma_w: [1.4]
"""


def torch_network(net):
    """x -> a[L] in PyTorch from the exported unit draws."""
    act = net.attrs["activation"]
    act = act.decode() if isinstance(act, bytes) else act
    slope = float(net.attrs["leaky_relu_slope"])
    W = [torch.tensor(net.attrs["sigma_w"] * u) for u in net["unit_weights"][()]]
    b = [torch.tensor(net.attrs["sigma_b"] * v) for v in net["unit_biases"][()]]

    def forward(x, depth=len(W)):
        a = x
        for l in range(depth):
            a = torch_activations.phi(act, a @ W[l].T + b[l], slope)
        return a
    return forward


def spectrum(J):
    lam = np.linalg.svd(J, compute_uv=False) ** 2
    return lam.mean(), lam.var() / lam.mean() ** 2


def test_export_against_pytorch(tmp_path):
    """For every activation and init: the exported J[L] of each Jacobian
    sample equals torch.autograd.functional.jacobian of the same network at
    the same input to 1e-10 relative (float64), and the results file's
    per-layer statistics and singular values equal those of PyTorch's
    Jacobians (per layer: of the prefix network) to 1e-10."""
    torch.set_default_dtype(torch.float64)
    results = sweep(tmp_path, "export", EXPORT_SWEEP)
    data, _ = read(results)
    worst = 0.0
    for i in range(len(data["depth"])):
        out = tmp_path / f"net{i}.h5"
        r = run_gradsweep(["export", tmp_path / "export.yaml", "--config", i, "-o", out])
        assert r.returncode == 0, r
        with h5py.File(out, "r") as net:
            forward = torch_network(net)
            x = torch.tensor(net["x"][()])
            exported = net["jacobian"][()]
            assert exported.shape == (2, 10, 10)
            for s in range(2):
                J = torch.autograd.functional.jacobian(forward, x[s]).numpy()
                err = np.abs(exported[s] - J).max() / np.abs(J).max()
                worst = max(worst, err)
                assert err < 1e-10, (i, s, err)
            L = net["unit_weights"].shape[0]
            for l in range(1, L + 1):
                stats = [spectrum(torch.autograd.functional.jacobian(
                    lambda v: forward(v, l), x[s]).numpy()) for s in range(2)]
                mean, ratio = np.mean(stats, axis=0)
                np.testing.assert_allclose(data["jac_sq_sv_mean"][i, l - 1], mean, rtol=1e-10)
                np.testing.assert_allclose(data["jac_sq_sv_var_ratio"][i, l - 1], ratio,
                                           rtol=1e-10, atol=1e-12)
            sv = np.linalg.svd(torch.autograd.functional.jacobian(forward, x[0]).numpy(),
                               compute_uv=False)
            np.testing.assert_allclose(data["jac_sv"][i], sv, rtol=1e-10, atol=1e-14 * sv[0])
    print(f"worst relative difference from PyTorch's Jacobian: {worst:.2g}")


# ---- the command line -------------------------------------------------------------------------

def test_command_line(tmp_path):
    """--help teaches the option and the key; bad values are refused with exit
    2 naming the option; --dry-run reports the Jacobian's share; a Jacobian
    that cannot fit --max-memory is refused with exit 6, its share named."""
    help_text = run_gradsweep(["--help"]).stdout
    assert "--jacobian-samples K" in help_text and "jacobian_samples: 1" in help_text
    assert "jacobian (K, n, n)" in run_gradsweep(["export", "--help"]).stdout
    base = ["--depth", "2", "--width", "8", "--sigma-w", "1", "--activation", "tanh",
            "--batch", "2", "-o", tmp_path / "x.h5"]
    r = run_gradsweep(base + ["--jacobian-samples", "3"])
    assert r.returncode == 2 and "--jacobian-samples: 3 samples, but the smallest batch is 2" \
        in r.stderr, r
    r = run_gradsweep(base + ["--jacobian-samples", "many"])
    assert r.returncode == 2 and "--jacobian-samples: expected an integer from 0 to 4096" \
        in r.stderr, r
    r = run_gradsweep(["theory", "--activation", "tanh", "--jacobian-samples", "1"])
    assert r.returncode == 2 and "jacobian_samples does not apply" in r.stderr, r
    r = run_gradsweep(base + ["--jacobian-samples", "2", "--dry-run"])
    assert r.returncode == 0 and "jacobian: 2 samples per configuration" in r.stdout, r
    big = ["--depth", "2", "--width", "4096", "--sigma-w", "1", "--activation", "tanh",
           "--batch", "4", "--precision", "float64", "--max-memory", "900M", "-o",
           tmp_path / "big.h5"]
    r = run_gradsweep(big + ["--jacobian-samples", "4"])
    assert r.returncode == 6 and "for the Jacobian of 4 samples" in r.stderr, r
    assert not (tmp_path / "big.h5").exists()
    r = run_gradsweep(big + ["--dry-run"])  # the same network without the Jacobian fits
    assert r.returncode == 0, r


def simulated_work(extra):
    """The one-core work `gradsweep simulate` predicts (its first line), in seconds."""
    r = run_gradsweep(["simulate", "--activation", "tanh", "--sigma-w", "1", "--width", "512",
                       "--depth", "10", "--batch", "4", "--seed", "0:3:4", "--ranks", "2",
                       *extra])
    assert r.returncode == 0, r
    m = re.search(r"configurations, (\d+\.\d) s of work on one core", r.stdout)
    assert m, r.stdout
    return float(m.group(1))


def test_simulate_knows_the_cost():
    """gradsweep simulate times the Jacobian: at width 512, depth 10, K = 4 it
    is 3·K·L·n³ = 1.6e10 flops a configuration (0.1–0.3 s on one core at
    50–150 GFLOP/s) against ~1e8 for the network with a batch of 4, so the
    four configurations' predicted work must at least triple (it is >10x
    on this machine; 3x leaves room for a loaded one)."""
    without = simulated_work([])
    with_jacobian = simulated_work(["--jacobian-samples", "4"])
    print(f"simulate: {without} s of work without the Jacobian, {with_jacobian} s with K = 4")
    assert with_jacobian >= 0.3 and with_jacobian > 3 * max(without, 0.1), (without, with_jacobian)
