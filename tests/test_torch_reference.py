# SPDX-License-Identifier: MIT
"""tests/torch_train_reference.py, the PyTorch oracle of gradsweep's
training, checked before gradsweep trains at all:

- its parametrization table is src/parametrization.c's (through
  tests/train_kernels_harness.c), for every parametrization, layer kind and
  optimizer;
- it trains the network that Tensor Programs V's Table 3 describes: run in
  its form (trained w, multipliers r^-a, learning rates r^-c) it gives the
  same effective weights W and losses, step after step, as training W
  directly with the effective initialization and learning rates written here
  from the paper (muP; standard; NTK with SGD as Jacot et al.: Var(W) =
  sigma_w^2/fan_in, learning rate ∝ 1/fan_in; NTK with Adam as
  docs/theory.md derives it), for SGD, momentum and Adam and both losses;
- its command line reads an export laid out as its docstring says, and its
  first loss is the loss of a forward pass computed here with numpy.

Run by hand: /usr/bin/python3 -m pytest -q tests/test_torch_reference.py
"""
import itertools
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_train_reference as ref  # noqa: E402

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent
HARNESS = os.environ.get("GS_TRAIN_KERNELS_HARNESS",
                         str(HERE.parent / "build" / "tests" / "train_kernels_harness"))
KINDS = ["input", "hidden", "output", "fixed"]
# The harness links OpenBLAS (through gs_math) without calling it; one thread
# keeps OpenBLAS from starting its pool, whose thread start LeakSanitizer
# reports now and then (a leak inside glibc's pthread_getattr_np).
HARNESS_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def c_scale(parametrization, kind, optimizer, width, base):
    text = f"scale {parametrization} {kind} {optimizer} {width} {base}\n"
    proc = subprocess.run([HARNESS], input=text, capture_output=True, text=True, timeout=60,
                          env=HARNESS_ENV)
    assert proc.returncode == 0, proc.stderr
    return [float(v) for v in proc.stdout.split()[1:]]


def test_table_is_the_c_table():
    for p, kind, opt in itertools.product(ref.TABLE, KINDS, ["sgd", "momentum", "adam"]):
        for width, base in [(64, 64), (256, 16), (100, 3)]:
            got = c_scale(p, kind, opt, width, base)
            want = ref.layer_scale(p, kind, opt, float(width), float(base))
            np.testing.assert_allclose(got, want, rtol=1e-15, err_msg=f"{p} {kind} {opt}")


# ---- the effective network, written from the papers -----------------------------------

def effective_rule(parametrization, optimizer, kind, r):
    """(initial Var(W) factor on top of sigma_w^2/fan_in, effective learning
    rate factor of W, of its bias) for the effective network W. SGD-like:
    Table 3's SGD column (muP), Jacot et al. (NTK: 1/fan_in, i.e. 1/r for
    fan_in = n); Adam: Table 3's Adam column (muP) and docs/theory.md's NTK."""
    if parametrization == "standard" or kind == "fixed":
        return 1.0, 1.0, 1.0
    adam = optimizer == "adam"
    if parametrization == "mup":
        init = 1 / r if kind == "output" else 1.0            # output: 1/fan_in^2
        if adam:
            lr = {"input": 1.0, "hidden": 1 / r, "output": 1 / r}[kind]
            return init, lr, 1.0
        lr = {"input": r, "hidden": 1.0, "output": 1 / r}[kind]   # fan_out, 1, 1/fan_in
        return init, lr, (r if kind != "output" else 1.0)        # biases: fan_out
    if adam:   # ntk: every update r^-1/2 of muP's
        lr = {"input": r ** -0.5, "hidden": r ** -1.5, "output": 1 / r}[kind]
        return 1.0, lr, (r ** -0.5 if kind != "output" else 1.0)
    return 1.0, (1.0 if kind == "input" else 1 / r), 1.0


def tiny_export(parametrization, optimizer, loss, seed=0, depth=3, width=64, base=16):
    """A small network on random data, laid out as an export."""
    rng = np.random.default_rng(seed)
    d, k, n_rows, batch, steps = 6, 4, 40, 8, 6
    fans = [d] + [width] * (depth - 1) + [k]
    export = dict(activation="tanh", leaky_relu_slope=0.01, sigma_w=1.3, sigma_b=0.4,
                  width=width, depth=depth, base_width=base, parametrization=parametrization,
                  optimizer=optimizer, loss=loss, learning_rate=0.02 if optimizer != "adam" else
                  0.003, momentum=0.8, beta1=0.9, beta2=0.99, eps=1e-8, steps=steps,
                  stats_steps=np.array([0, 1, steps]))
    for l in range(1, depth + 1):
        export[f"unit_weights_{l}"] = rng.standard_normal((fans[l], fans[l - 1])) / np.sqrt(
            fans[l - 1])
        export[f"unit_biases_{l}"] = rng.standard_normal(fans[l])
    export["x_train"] = rng.standard_normal((n_rows, d))
    if loss == "cross_entropy" or seed % 2 == 0:
        export["labels_train"] = rng.integers(0, k, n_rows)
    else:
        export["targets_train"] = rng.standard_normal((n_rows, k))
    export["batch_rows"] = np.array([rng.permutation(n_rows)[:batch] for _ in range(steps + 1)])
    return export


