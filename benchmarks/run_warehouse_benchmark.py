"""`dbt build` of the warehouse on DuckDB at 1M and 10M case rows (a benchmark, not a test).

    uv run python benchmarks/run_warehouse_benchmark.py [--rows 1000000 10000000] [--docs]

A small simulated province is landed and validated through the cycle's own steps; its lake is loaded
into `raw` and then multiplied inside DuckDB (every case, inspection, batch and issue copied with a
suffix on its key) until the case rows (处罚 + 强制 + 检查 versions) reach the target. Each size runs in
a fresh process: load + scale, then `dbt build` (seeds, snapshots, models, data tests, unit tests)
timed, with the process's peak RSS. Baseline in the same run: one plain DuckDB query that computes the
monthly penalty counts per body from the same raw rows (latest version per key) — the least work any
build must do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zfjd import cycle, warehouse  # noqa: E402
from zfjd.home import Home  # noqa: E402

WORK = Path("/tmp/zfjd-warehouse-benchmark")
SPEC = cycle.ProvinceSpec(units=100, days=60, seed=5, start="2025-01-01")
CASE_TABLES = {"penalty_case": "AJBH", "coercion_case": "QZBH", "inspection": "JCBH"}


def source_home() -> Home:
    home = Home.at(WORK / "source")
    if not (home.lake / "ledger").exists():
        cycle.prepare_province(home, SPEC)
        cycle.land_reference(home, as_of=SPEC.last_day)
        cycle.intake_and_validate(home, cycle.discover_units(home), as_of=SPEC.last_day)
    return home


def scale(database: Path, rows: int) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(database)) as con:
        base = sum(con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in CASE_TABLES)
        copies = max(1, -(-rows // base))
        for table, key in CASE_TABLES.items():
            con.execute(
                f'create or replace table raw."{table}" as select * replace ("{key}" || '
                f"case when k = 0 then '' else '-' || k end as \"{key}\", "
                f"batch_id || case when k = 0 then '' else '-' || k end as batch_id) "
                f'from raw."{table}", range({copies}) as copies(k)'
            )
        for table in ("ledger", "issue"):
            con.execute(
                f'create or replace table raw."{table}" as select * replace (batch_id || case when k = 0 '
                f"then '' else '-' || k end as batch_id) from raw.\"{table}\", range({copies}) as copies(k)"
            )
        counts = {t: con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in (*CASE_TABLES, "issue")}
    return counts


def baseline(database: Path) -> float:
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(
            """
            with latest as (
                select *, row_number() over (partition by "ZTDM", "AJBH"
                    order by "GXSJ" desc, received_at desc, batch_id desc, row_number desc) as r
                from raw.penalty_case
            )
            select "ZTDM", date_trunc('month', "CF_JDRQ") as m, count(*)
            from latest where r = 1 and "CF_JDRQ" is not null and "AJZT" <> '9'
            group by all
            """
        ).fetchall()
    return time.perf_counter() - started


def one_size(rows: int) -> dict:
    home = Home.at(WORK / f"rows-{rows}")
    if home.warehouse.exists():
        home.warehouse.unlink()
    source = source_home()
    started = time.perf_counter()
    warehouse.load_lake_duckdb(source.lake, home.warehouse)
    counts = scale(home.warehouse, rows)
    load_seconds = time.perf_counter() - started
    baseline_seconds = baseline(home.warehouse)
    result = warehouse.run_dbt(["build"], home, as_of=SPEC.last_day)
    if not result.success:
        raise SystemExit("\n".join(result.failures))
    return {
        "target_rows": rows,
        "case_rows": sum(counts[t] for t in CASE_TABLES),
        "counts": counts,
        "load_and_scale_seconds": round(load_seconds, 1),
        "baseline_query_seconds": round(baseline_seconds, 2),
        "dbt_build_seconds": round(result.seconds, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "database_mb": home.warehouse.stat().st_size // (1 << 20),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--docs", action="store_true", help="write the figures into docs/benchmarks.md")
    options = parser.parse_args()
    if options.one:
        print(json.dumps(one_size(options.one)))
        return
    source_home()
    results = []
    for rows in options.rows:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(rows)], check=True, capture_output=True, text=True
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(results[-1], flush=True)
    table = [
        "| case rows | 处罚 / 强制 / 检查 | load + scale | baseline query | `dbt build` | peak RSS | file |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c = r["counts"]
        table.append(
            f"| {r['case_rows']:,} | {c['penalty_case']:,} / {c['coercion_case']:,} / {c['inspection']:,} "
            f"| {r['load_and_scale_seconds']} s | {r['baseline_query_seconds']} s | {r['dbt_build_seconds']} s "
            f"| {r['peak_rss_mb']:,} MB | {r['database_mb']:,} MB |"
        )
    print("\n".join(table))
    if options.docs:
        _write_docs(table)


def _write_docs(table: list[str]) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text(encoding="utf-8")
    marker = "## Warehouse build (dbt on DuckDB)"
    section = "\n".join(
        [
            marker,
            "",
            f"`benchmarks/run_warehouse_benchmark.py`, {dt.date.today():%Y-%m-%d}, 2 cores. A {SPEC.units}-unit,",
            f"{SPEC.days}-day simulated province landed and validated, its lake loaded into `raw` and multiplied",
            "in DuckDB to the target number of case rows (every version of 处罚, 强制 and 检查 records; batches and",
            "issues multiplied with them). `dbt build` = 5 seeds, 3 snapshots, all models, every data and unit",
            "test. Baseline (same run, same rows): one DuckDB query for the monthly penalty counts per body.",
            "",
            *table,
            "",
        ]
    )
    if marker in text:
        head, _, rest = text.partition(marker)
        tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section
    docs.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
