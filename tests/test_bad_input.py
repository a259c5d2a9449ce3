# SPDX-License-Identifier: MIT
"""Bad input, end to end: every class of docs/bad-input.md tried against the
real binary (some under mpirun with two ranks). Each refusal must give

- the documented exit code;
- one line on stderr from gradsweep (mpirun's own banner aside) naming the
  file, the line and the value where there is one; for exit 2 it is followed
  only by the fixed hint "gradsweep: nothing was computed; see gradsweep --help";
- nothing on stdout, and the folder exactly as it was: every file that was
  there unchanged (SHA-256 before and after) and no new file or folder.

Some classes need root (a read-only mount, a small tmpfs): without it they
are skipped, saying so; as root (CI) a mount that fails is a test failure.
"""
import contextlib
import hashlib
import os
import re
import signal
import subprocess

import h5py
import numpy as np
import pytest

from conftest import GRADSWEEP, run_gradsweep

EXIT_USAGE, EXIT_OUTPUT, EXIT_RESOURCES = 2, 3, 6
HINT = "gradsweep: nothing was computed; see gradsweep --help"

# A valid sweep that computes in milliseconds: 2 configurations.
SWEEP = ("name: tiny\n"                      # 1
         "grid:\n"                           # 2
         "  depth: [3]\n"                    # 3
         "  width: [4]\n"                    # 4
         "  sigma_w: [0.5, 1.0]\n"           # 5
         "  activation: [relu]\n"            # 6
         "  batch: [2]\n")                   # 7
QUICK = ["--depth", "3", "--width", "4", "--sigma-w", "0.5,1.0", "--activation", "relu",
         "--batch", "2"]


# ---- helpers -------------------------------------------------------------------------


