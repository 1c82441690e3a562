#!/usr/bin/env python3
"""ctest helper: a short real run of a training example (examples/CMakeLists.txt).

    expect_training.py PROGRAM WORKDIR TRAIN TEST [ARGS...]

cuts the first TRAIN training and TEST test images of Debian's Fashion-MNIST into WORKDIR
(cut_idx.py), then runs

    PROGRAM --data WORKDIR/data --epochs 1 --json --save WORKDIR/model.safetensors ARGS
    PROGRAM --data WORKDIR/data --epochs 0 --json --load WORKDIR/model.safetensors ARGS

and passes when both exit with 0 and print what the README promises: on stdout one JSON object
per epoch with exactly the documented keys, on stderr the header line, the per-epoch summary line
(agreeing with the JSON) and "saved PATH"; and the checkpoint, loaded into a fresh model,
evaluates to the test loss and accuracy the first run reported for it. Exits with 77 (ctest's
SKIP_RETURN_CODE) when the dataset is not installed.
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cut_idx  # noqa: E402

SOURCE = "/usr/share/datasets/fashion-mnist"
SKIP = 77
NUMBER = r"(\d+\.\d+)"


def fail(message, run=None):
    print(f"FAIL: {message}")
    if run is not None:
        print(f"  command: {' '.join(run.args)}\n  exit code: {run.returncode}")
        print(f"  stdout:\n{run.stdout}  stderr:\n{run.stderr}")
    sys.exit(1)


def run_program(command):
    print("+", " ".join(command), flush=True)
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        fail("expected exit code 0", run)
    return run


def json_line(run, keys):
    """stdout's only line: a JSON object with exactly `keys` (in that order), finite numbers."""
    lines = run.stdout.splitlines()
    if len(lines) != 1:
        fail(f"expected one line on stdout, got {len(lines)}", run)
    try:
        obj = json.loads(lines[0])
    except json.JSONDecodeError:
        fail(f"stdout is not JSON: {lines[0]!r}", run)
    if list(obj) != keys:
        fail(f"JSON keys {list(obj)}, expected {keys}", run)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in obj.values()):
        fail(f"JSON values must be finite numbers: {lines[0]}", run)
    return obj


def one_line(run, pattern, what):
    matches = [m for m in map(re.compile(pattern).fullmatch, run.stderr.splitlines()) if m]
    if len(matches) != 1:
        fail(f"expected one {what} line on stderr matching {pattern!r}, found {len(matches)}", run)
    return matches[0]


def expect_close(value, printed, decimals, what, run):
    if abs(value - float(printed)) > 0.51 * 10.0**-decimals:
        fail(f"{what}: the summary line says {printed}, the JSON {value}", run)


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    program, workdir, train, test = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    args = sys.argv[5:]
    if cut_idx.missing(SOURCE):
        print(f"SKIP: {cut_idx.missing(SOURCE)} not found (apt-get install dataset-fashion-mnist)")
        return SKIP
    name = os.path.basename(program)
    data = os.path.join(workdir, "data")
    model = os.path.join(workdir, "model.safetensors")
    shutil.rmtree(workdir, ignore_errors=True)
    cut_idx.cut(SOURCE, data, {"train": train, "t10k": test}, compresslevel=1)

    first = run_program([program, "--data", data, "--epochs", "1", "--json", "--save", model]
                        + args)
    epoch = json_line(first, ["epoch", "train_loss", "train_acc", "test_loss", "test_acc",
                              "seconds"])
    if epoch["epoch"] != 1:
        fail("expected one JSON object, for epoch 1", first)
    for key in ("train_acc", "test_acc"):
        if not 0 <= epoch[key] <= 1:
            fail(f"{key} {epoch[key]} is not a fraction", first)
    one_line(first, rf"{name}: .*\b{train} train / {test} test images.*, device \S+, \d+ parameters",
             "header")
    summary = one_line(
        first, rf"epoch  1/1: train loss {NUMBER} acc {NUMBER}% \| test loss {NUMBER} acc "
        rf"{NUMBER}% \| {NUMBER} s", "summary")
    expect_close(epoch["train_loss"], summary[1], 4, "train loss", first)
    expect_close(100 * epoch["train_acc"], summary[2], 2, "train accuracy", first)
    expect_close(epoch["test_loss"], summary[3], 4, "test loss", first)
    expect_close(100 * epoch["test_acc"], summary[4], 2, "test accuracy", first)
    one_line(first, re.escape(f"saved {model}"), "saved")
    if not os.path.isfile(model):
        fail(f"{model} was not written", first)

    second = run_program([program, "--data", data, "--epochs", "0", "--json", "--load", model]
                         + args)
    evaluation = json_line(second, ["epoch", "test_loss", "test_acc"])
    if evaluation["epoch"] != 0:
        fail("expected one JSON object, for epoch 0", second)
    one_line(second, rf"test loss {re.escape(summary[3])} acc {re.escape(summary[4])}%",
             "evaluation (the first run's test loss and accuracy)")
    # Same weights, statistics and test batches: the same figures, up to summation order.
    if abs(evaluation["test_loss"] - epoch["test_loss"]) > 1e-5 or \
            evaluation["test_acc"] != epoch["test_acc"]:
        fail(f"the loaded checkpoint evaluates to {evaluation}, the trained model to {epoch}",
             second)
    print(f"PASS: {name}: epoch 1 {epoch}; reloaded {evaluation}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
