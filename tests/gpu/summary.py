#!/usr/bin/env python3
"""The summary table of tests/gpu/run.sh: per-suite test counts, needle's GPU benchmarks next
to PyTorch's on the same GPU, and the train_resnet line. Reads what run.sh wrote; a missing or
broken input is reported as such (never silently as "n/a"), and the exit status says whether
everything that should have run did and passed:

  0  every suite ran with no failure, and (with --bench) every benchmark row has both figures
  1  a test failed, a suite has no results, or a benchmark figure is missing

Usage: summary.py --tests JUNIT.xml --ctest-json SHOW_ONLY.json [--bench NEEDLE.json
                  TORCH.json] [--train TRAIN_RESNET.log] [--train-images N]
"""

import argparse
import collections
import json
import sys
import xml.etree.ElementTree as ET


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f), None
    except Exception as e:  # noqa: BLE001 - any reason is shown to the reader
        return None, f"{path}: {e}"


def suite_of_tests(show_only):
    """Test name -> suite label, from `ctest --show-only=json-v1`."""
    suites = {}
    for test in show_only.get("tests", []):
        labels = [p["value"] for p in test.get("properties", []) if p.get("name") == "LABELS"]
        label = labels[0][0] if labels and labels[0] else "?"
        suites[test["name"]] = label
    return suites


def test_table(junit_path, show_only):
    problems = []
    suites = suite_of_tests(show_only) if show_only else {}
    counts = collections.OrderedDict()
    for name in sorted(set(suites.values())):
        counts[name] = collections.Counter()
    try:
        root = ET.parse(junit_path).getroot()
    except Exception as e:  # noqa: BLE001
        return counts, [f"no test results: {junit_path}: {e}"], []
    failed_names = []
    seen = set()
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        seen.add(name)
        suite = suites.get(name, "?")
        status = case.get("status", "")
        if case.find("failure") is not None or case.find("error") is not None or status == "fail":
            outcome = "failed"
            failed_names.append(f"{suite}: {name}")
        elif case.find("skipped") is not None or status in ("notrun", "disabled"):
            outcome = "skipped"
        else:
            outcome = "passed"
        counts.setdefault(suite, collections.Counter())[outcome] += 1
    # Tests ctest knew of but never reported (a run cut short).
    for name, suite in suites.items():
        if name not in seen:
            counts[suite]["not run"] += 1
    for suite, c in counts.items():
        if c["failed"] or c["not run"]:
            problems.append(f"{suite}: {c['failed']} failed, {c['not run']} not run")
        if sum(c.values()) == 0:
            problems.append(f"{suite}: no results")
    return counts, problems, failed_names


# (label, unit, needle benchmark name, its counter or "real_time", torch key, how to compare)
# "rate": higher is better, ratio = needle / torch; "time": lower is better, ratio = torch /
# needle. Either way a ratio above 1 means needle is faster.
BENCH_ROWS = [
    ("matmul 4096^3 fp32", "TFLOP/s", "BM_CudaMatmul/4096/0/real_time", "TFLOP/s",
     "matmul_fp32_tflops", "rate"),
    ("matmul 4096^3 tf32", "TFLOP/s", "BM_CudaMatmul/4096/1/real_time", "TFLOP/s",
     "matmul_tf32_tflops", "rate"),
    ("add 64M float32", "GB/s", "BM_CudaAdd/67108864/real_time", "GB/s", "add_gbs", "rate"),
    ("sum 64M float32", "GB/s", "BM_CudaSum/67108864/real_time", "GB/s", "sum_gbs", "rate"),
    ("row sum 8192^2", "GB/s", "BM_CudaRowSum/8192/real_time", "GB/s", "rowsum_gbs", "rate"),
    ("MLPResNet step b128", "ms", "BM_CudaMLPResNetStep/128/real_time", "real_time",
     "mlp_step_128_ms", "time"),
    ("MLPResNet step b1024", "ms", "BM_CudaMLPResNetStep/1024/real_time", "real_time",
     "mlp_step_1024_ms", "time"),
    ("ResNet9 train b128", "img/s", "BM_CudaResNetStep/9/real_time", "img/s", "resnet9_img_s",
     "rate"),
    ("ResNet9 step b128", "ms", "BM_CudaResNetStep/9/real_time", "real_time", None, "time"),
    ("ResNet-18 train b128", "img/s", "BM_CudaResNetStep/18/real_time", "img/s",
     "resnet18_img_s", "rate"),
]
BANDWIDTH_ROWS = ("add 64M float32", "sum 64M float32", "row sum 8192^2")


