"""The daily cycle through Airflow against the same steps called directly (a benchmark, not a test).

    uv run python benchmarks/run_cycle_benchmark.py [--units 1000] [--records 50000] [--seed 5]

A simulated province of `--units` units is written once (the units' side, not timed), with as many days
as it takes for its records to reach `--records`: all of them arrive in one daily cycle. Two copies of it:

- airflow: `zfjd run --home COPY` in its own process, on an instance already prepared (Airflow metadata
  migrated, pools created; first-use set-up is timed separately). Cycle time = the DAG run's start to end
  in the metadata database; the command's own wall time (process start, DAG parse, summary) is shown too.
- direct: a fresh process calls the DAG's steps one after another, with the same groups of units:
  `land_reference`, `intake_and_validate` per group, `load_lake_duckdb`, `dbt build` (same vars),
  `check_warehouse`, `publish`, `write_feedback`.

Airflow overhead = cycle time − direct total. The two sides run one after the other on a shared machine, so
their steps' times also differ by the machine's load; the DAG run's time outside its tasks (the scheduling
loop) is printed too. `--order` swaps which side runs first. Figures: docs/daily-cycle.md, docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path("/tmp/zfjd-cycle-benchmark")

DIRECT = """
import datetime as dt, json, sys, time
started = time.perf_counter()
from zfjd import cycle, warehouse, publish
from zfjd.airflow_setup import DEFAULT_GROUP_SIZE
from zfjd.home import Home
home = Home.at(sys.argv[1]); as_of = dt.date.fromisoformat(sys.argv[2])
steps = {"imports": time.perf_counter() - started}
def step(name, call):
    t = time.perf_counter(); value = call(); steps[name] = steps.get(name, 0) + time.perf_counter() - t; return value
step("land_reference", lambda: cycle.land_reference(home, as_of=as_of))
groups = step("discover", lambda: cycle.channel_groups(home, DEFAULT_GROUP_SIZE))
outcomes = []
for kind, lists in groups.items():
    for units in lists:
        outcomes.append(step("intake_and_validate", lambda: cycle.intake_and_validate(home, units, as_of=as_of)))
step("load_raw", lambda: warehouse.load_lake_duckdb(home.lake, home.warehouse))
built = step("dbt_build", lambda: warehouse.run_dbt(["build"], home, as_of=as_of))
assert built.success, built.failures
step("check_warehouse", lambda: cycle.check_warehouse(home))
step("publish", lambda: publish.publish(home, as_of=as_of))
step("feedback", lambda: cycle.write_feedback(home, as_of))
steps["total_steps"] = sum(v for k, v in steps.items() if k != "imports")
steps["process"] = time.perf_counter() - started
steps["received"] = sum(o.received for o in outcomes)
steps["groups"] = len(outcomes)
print(json.dumps(steps))
"""


def province(units: int, records: int, seed: int):
    from zfjd import cycle
    from zfjd.home import Home

    days = 1
    while True:
        exchange = cycle.ProvinceSpec(units, days, seed, "2025-03-01").exchange()
        total = sum(frame.height for frame in exchange.records.values())
        if total >= records:
            break
        days += 1
    spec = cycle.ProvinceSpec(units, days, seed, "2025-03-01")
    template = Home.at(WORK / f"template-{units}-{days}-{seed}")
    started = time.perf_counter()
    cycle.prepare_province(template, spec)
    return spec, template, total, time.perf_counter() - started


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))}


def copy(template: Path, name: str) -> Path:
    target = WORK / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template, target)
    return target


def run_airflow(home: Path, as_of: dt.date) -> dict:
    prepare = "from zfjd import airflow_setup; from zfjd.home import Home; airflow_setup.prepare(Home.at())"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", prepare], env=clean_env() | {"ZFJD_HOME": str(home)}, check=True, cwd=ROOT,
                   capture_output=True)
    setup = time.perf_counter() - started
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "zfjd"), "run", "--home", str(home)], cwd=ROOT,
                          capture_output=True, text=True, env=clean_env() | {"COLUMNS": "160"})
    command = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        run_id, run_seconds = con.execute(
            "select run_id, (julianday(end_date) - julianday(start_date)) * 86400 from dag_run "
            "where dag_id = 'zfjd_daily' order by id desc limit 1"
        ).fetchone()
        tasks = con.execute(
            "select task_id, count(*), sum((julianday(end_date) - julianday(start_date)) * 86400) from task_instance "
            "where run_id = ? group by task_id",
            [run_id],
        ).fetchall()
    return {"setup": setup, "command": command, "dag_run": run_seconds,
            "tasks": {task: {"count": count, "seconds": seconds} for task, count, seconds in tasks},
            "summary": done.stdout}


def run_direct(home: Path, as_of: dt.date) -> dict:
    done = subprocess.run([sys.executable, "-c", DIRECT, str(home), as_of.isoformat()], cwd=ROOT,
                          capture_output=True, text=True,
                          env=clean_env() | {"GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "true"})
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--order", choices=["direct-first", "airflow-first"], default="direct-first")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    spec, template, total, written = province(args.units, args.records, args.seed)
    print(f"province: {spec.units} units, {spec.days} days, {total:,} records (written in {written:.0f} s)")
    results = {}
    order = ["direct", "airflow"] if args.order == "direct-first" else ["airflow", "direct"]
    for name in order:
        home = copy(template.root, name)
        results[name] = run_direct(home, spec.last_day) if name == "direct" else run_airflow(home, spec.last_day)
        print(name, json.dumps({k: v for k, v in results[name].items() if k != "summary"}, indent=1))
    direct, airflow = results["direct"], results["airflow"]
    overhead = airflow["dag_run"] - direct["total_steps"]
    in_tasks = sum(task["seconds"] for task in airflow["tasks"].values())
    print(airflow["summary"])
    print(
        f"\nrecords received: {direct['received']:,} in {direct['groups']} groups\n"
        f"direct steps: {direct['total_steps']:.1f} s (process {direct['process']:.1f} s)\n"
        f"Airflow DAG run: {airflow['dag_run']:.1f} s (zfjd run command {airflow['command']:.1f} s; "
        f"first-use set-up {airflow['setup']:.1f} s)\n"
        f"overhead: {overhead:.1f} s = {overhead / direct['total_steps']:.0%} of the work\n"
        f"inside the DAG run: tasks {in_tasks:.1f} s, "
        f"between tasks (scheduling loop) {airflow['dag_run'] - in_tasks:.1f} s"
    )


if __name__ == "__main__":
    main()
