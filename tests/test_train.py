# SPDX-License-Identifier: MIT
"""Training sweeps end to end: real mpirun, real parallel HDF5 files, real
OpenBLAS, real PyTorch (float64), real Fashion-MNIST.

- PyTorch repeats the first steps of every optimizer x loss x
  parametrization from `gradsweep export`'s draws, data and minibatch order
  (tests/torch_train_reference.py) and agrees with the results file to 1e-9;
- results are bitwise the same on 1, 2 and 3 ranks, and after a SIGKILL and
  --resume (a configuration is the unit);
- a diverging configuration is `nonfinite` with its step, not a crash;
- a small trainability sweep on Fashion-MNIST: at depth 40 the critical tanh
  network trains, the ordered and the chaotic ones stay at chance.

Run by hand: GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest -s tests/test_train.py
"""
import subprocess
import time

import h5py
import numpy as np
import pytest

import torch_train_reference as reference
from conftest import GRADSWEEP, MPIEXEC, MPIEXEC_FLAGS, run_gradsweep

RTOL = 1e-9
EXCLUDED = {"rank", "elapsed_s"}


def make_data(path, kind, seed=7, n=240, n_test=60, d=12, k=4):
    """A small data set of the layout of docs/usage.md: labels from a noisy
    linear rule (learnable), or float targets."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(d, k))
    with h5py.File(path, "w") as f:
        for name, rows in (("", n), ("_test", n_test)):
            x = rng.normal(size=(rows, d))
            logits = x @ w + 0.5 * rng.normal(size=(rows, k))
            f["x" + name] = x
            f["y" + name] = (np.argmax(logits, 1).astype(np.int32) if kind == "labels"
                             else np.tanh(logits))


# One sweep per (optimizer, loss): every parametrization on each, at r = 4
# (width 16, base_width 4) so that the three differ; the activations vary
# with the optimizer so that several are exercised.
ORACLE_SWEEP = """\
name: oracle-train
data: {data}
precision: float64
base_seed: 31
train:
  steps: 7
  optimizer: {optimizer}
  loss: {loss}
  record_every: 3
  base_width: 4
  stats_steps: [0, 1, 7]
grid:
  depth: [4]
  width: [16]
  sigma_w: [1.4]
  sigma_b: [0.3]
  activation: [{activation}]
  batch: [24]
  learning_rate: [{lr}]
  parametrization: [standard, ntk, mup]
"""
ORACLE_CASES = [  # optimizer, loss, data, activation, learning rate
    ("sgd", "cross_entropy", "labels", "tanh", 0.1),
    ("sgd", "mse", "labels", "relu", 0.05),
    ("momentum", "cross_entropy", "labels", "gelu", 0.05),
    ("momentum", "mse", "targets", "tanh", 0.05),
    ("adam", "cross_entropy", "labels", "silu", 0.01),
    ("adam", "mse", "targets", "tanh", 0.01),
]
STATS = [("train_q", "q"), ("mean_abs_z", "mean_abs_z"), ("train_delta_sq", "delta_sq"),
         ("train_grad_w_norm", "grad_w_norm"), ("train_grad_b_norm", "grad_b_norm")]


def relative_error(mine, theirs):
    mine, theirs = np.asarray(mine, np.float64), np.asarray(theirs, np.float64)
    assert mine.shape == theirs.shape
    scale = np.maximum(np.abs(theirs), 1e-300)
    return float(np.max(np.abs(mine - theirs) / scale)) if mine.size else 0.0


@pytest.mark.parametrize("optimizer,loss,kind,activation,lr", ORACLE_CASES)
def test_pytorch_repeats_the_first_steps(tmp_path, optimizer, loss, kind, activation, lr):
    """The results file's training loss, accuracy, test loss and accuracy and
    per-layer training statistics, and the exported final weights, agree with
    PyTorch's float64 training from the same draws and minibatches to 1e-9
    (relative; double rounding in a different order gives ~1e-13)."""
    make_data(tmp_path / "d.h5", kind)
    (tmp_path / "s.yaml").write_text(ORACLE_SWEEP.format(
        data="d.h5", optimizer=optimizer, loss=loss, activation=activation, lr=lr))
    out = run_gradsweep(["s.yaml", "-o", "r.h5", "--progress", "0"], ranks=1, cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "r.h5", "r") as f:
        steps, stats_steps = f["step"][:], f["stats_step"][:]
        assert list(steps) == [0, 3, 6, 7] and list(stats_steps) == [0, 1, 7]
        assert list(f["parametrization"][:]) == [0, 1, 2]
        file = {name: f[name][:] for name in
                ["train_loss", "train_accuracy", "test_loss", "test_accuracy", "status",
                 "first_nonfinite_step"] + [mine for mine, _ in STATS]}
    worst = {}
    for config in range(3):
        export = tmp_path / f"e{config}.h5"
        out = run_gradsweep(["export", "s.yaml", "--config", config, "-o", export],
                            cwd=tmp_path)
        assert out.returncode == 0, out
        ref = reference.train(reference.read_export(export))
        assert file["status"][config] == 1 and file["first_nonfinite_step"][config] == -1
        checks = {
            "train_loss": (file["train_loss"][config], np.array(ref["train_loss"])[steps]),
            "test_loss": (file["test_loss"][config], ref["test_loss"]),
        }
        for mine, theirs in STATS:
            checks[mine] = (file[mine][config], [ref["stats"][s][theirs] for s in stats_steps])
        with h5py.File(export, "r") as e:
            for l in range(1, 5):
                checks[f"w_{l}"] = (e[f"gradsweep/w_{l}"][:], ref["w"][l - 1])
                checks[f"b_{l}"] = (e[f"gradsweep/b_{l}"][:], ref["b"][l - 1])
        for name, (mine, theirs) in checks.items():
            error = relative_error(mine, theirs)
            worst[name] = max(worst.get(name, 0), error)
            assert error < RTOL, (config, name, mine, theirs)
        # accuracies are counts: exactly equal (NaN for regression targets)
        acc_ref = np.array(ref["train_accuracy"])[steps]
        np.testing.assert_array_equal(file["train_accuracy"][config], acc_ref)
        np.testing.assert_array_equal(file["test_accuracy"][config], ref["test_accuracy"])
    print(f"{optimizer} {loss} ({kind}): worst relative error", max(worst.values()))


RANKS_SWEEP = """\
name: train-ranks
data: d.h5
base_seed: 5
train:
  steps: 40
  optimizer: momentum
  record_every: 8
