# SPDX-License-Identifier: MIT
"""The command line as a user meets it: help that teaches, one-line errors
that say what was wrong and what would be right, documented exit codes, and
nothing a user already has lost to a typo."""
import hashlib

import h5py
import pytest
import yaml

EXIT_USAGE, EXIT_OUTPUT = 2, 3
QUICK = ["--depth", "3,5", "--width", "8", "--sigma-w", "0.5:1.5:3", "--activation",
         "relu,tanh", "--batch", "4"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_help_documents_every_option_and_key(gradsweep):
    out = gradsweep(["--help"])
    assert out.returncode == 0 and out.stderr == ""
    for option in ["--output", "--force", "--dry-run", "--depth", "--width", "--sigma-w",
                   "--sigma-b", "--activation", "--init", "--seed", "--batch", "--name",
                   "--base-seed", "--precision", "--loss", "--leaky-relu-slope",
                   "--blas-threads", "--progress", "--version"]:
        assert option in out.stdout, option
    for key in ["name:", "base_seed:", "precision:", "loss:", "grid:", "depth:", "width:",
                "sigma_w:", "sigma_b:", "activation:", "init:", "seed:", "batch:",
                "linspace", "logspace", "range", "he", "lecun", "xavier", "Exit codes"]:
        assert key in out.stdout, key
    export = gradsweep(["export", "--help"])
    assert export.returncode == 0 and "unit_weights" in export.stdout


def test_help_documents_training(gradsweep):
    out = gradsweep(["--help"])
    for option in ["--learning-rate", "--parametrization", "--data", "--steps", "--optimizer",
                   "--train-loss", "--record-every", "--momentum"]:
        assert option in out.stdout, option
    for key in ["data: fashion-mnist", "train: {steps: 300", "learning_rate:",
                "parametrization: [standard, mup]", "stats_steps"]:
        assert key in out.stdout, key


TRAINING_SWEEP = """\
data: fashion-mnist
train:
  steps: 20
  optimizer: {optimizer}
grid:
  depth: [3]
  width: [8]
  sigma_w: [1.0]
  activation: [tanh]
  learning_rate: [0.01]
"""


def test_training_sweep_is_checked(gradsweep, tmp_path):
    """The train: section is read and checked like the rest (file, line, a
    suggestion); what the data says about the sweep is checked when it is
    loaded (a minibatch larger than the training rows, cross entropy on
    regression targets); nothing is written on refusal. A valid training
    sweep passes --dry-run."""
    import h5py
    import numpy as np
    sweep = tmp_path / "train.yaml"
    sweep.write_text(TRAINING_SWEEP.format(optimizer="adamw"))
    out = gradsweep([sweep, "-o", tmp_path / "t.h5"], cwd=tmp_path)
    assert out.returncode == EXIT_USAGE, out
    assert f"{sweep}:4: train: optimizer: unknown optimizer \"adamw\"; did you mean adam?" \
        in out.stderr
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["x"] = np.zeros((300, 5)) + np.arange(5)
        f["y"] = np.ones((300, 3))
    small = ["--depth", "3", "--width", "8", "--sigma-w", "1", "--activation", "tanh",
             "--steps", "5", "--data", "d.h5", "--learning-rate", "0.1", "-o", "t.h5"]
    out = gradsweep([*small, "--batch", "512", "--train-loss", "mse"], cwd=tmp_path)
    assert out.returncode == EXIT_USAGE, out
    assert "batch 512 is more than the data's 300 training rows" in out.stderr, out
    out = gradsweep(small, cwd=tmp_path)
    assert out.returncode == EXIT_USAGE, out
    assert "train: loss cross_entropy needs class labels, but the data has 3 regression " \
        "targets per row; use loss: mse" in out.stderr, out
    assert list(tmp_path.glob("t.h5")) == []
    out = gradsweep([*small, "--train-loss", "mse", "--dry-run"], cwd=tmp_path)
    assert out.returncode == 0, out


def test_version_says_how_to_cite(gradsweep, source_dir):
    """--version names the version CITATION.cff cites, the license, and how to
    cite it."""
    citation = yaml.safe_load((source_dir / "CITATION.cff").read_text())
    out = gradsweep(["--version"])
    assert out.returncode == 0, out
    assert out.stdout.startswith(f"gradsweep {citation['version']} (OpenBLAS"), out
    assert "MIT license" in out.stdout and citation["license"] == "MIT"
    assert "How to cite: The gradsweep developers (2026)" in out.stdout, out
    assert "CITATION.cff" in out.stdout, out


def test_no_arguments_prints_usage(gradsweep):
    out = gradsweep([])
    assert out.returncode == EXIT_USAGE and "usage: gradsweep SWEEP.yaml" in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--sigmaw", "1"], "unknown option --sigmaw; did you mean --sigma-w?"),
    (["--depth", "10"], "no width given"),
    (["--progress"], "option --progress needs a value"),
    (["--blas-threads", "0", *QUICK], "--blas-threads: expected a whole number from 1 to 1024"),
    (["--width", "0", "--depth", "3", "--sigma-w", "1", "--activation", "relu"],
     "--width: 0 is out of range"),
    (["--activation", "relux", "--depth", "3", "--width", "4", "--sigma-w", "1"], "relux"),
    (["a.yaml", "b.yaml"], "more than one sweep file"),
    (["missing.yaml"], 'cannot read sweep file "missing.yaml"'),
    (["export", "--depth", "3"], "export: --config I is required"),
])
def test_usage_errors(gradsweep, tmp_path, args, message):
    out = gradsweep(args, cwd=tmp_path)
    assert out.returncode == EXIT_USAGE, out
    lines = out.stderr.splitlines()
    assert lines[0].startswith("gradsweep: ") and message in lines[0], out.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_sweep_file_error_names_file_line_and_value(gradsweep, tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "grid:\n  depth: [10]\n  width: [8]\n  sigma_w: [1.0, abc]\n  activation: [relu]\n")
    out = gradsweep(["bad.yaml", "-o", "out.h5"], cwd=tmp_path)
    assert out.returncode == EXIT_USAGE
    assert out.stderr.splitlines()[0] == (
        'gradsweep: bad.yaml:4: sigma_w: expected a number or he/lecun/xavier/torch_default/keras_default, got "abc"')
    assert not (tmp_path / "out.h5").exists()