def train_effective(export):
    """Trains W directly: the effective initialization and learning rates of
    effective_rule; Adam's epsilon divided by the multiplier, as training w
    with multiplier m is Adam on W with learning rate m lr and epsilon / m."""
    depth, r = int(export["depth"]), export["width"] / export["base_width"]
    eta, opt_name = export["learning_rate"], export["optimizer"]
    W, b, groups = [], [], []
    for l in range(1, depth + 1):
        kind = ref.layer_kind(l, depth)
        init, lr, bias_lr = effective_rule(export["parametrization"], opt_name, kind, r)
        W.append(torch.tensor(np.sqrt(init) * export["sigma_w"] * export[f"unit_weights_{l}"],
                              requires_grad=True))
        b.append(torch.tensor(export["sigma_b"] * export[f"unit_biases_{l}"], requires_grad=True))
        m = ref.layer_scale(export["parametrization"], kind, opt_name, float(export["width"]),
                            float(export["base_width"]))[0]
        eps = export["eps"] / m
        groups += [{"params": [W[-1]], "lr": eta * lr, "eps": eps},
                   {"params": [b[-1]], "lr": eta * bias_lr, "eps": export["eps"]}]
    if opt_name == "adam":
        opt = torch.optim.Adam(groups, lr=eta, betas=(export["beta1"], export["beta2"]))
    else:
        for g in groups:
            del g["eps"]
        opt = torch.optim.SGD(groups, lr=eta,
                              momentum=export["momentum"] if opt_name == "momentum" else 0)
    losses = []
    for t in range(export["steps"] + 1):
        rows = export["batch_rows"][t]
        a = torch.tensor(export["x_train"][rows])
        for l in range(depth):
            z = F.linear(a, W[l], b[l])
            a = torch.tanh(z)
        loss, _ = ref.batch_loss(z, export, rows, "train")
        losses.append(loss.item())
        if t == export["steps"]:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses, [w.detach().numpy() for w in W]


CASES = list(itertools.product(["standard", "ntk", "mup"], ["sgd", "momentum", "adam"],
                               ["cross_entropy", "mse"]))


@pytest.mark.parametrize("parametrization, optimizer, loss", CASES)
def test_reference_trains_the_papers_network(parametrization, optimizer, loss):
    export = tiny_export(parametrization, optimizer, loss, seed=CASES.index(
        (parametrization, optimizer, loss)))
    out = ref.train(export)
    losses, W = train_effective(export)
    np.testing.assert_allclose(out["train_loss"], losses, rtol=1e-10, atol=1e-12)
    for l, (got, want) in enumerate(zip(out["W_eff"], W), start=1):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"W[{l}]")
    # the run really trained: the weights moved by much more than the tolerance
    start = np.sqrt(effective_rule(parametrization, optimizer, "hidden", 4.0)[0]) * 1.3 * \
        export["unit_weights_2"]
    assert np.abs(out["W_eff"][1] - start).max() > 1e-6
    assert sorted(out["stats"]) == [0, 1, export["steps"]]


def numpy_first_loss(export):
    """Minibatch 0's loss at initialization, in numpy, for the standard
    parametrization: an independent forward pass."""
    a = export["x_train"][export["batch_rows"][0]]
    for l in range(1, export["depth"] + 1):
        z = a @ (export["sigma_w"] * export[f"unit_weights_{l}"]).T + \
            export["sigma_b"] * export[f"unit_biases_{l}"]
        a = np.tanh(z)
    y = export["labels_train"][export["batch_rows"][0]]
    shifted = z - z.max(1, keepdims=True)
    return np.mean(np.log(np.exp(shifted).sum(1)) - shifted[np.arange(len(y)), y])


def test_command_line_reads_an_export(tmp_path):
    export = tiny_export("standard", "sgd", "cross_entropy", seed=0)
    rng = np.random.default_rng(9)
    export["x_test"] = rng.standard_normal((10, 6))
    export["labels_test"] = rng.integers(0, 4, 10)
    path = tmp_path / "export.h5"
    with h5py.File(path, "w") as f:
        for key, value in export.items():
            if isinstance(value, np.ndarray) and key != "stats_steps":
                f[key] = value
            else:
                f.attrs[key] = value
    out_path = tmp_path / "reference.h5"
    proc = subprocess.run([sys.executable, str(HERE / "torch_train_reference.py"), str(path),
                           "-o", str(out_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(out_path, "r") as f:
        assert f["train_loss"].shape == (7,) and f["train_accuracy"].shape == (7,)
        np.testing.assert_allclose(f["train_loss"][0], numpy_first_loss(export), rtol=1e-12)
        assert 0 <= f.attrs["test_accuracy"] <= 1 and np.isfinite(f.attrs["test_loss"])
        assert f["mean_abs_z"].shape == (3, 3) and list(f["stats_steps"][:]) == [0, 1, 6]
        assert f["W_eff_3"].shape == (4, 64) and f["b_1"].shape == (64,)
