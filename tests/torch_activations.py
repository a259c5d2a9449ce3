# SPDX-License-Identifier: MIT
"""gradsweep's activations as PyTorch users write them, for the PyTorch
oracles (test_oracle.py at initialization, torch_train_reference.py in
training): one definition, so both check the same functions."""
import torch
import torch.nn.functional as F


def phi(name, z, slope):
    """phi(z) for gradsweep's activation name; slope is leaky_relu's negative
    slope. softplus: F.softplus switches to the identity beyond threshold=20,
    so the exact log(1 + e^z) instead."""
    if name == "linear":
        return z
    if name == "relu":
        return F.relu(z)
    if name == "leaky_relu":
        return F.leaky_relu(z, negative_slope=slope)
    if name == "gelu":
        return F.gelu(z, approximate="none")
    if name == "softplus":
        return torch.logaddexp(z, torch.zeros_like(z))
    return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "selu": F.selu, "silu": F.silu,
            "elu": F.elu, "erf": torch.erf}[name](z)
