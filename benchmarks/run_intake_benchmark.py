"""Benchmark (not a test): landing throughput per channel for a simulated province.

    python benchmarks/run_intake_benchmark.py [--units 1000] [--days 3] [--no-docs]

Simulates the province, hands every unit's records over through its channel (exchange API on loopback,
前置库 in SQLite, file drops in UTF-8/GB18030/XLSX, platform pushes in JSON), then runs one intake pass
and reports, per channel, units, batches, records landed, seconds and records/s; a second pass (nothing
new) is timed too. Figures go to the `<!-- intake-benchmark -->` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.api import ApiSource  # noqa: E402
from connectors.file_drop import FileDrop, platform_push  # noqa: E402
from connectors.intake import run_intake  # noqa: E402
from connectors.landing import Landing  # noqa: E402
from connectors.registry import Registry  # noqa: E402
from connectors.simulator.api_server import start_api  # noqa: E402
from connectors.simulator.exchange import Exchange  # noqa: E402
from connectors.simulator.front_db import write_front_tables  # noqa: E402
from connectors.simulator.outbox import write_file_drops, write_pushes, write_units_config  # noqa: E402
from connectors.sql import FrontDbSource  # noqa: E402
from connectors.watermarks import WatermarkStore  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- intake-benchmark -->", "<!-- /intake-benchmark -->"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zfjd-intake-bench-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        exchange = Exchange.simulate(args.units, args.days, seed=7, start=dt.date(2025, 3, 1))
        records = {entity: frame.height for entity, frame in exchange.records.items()}
        write_units_config(exchange, root / "units.yaml")
        registry = Registry.load(exchange.province.reference_frames()["enforcement_entity"], root / "units.yaml")
        drop, push = FileDrop(root / "drop", settle_seconds=0), platform_push(root / "push", settle_seconds=0)
        for day in exchange.days:
            write_file_drops(exchange, drop, [u.code for u in registry.by_channel("file_drop")], day)
            write_pushes(exchange, push, [u.code for u in registry.by_channel("platform_push")], day)
        front = f"sqlite:///{root / 'front.sqlite'}"
        write_front_tables(exchange, front)
        prepared = time.perf_counter() - started
        landing, watermarks = Landing(root / "landing"), WatermarkStore(root / "landing" / "watermarks.sqlite")
        token = secrets.token_urlsafe(16)
        with start_api(exchange, token=token) as api:
            sources = dict(api=ApiSource(api.url, token), sql=FrontDbSource(front), drop=drop, push=push)
            first = run_intake(registry, landing, watermarks, **sources)
            again = run_intake(registry, landing, watermarks, **sources)
    rows = []
    for channel, tally in first.channels.items():
        rows.append(
            f"| {channel} | {tally.units} | {tally.batches:,} | {tally.rows_landed:,} | {tally.seconds:.2f} | "
            f"{tally.rows_per_second:,.0f} | {again.channels[channel].seconds:.2f} |"
        )
    table = "\n".join(
        [
            "| channel | units | batches | records landed | seconds | records/s | second pass (s) |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    summary = (
        f"{args.units:,} units × {args.days} days: {sum(records.values()):,} record versions "
        f"({', '.join(f'{k} {v:,}' for k, v in records.items())}); simulating and handing over took "
        f"{prepared:.1f} s; second pass landed {again.rows_landed} records in {again.new_batches} new batches."
    )
    print(table)
    print(summary)
    if not args.no_docs:
        section = (
            f"{BEGIN}\n## Intake: landing throughput per channel\n\n"
            f"Measured {dt.date.today():%Y-%m-%d} with `python benchmarks/run_intake_benchmark.py --units {args.units} "
            f"--days {args.days}` on {os.cpu_count()} CPUs (one process, channels one after another; the API "
            f"server runs on loopback in the same process).\n\n{table}\n\n{summary}\n{END}"
        )
        text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
        if BEGIN in text:
            text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