grid:
  activation: [relu, tanh]
  depth: [3, 9]
  width: [8, 32]
  sigma_w: [1.0, 2.0]
  sigma_b: [0.1]
  seed: {range: 2}
  batch: [16]
  learning_rate: [0.05, 200]     # 200 makes relu nets diverge: nonfinite rows compared too
"""


def data(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][:] for name in f if name not in EXCLUDED}


def assert_same_data(path, other):
    mine, theirs = data(path), data(other)
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert mine[name].tobytes() == theirs[name].tobytes(), name


@pytest.fixture(scope="module")
def ranks_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train_ranks")
    make_data(folder / "d.h5", "labels")
    (folder / "s.yaml").write_text(RANKS_SWEEP)
    files = {}
    for ranks in (1, 2, 3):
        out = run_gradsweep(["s.yaml", "-o", f"r{ranks}.h5", "--progress", "0"], ranks=ranks,
                            cwd=folder)
        assert out.returncode == 0, out
        files[ranks] = folder / f"r{ranks}.h5"
    return files


@pytest.mark.parametrize("ranks", [2, 3])
def test_bitwise_identical_across_ranks(ranks_runs, ranks):
    assert_same_data(ranks_runs[ranks], ranks_runs[1])


def test_divergence_is_nonfinite_with_its_step(ranks_runs):
    """A learning rate of 200 blows the loss up within a few steps: such a
    row is nonfinite, names its step, and holds NaN after it (and for the
    test split) — every relu network of width 32 at 200 does (a narrow one
    may die instead: all units dead, a constant loss); the tanh networks at 0.05
    trained and are done."""
    with h5py.File(ranks_runs[2], "r") as f:
        lr, status = f["learning_rate"][:], f["status"][:]
        tanh, wide = f["activation"][:] == 3, f["width"][:] == 32
        step, loss = f["first_nonfinite_step"][:], f["train_loss"][:]
        steps, test_loss = f["step"][:], f["test_loss"][:]
        accuracy = f["test_accuracy"][:]
    diverged = step >= 0
    assert (status[diverged] == 2).all() and diverged[(lr == 200) & ~tanh & wide].all()
    for i in np.flatnonzero(diverged):
        assert 0 < step[i] <= 40
        recorded = steps <= step[i]
        assert np.isfinite(loss[i][steps < step[i]]).all()
        assert np.isnan(loss[i][~recorded]).all() and np.isnan(test_loss[i])
    trained = (lr == 0.05) & tanh
    assert (status[trained] == 1).all() and (step[trained] == -1).all()
    # 4 classes: chance is 0.25 (60 test rows: sampling error 0.06)
    assert np.isfinite(loss[trained]).all() and accuracy[trained].mean() > 0.6


def test_files_without_training_have_no_training_variables(tmp_path):
    out = run_gradsweep(["--depth", "3", "--width", "8", "--sigma-w", "1", "--activation",
                         "tanh", "-o", "plain.h5", "--progress", "0"], cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "plain.h5", "r") as f:
        for name in ["train_loss", "step", "stats_step", "learning_rate", "parametrization",
                     "test_accuracy", "mean_abs_z"]:
            assert name not in f, name
        assert "optimizer" not in f.attrs


# ~4 s on 2 ranks: long enough to be killed mid-sweep.
RESUME_SWEEP = """\
name: train-resume
data: d.h5
train:
  steps: 150
  optimizer: adam
  record_every: 10