def test_results_file_given_as_sweep_file(gradsweep, tmp_path):
    assert gradsweep([*QUICK, "-o", "r.h5"], cwd=tmp_path).returncode == 0
    out = gradsweep(["r.h5", "-o", "s.h5"], cwd=tmp_path)
    assert out.returncode == EXIT_USAGE and "r.h5 is an HDF5 file" in out.stderr


def test_existing_output_is_never_overwritten_without_force(gradsweep, tmp_path):
    assert gradsweep([*QUICK, "-o", "r.h5"], cwd=tmp_path).returncode == 0
    before = digest(tmp_path / "r.h5")
    out = gradsweep([*QUICK, "--seed", "1", "-o", "r.h5"], cwd=tmp_path)
    assert out.returncode == EXIT_OUTPUT
    assert 'output file "r.h5" exists; pass --force' in out.stderr
    assert digest(tmp_path / "r.h5") == before
    forced = gradsweep([*QUICK, "--seed", "1", "-o", "r.h5", "--force"], cwd=tmp_path)
    assert forced.returncode == 0
    with h5py.File(tmp_path / "r.h5", "r") as f:
        assert set(f["seed"][:]) == {1}


def test_force_never_replaces_the_sweep_file(gradsweep, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("grid: {depth: [3], width: [4], sigma_w: [1.0], activation: [relu]}\n")
    before = sweep.read_text()
    out = gradsweep(["sweep.yaml", "-o", "sweep.yaml", "--force"], cwd=tmp_path)
    assert out.returncode == EXIT_OUTPUT and "not an HDF5 file" in out.stderr
    assert sweep.read_text() == before


def test_unwritable_output_directory(gradsweep, tmp_path):
    out = gradsweep([*QUICK, "-o", "no/such/dir/r.h5"], cwd=tmp_path)
    assert out.returncode == EXIT_OUTPUT and "no/such/dir" in out.stderr


def test_default_output_is_named_after_the_sweep(gradsweep, tmp_path):
    (tmp_path / "lecture.yaml").write_text(
        "grid: {depth: [3], width: [4], sigma_w: [1.0], activation: [relu]}\n")
    out = gradsweep(["lecture.yaml"], cwd=tmp_path)
    assert out.returncode == 0, out
    assert (tmp_path / "lecture.h5").exists() and "lecture.h5" in out.stderr


def test_dry_run_computes_nothing(gradsweep, tmp_path):
    out = gradsweep([*QUICK, "--init", "gaussian,orthogonal", "-o", "r.h5", "--dry-run"],
                    cwd=tmp_path)
    assert out.returncode == 0, out
    text = out.stdout
    assert "configurations: 24 =" in text and "sigma_w 3" in text
    assert "largest:" in text and "depth 5, width 8, batch 4" in text
    assert "memory per rank:" in text and "GFLOP" in text and "output: r.h5" in text
    assert not (tmp_path / "r.h5").exists()


def test_progress_in_a_log_file_has_no_terminal_tricks(gradsweep, tmp_path):
    out = gradsweep([*QUICK, "-o", "r.h5", "--progress", "0.001"], ranks=2, cwd=tmp_path)
    assert out.returncode == 0, out
    assert "\r" not in out.stderr and "\x1b" not in out.stderr
    lines = out.stderr.splitlines()
    assert lines[0] == ('gradsweep: sweep "sweep": 12 of 12 configurations to compute on 2 ranks '
                        '-> r.h5')
    assert any(line.startswith("gradsweep: 12/12 configs (100.0% of the work)") for line in lines)
    assert lines[-1].startswith("gradsweep: r.h5: 12 configurations: 12 done, 0 nonfinite, "
                                "0 failed, 0 underflow, 0 pending; this run computed 12 in ")


def test_blas_threads_recorded(gradsweep, tmp_path):
    assert gradsweep([*QUICK, "-o", "one.h5"], cwd=tmp_path).returncode == 0
    assert gradsweep([*QUICK, "-o", "two.h5", "--blas-threads", "2"], cwd=tmp_path).returncode == 0
    with h5py.File(tmp_path / "one.h5", "r") as one, h5py.File(tmp_path / "two.h5", "r") as two:
        assert one.attrs["blas_threads"] == 1 and two.attrs["blas_threads"] == 2


def test_export_writes_the_network(gradsweep, tmp_path):
    out = gradsweep(["export", *QUICK, "--config", "3", "-o", "net.h5"], cwd=tmp_path)
    assert out.returncode == 0, out
    with h5py.File(tmp_path / "net.h5", "r") as f:
        depth, width, batch = f.attrs["depth"], f.attrs["width"], f.attrs["batch"]
        assert f["unit_weights"].shape == (depth, width, width)
        assert f["x"].shape == (batch, width) and f["r"].shape == (batch, width)
        assert f["grad_w"].shape == (depth, width, width) and f["delta"].shape == (depth, batch, width)
    beyond = gradsweep(["export", *QUICK, "--config", "12", "-o", "x.h5"], cwd=tmp_path)
    assert beyond.returncode == EXIT_USAGE and "configurations 0 to 11" in beyond.stderr


def simulate_rows(stdout):
    """ranks, rank 0's role, efficiency, msgs/config of each row of the table."""
    rows = []
    for line in stdout.splitlines():
        fields = line.split()
        if fields and fields[0].isdigit():
            rows.append((int(fields[0]), fields[1], float(fields[-4]), float(fields[-1])))
    return rows


def test_simulate_replays_measured_times(gradsweep, tmp_path):
    out = gradsweep([*QUICK, "-o", "q.h5", "--progress", "0"], cwd=tmp_path)
    assert out.returncode == 0, out
    sim = gradsweep(["simulate", *QUICK, "--times", "q.h5", "--ranks", "1,4"], cwd=tmp_path)
    assert sim.returncode == 0, sim
    assert "12 configurations" in sim.stdout and "elapsed_s of the results file" in sim.stdout
    rows = simulate_rows(sim.stdout)
    assert [(r[0], r[1]) for r in rows] == [(1, "computes"), (4, "computes"), (4, "dedicated")]
    one, four = rows[0], rows[1]
    assert one[2] == 1.0 and one[3] == 0.0  # one rank: all its own work, no messages
    assert 0 < four[2] <= 1.0 and four[3] > 0
    # a results file of another sweep is refused, naming both sizes
    other = gradsweep(["simulate", "--depth", "3", "--width", "8", "--sigma-w", "1",
                       "--activation", "relu", "--times", "q.h5"], cwd=tmp_path)
    assert other.returncode == EXIT_USAGE
    assert "holds 12 configurations, this sweep has 1" in other.stderr
