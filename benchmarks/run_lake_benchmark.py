"""Benchmark (not a test): validating a landing zone into the lake, one batch at a time and grouped.

    python benchmarks/run_lake_benchmark.py [--home /tmp/dev50] [--units 50] [--days 30] [--repeat 3] [--docs]

Validates every landed batch of the home's landing zone into a fresh lake twice per round — one engine
call per batch (`group_rows=None`, the baseline) and grouped (the default of `validate_landed`) — and
prints batches, rows, seconds and batches/s of each, the median of `--repeat` rounds, and whether the
two lakes are byte-for-byte the same. A home without a landing zone is built first (the simulated
province of `--units` × `--days`, landed through the daily cycle's steps). `--docs` writes the table
into the `<!-- lake-benchmark -->` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.landing import Landing  # noqa: E402
from zfjd import cycle  # noqa: E402
from zfjd.home import Home  # noqa: E402
from zfjd.lake import GROUP_ROWS, Lake, validate_landed  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- lake-benchmark -->", "<!-- /lake-benchmark -->"
MODES = {"one batch at a time": None, f"grouped (≤ {GROUP_ROWS:,} rows a pass)": GROUP_ROWS}


def build(home: Home, units: int, days: int) -> None:
    spec = cycle.ProvinceSpec(units, days, 7, "2025-01-01")
    cycle.prepare_province(home, spec)
    cycle.land_reference(home, as_of=spec.last_day)
    cycle.intake_and_validate(home, cycle.discover_units(home), as_of=spec.last_day)


def files(root: Path) -> dict[str, bytes]:
    kept = (p for p in sorted(root.rglob("*")) if p.is_file() and ".scratch" not in p.parts)
    return {str(p.relative_to(root)): p.read_bytes() for p in kept}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=Path("/tmp/dev50"))
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--docs", action="store_true")
    args = parser.parse_args()
    home = Home.at(args.home)
    if not (home.landing / "manifests").is_dir():
        started = time.perf_counter()
        build(home, args.units, args.days)
        print(f"built {home.root} in {time.perf_counter() - started:.1f} s")
    spec = cycle.province_spec(home)
    as_of = spec.last_day if spec else dt.date.today()
    landing = Landing(home.landing)
    manifests = landing.manifests()
    batches, rows = len(manifests), sum(m.rows for m in manifests)
    print(f"{home.landing}: {batches:,} batches, {rows:,} rows, as of {as_of}")

    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    same = True
    with tempfile.TemporaryDirectory(prefix="zfjd-lake-bench-") as scratch:
        for round_ in range(args.repeat):
            lakes = {}
            for mode, group_rows in MODES.items():
                lake = Lake(Path(scratch) / f"{round_}-{group_rows}")
                started = time.perf_counter()
                report = validate_landed(landing, lake, home.reference, as_of=as_of, group_rows=group_rows)
                seconds[mode].append(time.perf_counter() - started)
                assert report.validated == batches and report.received == rows, report
                lakes[mode] = lake.root
                print(f"round {round_ + 1} {mode}: {seconds[mode][-1]:.2f} s", flush=True)
            baseline, grouped = (files(root) for root in lakes.values())
            same = same and baseline == grouped
            for root in lakes.values():
                shutil.rmtree(root)

    lines = [
        "| mode | batches | rows | seconds (median) | runs (s) | batches/s |",
        "|---|---:|---:|---:|---|---:|",
    ]
    medians = {mode: statistics.median(runs) for mode, runs in seconds.items()}
    for mode, runs in seconds.items():
        lines.append(
            f"| {mode} | {batches:,} | {rows:,} | {medians[mode]:.2f} | "
            f"{', '.join(f'{s:.2f}' for s in runs)} | {batches / medians[mode]:,.0f} |"
        )
    baseline_median, grouped_median = medians.values()
    summary = (
        f"Measured {dt.date.today().isoformat()} with `python benchmarks/run_lake_benchmark.py --home {args.home}` "
        f"on {os.cpu_count()} CPUs ({platform.python_implementation()} {platform.python_version()}), "
        f"median of {args.repeat}: grouped is {baseline_median / grouped_median:.1f}× faster; "
        f"the two lakes are {'byte-for-byte identical' if same else 'DIFFERENT'}."
    )
    table = "\n".join(lines)
    print(table)
    print(summary)
    if not same:
        raise SystemExit("grouped validation wrote different files")
    if args.docs:
        text = DOCS.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{summary}\n\n{table}\n{END}"
        start, end = text.index(BEGIN), text.index(END) + len(END)
        DOCS.write_text(text[:start] + block + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