def bench_table(needle_path, torch_path):
    problems, lines = [], []
    needle, err = load_json(needle_path)
    if err:
        problems.append(f"needle benchmarks: {err}")
        needle = {}
    torch, err = load_json(torch_path)
    if err:
        problems.append(f"PyTorch benchmarks: {err}")
        torch = {}
    if torch.get("error"):
        problems.append(f"PyTorch benchmarks: {torch['error']}")
    ours = {}
    for b in needle.get("benchmarks", []):
        if b.get("error_occurred") or "error_message" in b:
            problems.append(f"{b['name']}: {b.get('error_message', 'error')}")
            continue
        ours[b["name"]] = b
    copy = torch.get("copy_gbs")
    lines.append(f"{'benchmark':<22}{'unit':<9}{'needle':>10}{'torch':>10}{'needle speed':>14}"
                 f"{'of copy BW':>12}")
    for label, unit, name, counter, tkey, kind in BENCH_ROWS:
        b = ours.get(name)
        a = None
        if b is not None:
            a = b.get(counter) if counter != "real_time" else b.get("real_time")
        if tkey is None:  # the step time PyTorch's images/s implies at batch 128
            t = 128e3 / torch["resnet9_img_s"] if torch.get("resnet9_img_s") else None
        else:
            t = torch.get(tkey) if tkey else None
        if a is None:
            problems.append(f"{label}: no needle figure ({name})")
        if t is None:
            problems.append(f"{label}: no PyTorch figure")
        digits = 3 if unit == "ms" else 1
        fa = f"{a:10.{digits}f}" if a is not None else f"{'MISSING':>10}"
        ft = f"{t:10.{digits}f}" if t is not None else f"{'MISSING':>10}"
        ratio = ""
        if a and t:
            ratio = f"{(a / t if kind == 'rate' else t / a):13.2f}x"
        of_copy = ""
        if label in BANDWIDTH_ROWS and a and copy:
            of_copy = f"{100 * a / copy:11.0f}%"
        lines.append(f"{label:<22}{unit:<9}{fa}{ft}{ratio:>14}{of_copy:>12}")
    if copy:
        lines.append(f"device-to-device copy (PyTorch, read + write): {copy:.0f} GB/s, the "
                     "bandwidth ceiling of the last column")
    lines.append("needle speed = needle's throughput / PyTorch's (for ms rows: PyTorch's time / "
                 "needle's); above 1 means needle is faster")
    return lines, problems


def train_line(path, images):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        return None, f"train_resnet: {e}"
    records = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and '"epoch"' in line:
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    if not records:
        return None, "train_resnet: no epoch record in its output"
    r = records[-1]
    rate = f", {images / r['seconds']:.0f} img/s" if images and r.get("seconds") else ""
    return (f"train_resnet on cuda, epoch {r['epoch']}: train loss {r['train_loss']:.4f} acc "
            f"{100 * r['train_acc']:.2f}% | test loss {r['test_loss']:.4f} acc "
            f"{100 * r['test_acc']:.2f}% | {r['seconds']:.1f} s{rate}"), None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tests", required=True)
    p.add_argument("--ctest-json", required=True)
    p.add_argument("--bench", nargs=2, metavar=("NEEDLE", "TORCH"))
    p.add_argument("--train")
    p.add_argument("--train-images", type=int, default=0)
    args = p.parse_args()

    show_only, err = load_json(args.ctest_json)
    problems = [err] if err else []
    counts, test_problems, failed = test_table(args.tests, show_only)
    problems += test_problems
    print(f"{'suite':<20}{'passed':>8}{'failed':>8}{'skipped':>9}{'not run':>9}")
    total = collections.Counter()
    for suite, c in counts.items():
        total.update(c)
        print(f"{suite:<20}{c['passed']:>8}{c['failed']:>8}{c['skipped']:>9}{c['not run']:>9}")
    print(f"{'all':<20}{total['passed']:>8}{total['failed']:>8}{total['skipped']:>9}"
          f"{total['not run']:>9}")
    for name in failed[:40]:
        print(f"  FAILED {name}")
    if len(failed) > 40:
        print(f"  ... and {len(failed) - 40} more (tests.log)")
    if args.bench:
        print()
        lines, bench_problems = bench_table(*args.bench)
        print("\n".join(lines))
        problems += bench_problems
    if args.train:
        print()
        line, err = train_line(args.train, args.train_images)
        print(line or f"train_resnet: {err}")
        if err:
            problems.append(err)
    if problems:
        print()
        for problem in problems:
            print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