def snapshot(root):
    """Every file and folder under root: path -> SHA-256 (files) or "dir"."""
    state = {}
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            state[os.path.relpath(os.path.join(folder, d), root) + "/"] = "dir"
        for f in files:
            path = os.path.join(folder, f)
            with open(path, "rb") as handle:
                state[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return state


def error_line(out, code):
    """The one line gradsweep printed about the error (without "gradsweep: ")."""
    lines = [line for line in out.stderr.splitlines() if line.startswith("gradsweep: ")]
    if code == EXIT_USAGE:
        assert lines and lines[-1] == HINT, out
        lines = lines[:-1]
    assert len(lines) == 1, f"expected one line from gradsweep:\n{out}"
    return lines[0][len("gradsweep: "):]


def refused(gradsweep, cwd, args, code, *fragments, ranks=None):
    """Runs gradsweep in cwd and checks a refusal: the exit code, one line
    holding every fragment, nothing on stdout, and everything under cwd (mounts
    included) as it was. Returns the message."""
    before = snapshot(cwd)
    out = gradsweep(args, cwd=cwd, ranks=ranks)
    assert out.returncode == code, out
    message = error_line(out, code)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert out.stdout == "", out
    after = snapshot(cwd)
    assert after == before, f"files changed:\nbefore {before}\nafter  {after}"
    return message


def write(path, text):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    """The bytes of a finished results file of QUICK (made once: a run costs
    seconds under AddressSanitizer)."""
    folder = tmp_path_factory.mktemp("quick")
    out = run_gradsweep([*QUICK, "-o", "r.h5", "--progress", "0"], cwd=folder)
    assert out.returncode == 0, out
    return (folder / "r.h5").read_bytes()


def results_file(quick_results, folder, name="done.h5"):
    """A finished results file of QUICK at folder/name."""
    return write(folder / name, quick_results)


@contextlib.contextmanager
def mounted_tmpfs(path, options):
    """A tmpfs on path (root only), unmounted on the way out."""
    path.mkdir(exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                           capture_output=True, text=True)
    if mount.returncode != 0:
        if os.geteuid() == 0:  # as in CI: the capability is there, so this is a failure
            pytest.fail(f"mount -t tmpfs -o {options} failed as root: {mount.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mount.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder):
    """Writes a file into folder until the file system is full; returns free bytes."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 16, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


# ---- the sweep file: its text ---------------------------------------------------------

# (class, sweep file text, fragments of the message). Each is one class of
# docs/bad-input.md; the line numbers in the fragments are the point.
SWEEP_TEXT_CLASSES = [
    ("malformed-yaml", "name: t\ngrid:\n  depth: [1, 2\n  width: 4\n",
     ["bad.yaml:4:8: malformed YAML: did not find expected ',' or ']'",
      "while parsing a flow sequence on line 3"]),
    ("tab-indentation", "name: t\ngrid:\n\tdepth: 3\n",
     ["bad.yaml:3:1: malformed YAML", "line 3 is indented with a tab: indent with spaces"]),
    ("not-a-mapping", "- depth\n- width\n",
     ["bad.yaml:1: expected a mapping of settings", "got a list"]),
    ("empty-file", "", ["bad.yaml: the sweep file is empty"]),
    ("only-comments", "# a sweep, one day\n\n", ["bad.yaml: the sweep file is empty"]),
    ("two-documents", SWEEP + "---\nname: other\n",
     ["bad.yaml:8: a second YAML document starts here"]),
    ("unknown-key", SWEEP.replace("name: tiny", "nmae: tiny"),
     ["bad.yaml:1: nmae: unknown key; did you mean name?"]),
    ("unknown-axis", SWEEP.replace("  width:", "  widht:"),
     ["bad.yaml:4: widht: unknown axis; did you mean width?"]),
    ("axis-outside-grid", "depth: [3]\n" + SWEEP.replace("  depth: [3]\n", ""),
     ["bad.yaml:1: depth: is an axis; put it under grid:"]),
    ("setting-inside-grid", SWEEP + "  precision: float64\n",
     ["bad.yaml:8: precision: is a setting, not an axis"]),
    ("key-twice", SWEEP + "name: again\n",
     ["bad.yaml:8: name: given twice (first on line 1)"]),
    ("wrong-type-text-for-integer", SWEEP.replace("[3]", "three"),
     ["bad.yaml:3: depth: expected an integer, got \"three\""]),
    ("wrong-type-quoted-number", SWEEP.replace("[0.5, 1.0]", '[0.5, "1.0"]'),
     ["bad.yaml:5: sigma_w:", "got the string \"1.0\"; write numbers without quotes"]),
    ("wrong-type-list-for-grid", "grid: [depth, width]\n",
     ["bad.yaml:1: grid: expected a mapping of axes", "got a list"]),
    ("not-whole-number", SWEEP.replace("[3]", "[2.5]"),
     ["bad.yaml:3: depth: expected an integer, got 2.5"]),
    ("empty-axis", SWEEP.replace("[3]", "[]"),
     ["bad.yaml:3: depth: the list is empty"]),
    ("axis-without-value", SWEEP.replace(" [3]", ""),
     ["bad.yaml:3: depth: no values given"]),
    ("negative-value", SWEEP.replace("[0.5, 1.0]", "[0.5, -1.0]"),
     ["bad.yaml:5: sigma_w: -1 is out of range; sigma_w must be greater than 0"]),
    ("depth-zero", SWEEP.replace("[3]", "[0, 3]"),
     ["bad.yaml:3: depth: 0 is out of range; depth must be between 1 and 100000"]),
    ("width-zero", SWEEP.replace("[4]", "[0]"),
     ["bad.yaml:4: width: 0 is out of range; width must be between 1 and 1048576"]),
    ("too-large", SWEEP.replace("[3]", "[100001]"),
     ["bad.yaml:3: depth: 100001 is out of range"]),
    ("not-finite", SWEEP.replace("[0.5, 1.0]", "[0.5, .nan]"),
     ["bad.yaml:5: sigma_w: nan is not a finite number"]),
    ("unknown-activation", SWEEP.replace("[relu]", "[relu, rleu]"),
     ["bad.yaml:6: activation: unknown activation \"rleu\"; did you mean relu?"]),
    ("unknown-init", SWEEP + "  init: [gaussian, xavier]\n",
     ["bad.yaml:8: init: unknown init \"xavier\"; choose from gaussian, uniform, orthogonal, truncated_normal, torch_trunc_normal"]),
    ("duplicate-value", SWEEP.replace("[3]", "[3, 5, 3]"),
     ["bad.yaml:3: depth: the value 3 appears twice; each value must be unique"]),
    ("duplicate-by-name", SWEEP.replace("[0.5, 1.0]", "[1.0, lecun]"),
     ["bad.yaml:5: sigma_w: the value 1 appears twice (lecun = 1)"]),
    ("unknown-generator", SWEEP.replace("[0.5, 1.0]", "{linspce: [0.5, 2, 4]}"),
     ["bad.yaml:5: sigma_w: unknown generator \"linspce\"; did you mean linspace?"]),
    ("empty-range", SWEEP + "  seed: {range: [5, 5]}\n",
     ["bad.yaml:8: seed: range [5, 5, 1] is empty (stop is excluded)"]),
    ("generator-arguments", SWEEP.replace("[0.5, 1.0]", "{linspace: [0.5, 2]}"),
     ["bad.yaml:5: sigma_w: linspace: expected [start, stop, number of points], got 2 values"]),
    ("missing-axis", SWEEP.replace("  sigma_w: [0.5, 1.0]\n", ""),
     ["bad.yaml: no sigma_w given: add \"sigma_w:", "or pass --sigma-w"]),
    ("unknown-setting-value", "precision: float16\n" + SWEEP,
     ["bad.yaml:1: precision: unknown precision \"float16\"; did you mean float32?"]),
    ("setting-out-of-range", "leaky_relu_slope: 1\n" + SWEEP,
     ["bad.yaml:1: leaky_relu_slope: must be at least 0 and below 1, got 1"]),
    ("negative-base-seed", "base_seed: -1\n" + SWEEP.replace("name: tiny\n", ""),
     ["bad.yaml:1: base_seed: must be non-negative, got -1"]),
    ("control-character", SWEEP.replace("name: tiny", 'name: "a\\tb"'),
     ["bad.yaml:1: name: \"a\\x09b\" is not one line of printable UTF-8 text"]),
    ("generator-not-whole", SWEEP.replace("[4]", "{geomspace: [16, 1000, 3]}"),
     ["bad.yaml:4: width: geomspace produces 126.49110640673521, which is not an integer"]),
    ("nested-too-deep", "grid: " + "[" * 40 + "]" * 40 + "\n",
     ["bad.yaml:1: nested more than 32 levels deep; a sweep file needs 4"]),
    ("huge-grid",
     "grid:\n  depth: {range: [1, 1001]}\n  width: {range: [1, 1001]}\n"
     "  sigma_w: {linspace: [0.1, 2, 1000]}\n  seed: {range: 2000}\n  activation: relu\n",
     ["the grid has more than 1099511627776 configurations; split the sweep"]),
]


@pytest.mark.parametrize("text, fragments",
                         [pytest.param(text, fragments, id=name)
                          for name, text, fragments in SWEEP_TEXT_CLASSES])
def test_sweep_file_text(gradsweep, tmp_path, text, fragments):
    write(tmp_path / "bad.yaml", text)
    refused(gradsweep, tmp_path, ["bad.yaml", "-o", "out.h5"], EXIT_USAGE, *fragments)


def test_bad_sweep_file_under_mpirun_is_reported_once(gradsweep, tmp_path):
    write(tmp_path / "bad.yaml", SWEEP.replace("[relu]", "[relu, swish]"))
    refused(gradsweep, tmp_path, ["bad.yaml", "-o", "out.h5"], EXIT_USAGE,
            "bad.yaml:6: activation: unknown activation \"swish\"", ranks=2)


def test_binary_garbage(gradsweep, tmp_path):
    garbage = bytes(np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8))
    write(tmp_path / "noise.yaml", b"name: x\n" + garbage)
    message = refused(gradsweep, tmp_path, ["noise.yaml", "-o", "out.h5"], EXIT_USAGE,
                      "noise.yaml:")
    assert re.search(r"noise\.yaml:\d+:\d+: malformed YAML: .*\(byte 0x[0-9A-F]{2}\); a sweep "
                     r"file must be UTF-8 text", message), message


def test_nul_byte(gradsweep, tmp_path):
    write(tmp_path / "nul.yaml", SWEEP.encode().replace(b"tiny", b"ti\0ny"))
    refused(gradsweep, tmp_path, ["nul.yaml", "-o", "out.h5"], EXIT_USAGE,
            "nul.yaml:1:9: malformed YAML: control characters are not allowed (U+0000)")


# ---- the sweep file: what the path points at -------------------------------------------


def test_sweep_file_missing(gradsweep, tmp_path):
    refused(gradsweep, tmp_path, ["nosuch.yaml", "-o", "out.h5"], EXIT_USAGE,
            'cannot read sweep file "nosuch.yaml": No such file or directory')


def test_sweep_file_is_a_directory(gradsweep, tmp_path):
    (tmp_path / "sweeps").mkdir()
    refused(gradsweep, tmp_path, ["sweeps", "-o", "out.h5"], EXIT_USAGE,
            'cannot read sweep file "sweeps": Is a directory')


def test_results_file_given_as_sweep_file(gradsweep, tmp_path, quick_results):
    results_file(quick_results, tmp_path, "r.h5")
    refused(gradsweep, tmp_path, ["r.h5", "-o", "s.h5"], EXIT_USAGE,
            "r.h5 is an HDF5 file (a results file?), not a YAML sweep file")


def test_sweep_file_too_large(gradsweep, tmp_path):
    with open(tmp_path / "log.yaml", "w") as f:
        f.write(SWEEP)
        line = "# " + "x" * 1021 + "\n"
        for _ in range(17 * 1024):
            f.write(line)
    refused(gradsweep, tmp_path, ["log.yaml", "-o", "out.h5"], EXIT_USAGE,
            'sweep file "log.yaml" is larger than 16 MiB')


# ---- the command line -------------------------------------------------------------------


@pytest.mark.parametrize("args, fragments", [
    pytest.param(["tiny.yaml", "--sigmaw", "1"],
                 ["unknown option --sigmaw; did you mean --sigma-w?"], id="unknown-option"),
    pytest.param(["tiny.yaml", "-o"], ["option -o needs a value"], id="option-without-value"),
    pytest.param(["tiny.yaml", "--depth"], ["option --depth needs a value"],
                 id="axis-option-without-value"),
    pytest.param(["tiny.yaml", "--blas-threads", "0"],
                 ['--blas-threads: expected a whole number from 1 to 1024, got "0"'],
                 id="bad-number-blas-threads"),
    pytest.param(["tiny.yaml", "--progress", "-1"],
                 ['--progress: expected seconds from 0 to 86400, got "-1"'],
                 id="bad-number-progress"),
    pytest.param(["tiny.yaml", "--width", "0"],
                 ["--width: 0 is out of range; width must be between 1 and 1048576"],
                 id="cli-axis-out-of-range"),
    pytest.param(["tiny.yaml", "--depth", "10,,50"], ['--depth: empty value in "10,,50"'],
                 id="cli-axis-empty-item"),
    pytest.param(["tiny.yaml", "--sigma-w", "2:1"],
                 ['--sigma-w: expected start:stop:count (e.g. 0.5:2.0:16), got "2:1"'],
                 id="cli-generator"),
    pytest.param(["tiny.yaml", "--precision", "half"],
                 ['--precision: unknown precision "half"'], id="cli-setting"),
    pytest.param(["tiny.yaml", "other.yaml"], ["more than one sweep file given"],
                 id="two-sweep-files"),
    pytest.param(["--depth", "3", "--width", "4"],
                 ["no sigma_w given", "pass --sigma-w"], id="options-missing-an-axis"),
    pytest.param(["theory", "tiny.yaml"], ["theory: takes no sweep file"],
                 id="subcommand-misuse"),
    pytest.param(["export", "tiny.yaml", "-o", "net.h5"], ["export: --config I is required"],
                 id="subcommand-missing-option"),
])
def test_command_line(gradsweep, tmp_path, args, fragments):
    write(tmp_path / "tiny.yaml", SWEEP)
    refused(gradsweep, tmp_path, args, EXIT_USAGE, *fragments)


def test_no_arguments(gradsweep, tmp_path):
    out = gradsweep([], cwd=tmp_path)
    assert out.returncode == EXIT_USAGE and "usage: gradsweep SWEEP.yaml" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_option_under_mpirun_is_reported_once(gradsweep, tmp_path):
    write(tmp_path / "tiny.yaml", SWEEP)
    refused(gradsweep, tmp_path, ["tiny.yaml", "--blas-threads", "many"], EXIT_USAGE,
            '--blas-threads: expected a whole number from 1 to 1024, got "many"', ranks=2)


@pytest.mark.parametrize("args, fragments", [
    pytest.param(["--resume", "--force"], ["--resume and --force contradict each other"],
                 id="resume-with-force"),
    pytest.param(["--retry-failed"], ["--retry-failed goes with --resume"],
                 id="retry-failed-without-resume"),
    pytest.param(["--grace", "-1"], ['--grace: expected seconds'], id="bad-number-grace"),
])
def test_resume_options(gradsweep, tmp_path, quick_results, args, fragments):
    results_file(quick_results, tmp_path, "r.h5")
    refused(gradsweep, tmp_path, [*QUICK, "-o", "r.h5", *args], EXIT_USAGE, *fragments)


def test_bad_size(gradsweep, tmp_path):
    write(tmp_path / "tiny.yaml", SWEEP)
    refused(gradsweep, tmp_path, ["tiny.yaml", "--max-memory", "lots"], EXIT_USAGE,
            '--max-memory: expected a size of at least 1M, like 512M, 8G or 1.5T, got "lots"')


# ---- the output file --------------------------------------------------------------------


def test_output_exists(gradsweep, tmp_path, quick_results):
    results_file(quick_results, tmp_path, "r.h5")
    refused(gradsweep, tmp_path, [*QUICK, "--seed", "1", "-o", "r.h5"], EXIT_OUTPUT,
            'output file "r.h5" exists; pass --force to replace it or choose another -o')


def test_output_exists_under_mpirun(gradsweep, tmp_path, quick_results):
    results_file(quick_results, tmp_path, "r.h5")
    refused(gradsweep, tmp_path, [*QUICK, "-o", "r.h5"], EXIT_OUTPUT,
            'output file "r.h5" exists', ranks=2)


def test_output_is_the_sweep_file_even_with_force(gradsweep, tmp_path):
    write(tmp_path / "tiny.yaml", SWEEP)
    refused(gradsweep, tmp_path, ["tiny.yaml", "-o", "tiny.yaml", "--force"], EXIT_OUTPUT,
            'output file "tiny.yaml" exists and is not an HDF5 file; refusing to replace it '
            "even with --force")


def test_output_is_a_directory(gradsweep, tmp_path):
    (tmp_path / "results").mkdir()
    refused(gradsweep, tmp_path, [*QUICK, "-o", "results"], EXIT_OUTPUT,
            'output "results" is a directory')


def test_output_directory_missing(gradsweep, tmp_path):
    refused(gradsweep, tmp_path, [*QUICK, "-o", "no/such/dir/r.h5"], EXIT_OUTPUT,
            'cannot create "no/such/dir/r.h5": directory "no/such/dir": No such file or directory')


def test_output_under_a_regular_file(gradsweep, tmp_path):
    write(tmp_path / "notes.txt", "not a folder\n")
    refused(gradsweep, tmp_path, [*QUICK, "-o", "notes.txt/r.h5"], EXIT_OUTPUT,
            'cannot create "notes.txt/r.h5": "notes.txt" is not a directory')


def test_output_name_empty(gradsweep, tmp_path):
    refused(gradsweep, tmp_path, [*QUICK, "-o", ""], EXIT_OUTPUT,
            "the output file name is empty")


# Root ignores permission bits, so "not writable" is made real the way a user
# meets it on a cluster: a read-only file system (here a read-only tmpfs).
@pytest.mark.parametrize("ranks", [None, 2], ids=["1-process", "mpirun-2"])
def test_output_directory_not_writable(gradsweep, tmp_path, ranks):
    with mounted_tmpfs(tmp_path / "ro", "size=1m,ro") as ro:
        refused(gradsweep, tmp_path, [*QUICK, "-o", "ro/r.h5"], EXIT_OUTPUT,
                'cannot create "ro/r.h5": directory "ro": Read-only file system', ranks=ranks)
        assert list(ro.iterdir()) == []


def test_disk_too_small_at_the_start(gradsweep, tmp_path):
    with mounted_tmpfs(tmp_path / "small", "size=300k") as small:
        message = refused(gradsweep, tmp_path, [*QUICK, "-o", "small/r.h5"], EXIT_OUTPUT,
                          'cannot create "small/r.h5": it needs')
        assert re.search(r'it needs [\d.]+ [KM]iB and directory "small" has [\d.]+ KiB free',
                         message), message
        assert list(small.iterdir()) == []


def test_disk_fills_during_the_sweep(tmp_path):
    """Every byte of the results file is allocated when it is created, so a disk
    that fills up while the sweep runs costs nothing: the sweep goes on writing
    into its own space and finishes. The sweep is stopped (SIGSTOP) right after
    it created the file, the disk is filled to the last byte, and it goes on."""
    args = [GRADSWEEP, "--depth", "40", "--width", "256", "--batch", "256", "--sigma-w",
            "0.5:1.5:40", "--activation", "relu", "-o", "disk/r.h5", "--progress", "0"]
    with mounted_tmpfs(tmp_path / "disk", "size=3m") as disk:
        sweep = subprocess.Popen(args, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
        try:
            first = sweep.stderr.readline()
            sweep.send_signal(signal.SIGSTOP)
            assert "40 of 40 configurations to compute on 1 rank -> disk/r.h5" in first, first
            assert sweep.poll() is None, "the sweep ended before the disk could be filled"
            with h5py.File(disk / "r.h5", "r") as f:
                done_before = int(np.count_nonzero(f["status"][:] == 1))
            assert fill(disk) == 0
            sweep.send_signal(signal.SIGCONT)
            rest = sweep.stderr.read()
            sweep.wait(timeout=600)
        finally:
            if sweep.poll() is None:
                sweep.send_signal(signal.SIGCONT)
                sweep.kill()
                sweep.wait()
        assert sweep.returncode == 0, first + rest
        assert done_before < 40  # so some rows were written into a full disk
        with h5py.File(disk / "r.h5", "r") as f:
            assert list(f["status"][:]) == [1] * 40
            assert np.isfinite(f["q"][:, :40]).all()
            assert f.attrs["configs_done"] == 40


def test_disk_full_when_resuming(gradsweep, tmp_path, quick_results):
    """--resume rewrites the run's attributes (command line, ranks, ...): on a
    full disk that cannot work, and must fail cleanly, leaving every row."""
    with mounted_tmpfs(tmp_path / "disk", "size=2m") as disk:
        results_file(quick_results, disk, "r.h5")
        with h5py.File(disk / "r.h5", "r") as f:
            q_before = f["q"][:]
        assert fill(disk) == 0
        out = gradsweep([*QUICK, "-o", "disk/r.h5", "--resume", "--progress", "0"], cwd=tmp_path)
        assert out.returncode == EXIT_OUTPUT, out
        message = error_line(out, EXIT_OUTPUT)
        for fragment in ['"disk/r.h5" has 0 B free', "free some space", "untouched"]:
            assert fragment in message, message
        with h5py.File(disk / "r.h5", "r") as f:
            assert list(f["status"][:]) == [1, 1]
            np.testing.assert_array_equal(f["q"][:], q_before)


def test_resume_on_a_read_only_file_system(gradsweep, tmp_path, quick_results):
    with mounted_tmpfs(tmp_path / "ro", "size=1m") as ro:
        results_file(quick_results, ro, "r.h5")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        refused(gradsweep, tmp_path, [*QUICK, "-o", "ro/r.h5", "--resume"], EXIT_OUTPUT,
                '"ro/r.h5" cannot be written (Read-only file system)', "writable")


# ---- --resume on the wrong file -----------------------------------------------------------


def test_resume_missing_file(gradsweep, tmp_path):
    refused(gradsweep, tmp_path, [*QUICK, "-o", "gone.h5", "--resume"], EXIT_OUTPUT,
            '"gone.h5" does not exist')


def test_resume_a_file_that_is_not_ours(gradsweep, tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.arange(10)
        f.attrs["title"] = "someone else's data"
    refused(gradsweep, tmp_path, [*QUICK, "-o", "other.h5", "--resume"], EXIT_OUTPUT,
            '"other.h5" is not a gradsweep results file')


def test_resume_another_schema(gradsweep, tmp_path, quick_results):
    path = results_file(quick_results, tmp_path, "r.h5")
    with h5py.File(path, "a") as f:
        f.attrs["schema"] = "gradsweep/2"
    refused(gradsweep, tmp_path, [*QUICK, "-o", "r.h5", "--resume"], EXIT_OUTPUT,
            '"r.h5" has schema gradsweep/2; this gradsweep continues gradsweep/1 files only')


def test_resume_a_truncated_file(gradsweep, tmp_path, quick_results):
    write(tmp_path / "cut.h5", quick_results[: len(quick_results) // 2])
    refused(gradsweep, tmp_path, [*QUICK, "-o", "cut.h5", "--resume"], EXIT_OUTPUT,
            '"cut.h5"', "truncated or damaged")


def test_resume_a_file_that_is_not_hdf5(gradsweep, tmp_path):
    write(tmp_path / "tiny.yaml", SWEEP)
    refused(gradsweep, tmp_path, ["tiny.yaml", "-o", "tiny.yaml", "--resume"], EXIT_OUTPUT,
            '"tiny.yaml" is not an HDF5 file')


@pytest.mark.parametrize("change, fragments", [
    pytest.param(["--seed", "1"], ['the file has "  seed: [0]", this run "  seed: [1]"'],
                 id="other-seed"),
    pytest.param(["--precision", "float64"],
                 ['the file has "precision: float32", this run "precision: float64"'],
                 id="other-precision"),
    pytest.param(["--depth", "3,4"], ["depth: [3"], id="other-grid"),
])
@pytest.mark.parametrize("ranks", [None, 2], ids=["1-process", "mpirun-2"])
def test_resume_a_different_sweep(gradsweep, tmp_path, quick_results, change, fragments, ranks):
    results_file(quick_results, tmp_path, "r.h5")
    message = refused(gradsweep, tmp_path, [*QUICK, *change, "-o", "r.h5", "--resume"],
                      EXIT_OUTPUT, '"r.h5" holds a different sweep', *fragments, ranks=ranks)
    assert re.search(r"line \d+ of the sweep", message), message


# ---- memory -------------------------------------------------------------------------------


def needed_bytes(message):
    number, unit = re.search(r"needs ([\d.]+) ([KMGTP]?i?B)", message).groups()
    return float(number) * 1024 ** ["B", "KiB", "MiB", "GiB", "TiB", "PiB"].index(unit)


@pytest.mark.parametrize("ranks", [None, 2], ids=["1-process", "mpirun-2"])
def test_sweep_too_large_for_max_memory(gradsweep, tmp_path, ranks):
    args = ["--depth", "10,50", "--width", "2048", "--batch", "1024", "--sigma-w", "1",
            "--activation", "relu", "-o", "r.h5", "--max-memory", "16M"]
    # the largest need is named (depth 50, not the first misfit, depth 10): raising
    # the limit to that figure makes the whole sweep fit
    message = refused(gradsweep, tmp_path, args, EXIT_RESOURCES,
                      "2 of the sweep's 2 network shapes do not fit",
                      "depth 50, width 2048, batch 1024", "per rank", ranks=ranks)
    need = needed_bytes(message)
    assert need > 16 * 2**20, message
    fits = gradsweep([*args[:-1], f"{int(need // 2**20) + 1}M", "--dry-run"], cwd=tmp_path)
    assert fits.returncode == 0, fits
    # --dry-run says beforehand what the run would refuse, with the same exit code
    dry = gradsweep([*args, "--dry-run"], cwd=tmp_path)
    assert dry.returncode == EXIT_RESOURCES, dry
    assert "2 configurations are too large even checkpointed" in dry.stdout, dry.stdout
    assert "needs" in dry.stderr and not (tmp_path / "r.h5").exists(), dry


def test_sweep_too_large_for_the_machine(gradsweep, tmp_path):
    """Without --max-memory the limit is the node's available memory: a
    configuration of a million units by a million samples never fits."""
    write(tmp_path / "giant.yaml", SWEEP.replace("[4]", "[1048576]").replace("[2]", "[1048576]"))
    message = refused(gradsweep, tmp_path, ["giant.yaml"], EXIT_RESOURCES,
                      "width 1048576, batch 1048576")
    assert needed_bytes(message) > 2**40, message
