# SPDX-License-Identifier: MIT
"""The data reader (src/data.c) against independent readings of the same
files: Fashion-MNIST's gzipped idx files read here with Python's gzip and
struct, users' HDF5 files written and read with h5py; and bad input (a
truncated or corrupt .gz, a wrong magic number, missing files and datasets,
x and y of different lengths, NaN in x, ...), each refused with a message that
names the file, the dataset and what would be right.

tests/data_harness.c loads a data set with data_load and prints it. Run by hand:
    GS_DATA_HARNESS=build/tests/data_harness /usr/bin/python3 -m pytest -q tests/test_data.py
"""
import gzip
import math
import os
import shutil
import struct
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

HARNESS = os.environ.get("GS_DATA_HARNESS", str(Path(__file__).resolve().parent.parent / "build"
                                                / "tests" / "data_harness"))
FASHION = Path("/usr/share/datasets/fashion-mnist")
STEMS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def load(source, path="-", standardize="-", precision="float64", rows=()):
    """Runs the harness; returns (exit code, parsed lines or the error text)."""
    proc = subprocess.run([HARNESS, source, str(path), standardize, precision, *rows],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        return proc.returncode, proc.stderr.strip()
    out = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        if words[0] in ("x", "targets", "label"):
            out[(words[0], words[1])] = np.array([float(v) for v in words[2:]])
        elif words[0] == "describe":
            out["describe"] = line[len("describe "):]
        elif words[0] == "kind":
            out["kind"] = words[1]
        else:
            out[words[0]] = np.array([float(v) for v in words[1:]])
    return 0, out


# ---- an independent reading of idx files ---------------------------------------

def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    n_dims = magic & 0xFF
    dims = struct.unpack(">" + "I" * n_dims, raw[4:4 + 4 * n_dims])
    return np.frombuffer(raw[4 + 4 * n_dims:], np.uint8).reshape(dims)


def exact_mean_std(x):
    """Per-column mean and population std with correctly rounded sums
    (math.fsum): numpy's pairwise sums drift by ~1e-12 over 60000 rows."""
    n = x.shape[0]
    mean = np.array([math.fsum(column) / n for column in x.T])
    std = np.array([math.sqrt(math.fsum((column - m) ** 2) / n) for column, m in zip(x.T, mean)])
    return mean, std


@pytest.fixture(scope="module")
def fashion():
    out = {}
    for split, (images, labels) in STEMS.items():
        x = read_idx(FASHION / f"{images}.gz").reshape(-1, 784).astype(np.float64)
        out[split] = (x, read_idx(FASHION / f"{labels}.gz").astype(np.int64))
    return out


ROWS = ["train:0", "train:31415", "train:59999", "test:0", "test:9999"]


def split_row(spec):
    split, row = spec.split(":")
    return split, int(row)


def test_fashion_mnist_per_feature(fashion):
    code, got = load("fashion-mnist", rows=ROWS)
    assert code == 0, got
    assert got["kind"] == "fashion-mnist"
    assert got["rows_train"][0] == 60000 and got["rows_test"][0] == 10000
    assert got["input_width"][0] == 784 and got["n_classes"][0] == 10
    assert got["target_width"][0] == 10
    x_train, y_train = fashion["train"]
    for split in ("train", "test"):
        labels = fashion[split][1]
        assert list(got[f"labels_{split}"]) == [labels[0], labels[-1]]
    mean, std = exact_mean_std(x_train)              # population std, as documented
    np.testing.assert_allclose(got["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(got["std"], std, rtol=1e-12)
    for spec in ROWS:
        split, row = split_row(spec)
        x, labels = fashion[split]
        want = (x[row] - mean) / std
        np.testing.assert_allclose(got[("x", spec)], want, rtol=1e-12, atol=1e-12)
        assert got[("label", spec)][0] == labels[row]
    assert "60000 training, 10000 test rows, 784 features, 10 classes" in got["describe"]


def test_fashion_mnist_raw_pixels_float32(fashion):
    """standardize: none gives pixel / 255; one pixel checked by value."""
    code, got = load("fashion-mnist", standardize="none", precision="float32",
                     rows=["train:123", "test:4567"])
    assert code == 0, got
    assert "mean" not in got
    for spec in ("train:123", "test:4567"):
        split, row = split_row(spec)
        want = (fashion[split][0][row] / 255).astype(np.float32)
        np.testing.assert_array_equal(got[("x", spec)].astype(np.float32), want)
    x = fashion["train"][0]
    pixel = int(x[123, 14 * 28 + 14])                  # the centre pixel, read independently
    assert got[("x", "train:123")][14 * 28 + 14] == np.float32(pixel / 255)
    assert got["bytes"][0] == 70000 * 784 * 4 + 70000 * 4


def test_fashion_mnist_global(fashion):
    code, got = load("fashion-mnist", standardize="global", rows=["test:10"])
    assert code == 0, got
    mean, std = exact_mean_std(fashion["train"][0].reshape(-1, 1))
    np.testing.assert_allclose(got["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(got["std"], std, rtol=1e-12)
    want = (fashion["test"][0][10] - mean) / std
    np.testing.assert_allclose(got[("x", "test:10")], want, rtol=1e-12, atol=1e-12)


# ---- small idx sets of our own -----------------------------------------------------

def write_idx(path, array, magic=None, compress=True):
    array = np.asarray(array, np.uint8)
    if magic is None:
        magic = 0x800 | array.ndim
    raw = struct.pack(">I", magic) + struct.pack(">" + "I" * array.ndim, *array.shape)
    raw += array.tobytes()
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        Path(path).write_bytes(raw)


def tiny_idx_set(folder, train_labels=(0, 1, 2, 9, 3)):
    """5 training and 2 test images of 2 x 3 pixels; pixel (0, 0) is 7 in
    every training image (a constant feature) and 200 in the test images."""
    rng = np.random.default_rng(5)
    train = rng.integers(0, 256, (5, 2, 3))
    train[:, 0, 0] = 7
    test = rng.integers(0, 256, (2, 2, 3))
    test[:, 0, 0] = 200
    write_idx(folder / "train-images-idx3-ubyte.gz", train)
    write_idx(folder / "train-labels-idx1-ubyte.gz", train_labels)
    write_idx(folder / "t10k-images-idx3-ubyte", test, compress=False)  # uncompressed works too
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", [4, 5])
    return train.reshape(5, 6).astype(float), test.reshape(2, 6).astype(float)


def test_idx_directory_and_constant_feature(tmp_path):
    train, test = tiny_idx_set(tmp_path)
    code, got = load("fashion-mnist", tmp_path, rows=["train:1", "test:0", "test:1"])
    assert code == 0, got
    assert got["rows_train"][0] == 5 and got["rows_test"][0] == 2 and got["input_width"][0] == 6
    mean, std = train.mean(0), train.std(0)
    assert std[0] == 0
    for spec in ("train:1", "test:0", "test:1"):
        split, row = split_row(spec)
        x = (train if split == "train" else test)[row]
        want = np.where(std > 0, (x - mean) / np.where(std > 0, std, 1), 0.0)
        np.testing.assert_allclose(got[("x", spec)], want, rtol=1e-12, atol=1e-14)
        assert got[("x", spec)][0] == 0.0   # the constant pixel: 0 in both splits
    assert got[("label", "test:1")][0] == 5


def copy_fashion(folder, skip=None):
    for stems in STEMS.values():
        for stem in stems:
            if stem != skip:
                os.symlink(FASHION / f"{stem}.gz", folder / f"{stem}.gz")


def test_truncated_gz(tmp_path):
    copy_fashion(tmp_path, skip="train-images-idx3-ubyte")
    data = (FASHION / "train-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
    code, message = load("fashion-mnist", tmp_path)
    assert code == 2
    assert str(tmp_path / "train-images-idx3-ubyte.gz") in message
    assert "truncated" in message and "of the 47040000 bytes of pixels" in message


def test_corrupt_gz(tmp_path):
    copy_fashion(tmp_path, skip="t10k-labels-idx1-ubyte")
    data = bytearray((FASHION / "t10k-labels-idx1-ubyte.gz").read_bytes())
    for i in range(100, 400):
        data[i] ^= 0x5A
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(data))
    code, message = load("fashion-mnist", tmp_path)
    assert code == 2
    assert str(tmp_path / "t10k-labels-idx1-ubyte.gz") in message
    assert "corrupt (zlib: " in message or "truncated" in message
    assert message.count(str(tmp_path)) == 1      # zlib's own copy of the path is left out


def test_wrong_magic(tmp_path):
    tiny_idx_set(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((5, 2, 3)), magic=0x00000802)
    code, message = load("fashion-mnist", tmp_path)
    assert code == 2
    assert ("train-images-idx3-ubyte.gz is not an idx image file: magic number 0x00000802, "
            "expected 0x00000803") in message


def test_labels_disagree_or_out_of_range(tmp_path):
    tiny_idx_set(tmp_path, train_labels=(0, 1, 2, 3))
    code, message = load("fashion-mnist", tmp_path)
    assert code == 2 and "holds 4 labels but" in message and "holds 5 images" in message
    tiny_idx_set(tmp_path, train_labels=(0, 1, 12, 3, 4))
    code, message = load("fashion-mnist", tmp_path)
    assert code == 2 and "label 12 at row 2; the classes are 0 to 9" in message


def test_missing_directory(tmp_path):
    code, message = load("fashion-mnist", tmp_path / "nowhere")
    assert code == 2
    assert "nowhere/train-images-idx3-ubyte.gz: No such file or directory" in message
    assert "dataset-fashion-mnist" in message


# ---- users' HDF5 files ----------------------------------------------------------------

def write_h5(path, **arrays):
    with h5py.File(path, "w") as f:
        for name, value in arrays.items():
            f[name] = value
    return path


def test_hdf5_labels_and_test_split(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 3)).astype(np.float32)
    xt = rng.standard_normal((4, 3))
    path = write_h5(tmp_path / "d.h5", x=x, y=np.arange(20) % 4, x_test=xt,
                    y_test=np.array([6, 0, 1, 2], np.int16))
    code, got = load("hdf5", path, rows=["train:19", "test:0"])
    assert code == 0, got
    assert got["kind"] == "hdf5" and got["rows_train"][0] == 20 and got["rows_test"][0] == 4
    assert got["n_classes"][0] == 7 and got["target_width"][0] == 7   # largest label + 1
    assert "mean" not in got                                           # none by default
    np.testing.assert_array_equal(got[("x", "train:19")], x[19].astype(np.float64))
    np.testing.assert_array_equal(got[("x", "test:0")], xt[0])
    assert got[("label", "train:19")][0] == 3 and got[("label", "test:0")][0] == 6


def test_hdf5_targets_standardised(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 4)) * [1, 2, 3, 0] + 5   # last feature constant
    t = rng.standard_normal((30, 2))
    path = write_h5(tmp_path / "r.h5", x=x, y=t)
    code, got = load("hdf5", path, standardize="feature", rows=["train:7"])
    assert code == 0, got
    assert got["n_classes"][0] == 0 and got["target_width"][0] == 2 and got["rows_test"][0] == 0
    mean, std = x.mean(0), x.std(0)
    want = np.append((x[7, :3] - mean[:3]) / std[:3], 0.0)
    np.testing.assert_allclose(got[("x", "train:7")], want, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(got[("targets", "train:7")], t[7])


BAD_FILES = {
    "missing_y": (dict(x=np.zeros((5, 2))), 'has no dataset "y" (it holds: x)'),
    "lengths": (dict(x=np.zeros((10, 2)), y=np.zeros(9, np.int64)),
                '"y" is (9,) but "x" is (10, 2); they need one row per sample'),
    "nan_in_x": (dict(x=np.where(np.arange(12).reshape(6, 2) == 7, np.nan, 1.0),
                      y=np.arange(6) % 2),
                 "x[3, 1] = nan; every input and target must be a finite number"),
    "float_labels": (dict(x=np.zeros((4, 2)), y=np.zeros(4)),
                     '"y" is (4,) floats; class labels are (N,) integers'),
    "x_rank": (dict(x=np.zeros(4), y=np.arange(4) % 2), '"x" is (4,); expected (N, d)'),
    "test_without_labels": (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, x_test=np.zeros((2, 2))),
                            'has "x_test" but no "y_test"; a test split needs both'),
    "test_width": (dict(x=np.zeros((4, 2)), y=np.arange(4) % 2, x_test=np.zeros((2, 3)),
                        y_test=[0, 1]), '"x_test" is (2, 3) but x has 2 features'),
    "one_class": (dict(x=np.zeros((4, 2)), y=np.zeros(4, np.int32)),
                  "every label is 0; classification needs at least two classes"),
    "negative_label": (dict(x=np.zeros((4, 2)), y=[0, 1, -1, 0]), "y[2] = -1; class labels are"),
    "inf_target": (dict(x=np.zeros((3, 2)), y=np.array([[0.0], [np.inf], [1.0]])),
                   "y[1, 0] = inf"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_hdf5_bad_input(tmp_path, case):
    arrays, expected = BAD_FILES[case]
    path = write_h5(tmp_path / f"{case}.h5", **arrays)
    code, message = load("hdf5", path)
    assert code == 2, message
    assert f"data file {path}" in message
    assert expected in message


def test_hdf5_not_hdf5_or_missing(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("x, y\n1, 2\n")
    code, message = load("hdf5", text)
    assert code == 2 and f"data file {text} is not an HDF5 file" in message
    code, message = load("hdf5", tmp_path / "absent.h5")
    assert code == 2 and "absent.h5: cannot read it: No such file or directory" in message


def test_hdf5_float32_overflow(tmp_path):
    path = write_h5(tmp_path / "big.h5", x=np.array([[1.0, 1e300], [0.0, 0.0]]), y=[0, 1])
    code, message = load("hdf5", path, precision="float32")
    assert code == 2 and "x[0, 1] = inf (read as float32" in message
    code, got = load("hdf5", path, precision="float64")
    assert code == 0, got


def test_gaussian_is_described_only():
    code, got = load("gaussian")
    assert code == 0, got
    assert got["kind"] == "gaussian" and got["rows_train"][0] == 0
    assert got["input_width"][0] == 0 and got["bytes"][0] == 0