grid:
  activation: [tanh]
  depth: [6, 12]
  width: [64]
  sigma_w: {linspace: [0.8, 2.0, 6]}
  sigma_b: [0.1]
  batch: [32]
  learning_rate: [0.001, 0.01]
"""


def test_sigkill_then_resume_is_bitwise(tmp_path):
    """A training sweep killed with SIGKILL mid-sweep and resumed gives the
    uninterrupted run's data bit for bit: configurations in flight are redone
    from their start, finished ones are kept."""
    from test_resume import kill_everything
    make_data(tmp_path / "d.h5", "labels", n=2000, n_test=500)
    (tmp_path / "s.yaml").write_text(RESUME_SWEEP)
    began = time.monotonic()
    out = run_gradsweep(["s.yaml", "-o", "full.h5", "--progress", "0"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    delay = 0.5 * (time.monotonic() - began)
    cmd = [MPIEXEC, *MPIEXEC_FLAGS, "-n", "2", GRADSWEEP, "s.yaml", "-o", "r.h5", "--progress",
           "0"]
    for attempt in range(8):
        (tmp_path / "r.h5").unlink(missing_ok=True)
        proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        time.sleep(delay)
        kill_everything(proc, tmp_path)
        done = None
        if (tmp_path / "r.h5").exists():
            with h5py.File(tmp_path / "r.h5", "r") as f:
                status, loss = f["status"][:], f["train_loss"][:]
            done = int((status != 0).sum())
            # rows marked done are whole; pending rows hold nothing measured
            assert np.isfinite(loss[status == 1]).all()
        if done is not None and 0 < done < status.size:
            break
        delay *= 1.5 if not done else 0.6
    else:
        pytest.fail(f"no kill landed mid-sweep in 8 attempts (last after {delay:.2f} s)")
    out = run_gradsweep(["s.yaml", "-o", "r.h5", "--resume", "--progress", "0"], ranks=2,
                        cwd=tmp_path)
    assert out.returncode == 0, out
    print(f"killed after {delay:.2f} s with {done} of {status.size} done; resumed")
    assert_same_data(tmp_path / "r.h5", tmp_path / "full.h5")


TRAINABILITY_SWEEP = """\
name: trainability-small
data: fashion-mnist
train:
  steps: 300
  optimizer: sgd
  record_every: 50
grid:
  activation: [tanh]
  depth: [10, 40]
  width: [64]
  sigma_w: [1.0, 1.35, 4.0]     # ordered (6 xi_c = 22), critical (1.35: chi1 = 1), chaotic (22)
  sigma_b: [0.2236068]          # sigma_b^2 = 0.05
  batch: [128]
  learning_rate: [0.01]
"""


def test_trainability_follows_the_depth_scale(tmp_path):
    """Schoenholz et al. 2017 on Fashion-MNIST: 300 SGD steps (lr 0.01,
    batch 128). At depth 40, beyond 6 xi_c = 22 of sigma_w 1.0 and 4.0, only
    the critical network trains (test accuracy far above the 10 % of chance);
    at depth 10, within 6 xi_c, all three do. The bounds leave wide margins
    around what this deterministic run gives (depth 40: 0.12, 0.76, 0.10;
    depth 10: all above 0.5); the test split's 10000 images make the sampling
    error of an accuracy at most 0.005."""
    (tmp_path / "s.yaml").write_text(TRAINABILITY_SWEEP)
    out = run_gradsweep(["s.yaml", "-o", "t.h5", "--progress", "0"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "t.h5", "r") as f:
        depth, sigma_w = f["depth"][:], f["sigma_w"][:]
        accuracy, xi_c = f["test_accuracy"][:], f["xi_c_theory"][:]
        assert f.attrs["data_input_width"] == 784 and f.attrs["data_output_width"] == 10
        assert (f["status"][:] == 1).all()
    cells = {(int(d), float(s)): (a, 6 * x) for d, s, a, x in zip(depth, sigma_w, accuracy, xi_c)}
    print("(depth, sigma_w): (test accuracy, 6 xi_c):", cells)
    assert cells[(40, 1.35)][0] > 0.6
    assert cells[(40, 1.0)][0] < 0.25 and cells[(40, 4.0)][0] < 0.25
    assert cells[(40, 1.0)][1] < 40 and cells[(40, 4.0)][1] < 40 < cells[(40, 1.35)][1]
    for s in (1.0, 1.35, 4.0):
        assert cells[(10, s)][0] > 0.3, s
