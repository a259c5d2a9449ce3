#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch's training of one gradsweep configuration, from gradsweep's own
draws, data rows and minibatch order: the oracle that gradsweep's training
is compared with (float64, to 1e-9).

    /usr/bin/python3 tests/torch_train_reference.py EXPORT.h5 -o REFERENCE.h5

EXPORT.h5 (what `gradsweep export` is to write for a training sweep; all
arrays float64 unless said otherwise, weights (out, in) row-major):
  attributes   activation (str), leaky_relu_slope, sigma_w, sigma_b, width,
               depth, base_width, parametrization (standard | ntk | mup),
               optimizer (sgd | momentum | adam), loss (cross_entropy | mse),
               learning_rate, momentum, beta1, beta2, eps, steps,
               stats_steps (int64 array)
  unit_weights_L   for L = 1 … depth: U[l], the standard draw divided by
                   sigma_w (so standard's W = sigma_w U; Var 1/fan_in)
  unit_biases_L    beta[l], with standard's b = sigma_b beta
  x_train (N, d); labels_train (N,) int64 or targets_train (N, k)
  x_test, labels_test / targets_test     optional
  batch_rows (steps + 1, B) int64        the rows of minibatch 0 … steps

The parametrization is applied here, from the table below (docs/theory.md,
"Parametrizations"; src/parametrization.c holds the same table, and
tests/test_torch_reference.py checks both against each other and against
Tensor Programs V's Table 3): the trained parameters are
    w[l] = r^(-b) sigma_w U[l],  b[l] = sigma_b beta[l],  W[l] = r^(-a) w[l]
with r = width / base_width, and each parameter is updated by torch.optim
(SGD, SGD with momentum, Adam) with learning rate learning_rate r^(-c) (its
bias r^(-c_bias)). Forward: z[l] = a[l-1] W[l]^T + b[l], a[l] = phi(z[l]),
a[0] = x; the loss is on z[L] (the last layer's phi is not used), the batch
mean of l: cross entropy (F.cross_entropy) or 1/2 ||z - y||^2 with y the
targets or the one-hot labels.

Step t (0 … steps) is the state after t updates: train_loss[t] and
train_accuracy[t] are on minibatch t, and update t + 1 descends that same
minibatch's gradient. REFERENCE.h5 holds train_loss, train_accuracy (steps+1),
test_loss, test_accuracy (NaN without a test split), w_L and b_L after the
last step, W_eff_L (= r^(-a) w_L), and for each of stats_steps the
per-layer q (mean z^2), mean_abs_z (mean |z|, the coordinate check),
delta_sq (mean of (dl/dz)^2 per sample), grad_w_norm (||d loss / dW[l]||_F,
of the effective W) and grad_b_norm, as (len(stats_steps), depth) arrays.
"""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

from torch_activations import phi

torch.set_default_dtype(torch.float64)

# (a, b, c, c_bias) per parametrization, optimizer class and layer kind:
# W = r^-a w, w = r^-b (standard draw), lr = eta r^-c (biases r^-c_bias).
HALF = 0.5
ZERO = (0, 0, 0, 0)
TABLE = {
    "standard": {"sgd": {k: ZERO for k in ("input", "hidden", "output")},
                 "adam": {k: ZERO for k in ("input", "hidden", "output")}},
    "ntk": {"sgd": {"input": ZERO, "hidden": (HALF, -HALF, 0, 0), "output": (HALF, -HALF, 0, 0)},
            "adam": {"input": (0, 0, HALF, HALF), "hidden": (HALF, -HALF, 1, HALF),
                     "output": (HALF, -HALF, HALF, 0)}},
    "mup": {"sgd": {"input": (0, 0, -1, -1), "hidden": (0, 0, 0, -1),
                    "output": (1, -HALF, -1, 0)},
            "adam": {"input": ZERO, "hidden": (0, 0, 1, 0), "output": (1, -HALF, 0, 0)}},
}


def layer_kind(l, depth):
    """input, hidden, output or fixed (a one-layer network) for layer l = 1 … depth."""
    if depth == 1:
        return "fixed"
    return "input" if l == 1 else "output" if l == depth else "hidden"


def layer_scale(parametrization, kind, optimizer, width, base_width):
    """(multiplier, init_std, lr factor, bias lr factor) of one layer."""
    if kind == "fixed":
        return 1.0, 1.0, 1.0, 1.0
    opt_class = "adam" if optimizer == "adam" else "sgd"
    a, b, c, c_bias = TABLE[parametrization][opt_class][kind]
    r = width / base_width
    return r ** -a, r ** -b, r ** -c, r ** -c_bias


class Network:
    """The trained parameters w, b of every layer and their multipliers."""

    def __init__(self, export):
        self.depth = int(export["depth"])
        self.activation = export["activation"]
        self.slope = float(export.get("leaky_relu_slope", 0.01))
        self.w, self.b, self.multiplier, self.lr, self.bias_lr = [], [], [], [], []
        for l in range(1, self.depth + 1):
            m, init_std, lr, bias_lr = layer_scale(
                export["parametrization"], layer_kind(l, self.depth), export["optimizer"],
                float(export["width"]), float(export["base_width"]))
            unit_w = torch.as_tensor(np.asarray(export[f"unit_weights_{l}"], np.float64))
            unit_b = torch.as_tensor(np.asarray(export[f"unit_biases_{l}"], np.float64))
            self.w.append((init_std * float(export["sigma_w"]) * unit_w).requires_grad_(True))
            self.b.append((float(export["sigma_b"]) * unit_b).requires_grad_(True))
            self.multiplier.append(m)
            self.lr.append(lr)
            self.bias_lr.append(bias_lr)

    def effective(self, l):
        return self.multiplier[l] * self.w[l]

    def forward(self, x):
        """z[1 … L], each keeping its gradient, for the statistics."""
        zs, a = [], x
        for l in range(self.depth):
            z = F.linear(a, self.effective(l), self.b[l])
            if z.requires_grad:  # not under torch.no_grad (evaluation)
                z.retain_grad()
            zs.append(z)
            a = phi(self.activation, z, self.slope)
        return zs

    def optimizer(self, export):
        eta = float(export["learning_rate"])
        groups = []
        for l in range(self.depth):
            groups.append({"params": [self.w[l]], "lr": eta * self.lr[l]})
            groups.append({"params": [self.b[l]], "lr": eta * self.bias_lr[l]})
        name = export["optimizer"]
        if name == "sgd":
            return torch.optim.SGD(groups, lr=eta)
        if name == "momentum":
            return torch.optim.SGD(groups, lr=eta, momentum=float(export["momentum"]))
        return torch.optim.Adam(groups, lr=eta,
                                betas=(float(export["beta1"]), float(export["beta2"])),
                                eps=float(export["eps"]))


def batch_loss(z, export, rows, split):
    """The batch mean of l and the number of correct samples on rows."""
    labels = export.get(f"labels_{split}")
    if export["loss"] == "cross_entropy":
        y = torch.as_tensor(np.asarray(labels)[rows])
        loss = F.cross_entropy(z, y)
    else:
        if labels is not None:
            y = F.one_hot(torch.as_tensor(np.asarray(labels)[rows]), z.shape[1]).double()
        else:
            y = torch.as_tensor(np.asarray(export[f"targets_{split}"])[rows])
        loss = 0.5 * ((z - y) ** 2).sum(1).mean()
    correct = math.nan
    if labels is not None:
        predicted = z.detach().argmax(1).numpy()
        correct = float((predicted == np.asarray(labels)[rows]).sum())
    return loss, correct


def layer_statistics(net, zs, batch):
    """q, mean |z|, delta^2, ||dloss/dW_eff||, ||dloss/db|| per layer, after backward."""
    rows = {"q": [], "mean_abs_z": [], "delta_sq": [], "grad_w_norm": [], "grad_b_norm": []}
    for l, z in enumerate(zs):
        delta = z.grad * batch                       # dl/dz per sample
        rows["q"].append((z.detach() ** 2).mean().item())
        rows["mean_abs_z"].append(z.detach().abs().mean().item())
        rows["delta_sq"].append((delta ** 2).mean().item())
        # d loss / d W_eff = (d loss / d w) / multiplier
        rows["grad_w_norm"].append((net.w[l].grad / net.multiplier[l]).norm().item())
        rows["grad_b_norm"].append(net.b[l].grad.norm().item())
    return rows


def evaluate(net, export, split, chunk=1000):
    """Mean loss and accuracy over a whole split (NaN, NaN without one)."""
    x = export.get(f"x_{split}")
    if x is None:
        return math.nan, math.nan
    x = np.asarray(x, np.float64)
    total, correct = 0.0, 0.0
    with torch.no_grad():
        for start in range(0, x.shape[0], chunk):
            rows = np.arange(start, min(start + chunk, x.shape[0]))
            z = net.forward(torch.as_tensor(x[rows]))[-1]
            loss, right = batch_loss(z, export, rows, split)
            total += loss.item() * len(rows)
            correct += right
    return total / x.shape[0], correct / x.shape[0]


def train(export):
    """Runs the configuration; returns the arrays REFERENCE.h5 holds."""
    net = Network(export)
    opt = net.optimizer(export)
    steps = int(export["steps"])
    batches = np.asarray(export["batch_rows"], np.int64)
    stats_steps = [int(s) for s in np.atleast_1d(export.get("stats_steps", []))]
    x_train = np.asarray(export["x_train"], np.float64)
    out = {"train_loss": [], "train_accuracy": [], "stats": {}}
    for t in range(steps + 1):
        rows = batches[t]
        opt.zero_grad()
        zs = net.forward(torch.as_tensor(x_train[rows]))
        loss, correct = batch_loss(zs[-1], export, rows, "train")
        out["train_loss"].append(loss.item())
        out["train_accuracy"].append(correct / len(rows))
        if t == steps and t not in stats_steps:
            break
        loss.backward()
        if t in stats_steps:
            out["stats"][t] = layer_statistics(net, zs, len(rows))
        if t < steps:
            opt.step()
    out["test_loss"], out["test_accuracy"] = evaluate(net, export, "test")
    out["w"] = [w.detach().numpy().copy() for w in net.w]
    out["b"] = [b.detach().numpy().copy() for b in net.b]
    out["W_eff"] = [net.effective(l).detach().numpy().copy() for l in range(net.depth)]
    out["stats_steps"] = stats_steps
    return out


def read_export(path):
    import h5py
    export = {}
    with h5py.File(path, "r") as f:
        for key, value in f.attrs.items():
            export[key] = value.decode() if isinstance(value, bytes) else value
        for key in f:
            if isinstance(f[key], h5py.Dataset):  # gradsweep/ holds gradsweep's own results
                export[key] = f[key][()]
    for key in ("activation", "parametrization", "optimizer", "loss"):
        if not isinstance(export[key], str):
            export[key] = str(export[key])
    return export


def write_reference(path, out):
    import h5py
    with h5py.File(path, "w") as f:
        f["train_loss"] = np.array(out["train_loss"])
        f["train_accuracy"] = np.array(out["train_accuracy"])
        f.attrs["test_loss"] = out["test_loss"]
        f.attrs["test_accuracy"] = out["test_accuracy"]
        for l, (w, b, W) in enumerate(zip(out["w"], out["b"], out["W_eff"]), start=1):
            f[f"w_{l}"], f[f"b_{l}"], f[f"W_eff_{l}"] = w, b, W
        f["stats_steps"] = np.array(out["stats_steps"], np.int64)
        for name in ("q", "mean_abs_z", "delta_sq", "grad_w_norm", "grad_b_norm"):
            f[name] = np.array([out["stats"][s][name] for s in out["stats_steps"]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="a training export of gradsweep (layout: see the top)")
    parser.add_argument("-o", "--output", required=True, help="where to write the reference")
    args = parser.parse_args()
    write_reference(args.output, train(read_export(args.export)))


if __name__ == "__main__":
    main()
