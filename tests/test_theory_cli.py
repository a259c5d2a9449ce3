# SPDX-License-Identifier: MIT
"""`gradsweep theory` as a user meets it: a readable table and CSV of the
edge of chaos, help that teaches it, one-line errors with exit code 2."""
import csv
import io
import math

import pytest

EXIT_USAGE = 2


def rows(out):
    return list(csv.DictReader(io.StringIO(out.stdout)))


def test_table_lists_every_activation(gradsweep):
    out = gradsweep(["theory"])
    assert out.returncode == 0 and out.stderr == "", out
    lines = out.stdout.splitlines()
    assert lines[0].startswith("# Edge of chaos (chi1 = 1)")
    header = lines[2].split()
    assert header[:3] == ["activation", "sigma_b", "sigma_w_crit"] and "stable" in header
    names = [line.split()[0] for line in lines[3:]]
    assert names == ["linear", "relu", "leaky_relu", "tanh", "sigmoid", "selu", "gelu", "silu",
                     "elu", "softplus", "erf"]


def test_csv_critical_points(gradsweep):
    out = gradsweep(["theory", "--csv", "--activation", "relu,linear,tanh,silu,gelu",
                     "--sigma-b", "0,0.2"])
    assert out.returncode == 0, out
    table = {(r["activation"], float(r["sigma_b"])): r for r in rows(out)}
    assert math.isclose(float(table["relu", 0]["sigma_w"]), math.sqrt(2), rel_tol=1e-5)
    assert math.isclose(float(table["linear", 0]["sigma_w"]), 1, rel_tol=1e-5)
    assert float(table["tanh", 0]["sigma_w"]) == 1 and table["tanh", 0]["stable"] == "marginal"
    assert table["tanh", 0.2]["stable"] == "yes" and table["tanh", 0.2]["xi_c"] == "inf"
    for name in ("silu", "gelu"):  # their critical fixed point repels
        assert table[name, 0.2]["stable"] == "no" and table[name, 0.2]["phase"] == "critical"
    assert all(abs(float(r["chi1"]) - 1) < 1e-6 for r in table.values())


def test_at_given_scales(gradsweep):
    out = gradsweep(["theory", "--csv", "--activation", "tanh", "--sigma-b", "0.2",
                     "--sigma-w", "0.8:2.0:3"])
    assert out.returncode == 0, out
    r = rows(out)
    assert [float(x["sigma_w"]) for x in r] == [0.8, 1.4, 2.0]  # critical: 1.304
    assert [x["phase"] for x in r] == ["ordered", "chaotic", "chaotic"]
    for x in r:
        assert math.isclose(float(x["trainable_depth"]), 6 * float(x["xi_c"]), rel_tol=1e-5)


def test_help_teaches_it(gradsweep):
    out = gradsweep(["theory", "--help"])
    assert out.returncode == 0
    for word in ("chi1", "edge of chaos", "--sigma-w", "--csv", "6 xi_c", "stable",
                 "Schoenholz"):
        assert word in out.stdout, word
    assert "gradsweep theory" in gradsweep(["--help"]).stdout


@pytest.mark.parametrize("args, message", [
    (["theory", "--depth", "3"], "theory: --depth does not apply"),
    (["theory", "-o", "x.h5"], "theory: --output does not apply"),
    (["theory", "sweep.yaml"], "theory: takes no sweep file"),
    (["theory", "--activation", "tanhh"], 'unknown activation "tanhh"; did you mean tanh?'),
    (["theory", "--sigma-w", "-1"], "--sigma-w: -1 is out of range"),
    (["theory", "--sigma-b", "0,0"], "appears twice"),
    (["theory", "--leaky-relu-slope", "1.5"], "--leaky-relu-slope: must be at least 0"),
    (["--csv", "--depth", "3"], "--csv applies to gradsweep theory only"),
])
def test_errors_are_one_line(gradsweep, tmp_path, args, message):
    out = gradsweep(args, cwd=tmp_path)
    assert out.returncode == EXIT_USAGE, out
    first = out.stderr.splitlines()[0]
    assert first.startswith("gradsweep: ") and message in first, out.stderr
    assert out.stdout == "" and list(tmp_path.iterdir()) == []
