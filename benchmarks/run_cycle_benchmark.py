"""The daily cycle through Airflow: its growth with the number of units, and its overhead (a benchmark, not a test).

    uv run python benchmarks/run_cycle_benchmark.py --growth 200,1000,5000 [--label after] [--repo DIR]
    uv run python benchmarks/run_cycle_benchmark.py --report      # table + plot into docs/benchmarks.md
    uv run python benchmarks/run_cycle_benchmark.py [--units 1000] [--records 50000] [--seed 5]

Growth (`--growth`): for each number of units, `zfjd run --home H --units N --days 1 --seed 3` on a fresh
home, as a person runs it (simulating the province and Airflow's first-use set-up included), with the
`zfjd` of `--repo` (default: this checkout; give a worktree of another commit for its baseline). Per
step: the task instances' time in Airflow's metadata database (mapped tasks added up). Results are
kept in benchmarks/results/cycle-growth.json under `--label`; `--report` writes the table and the plot
(docs/cycle-growth.png) of every label kept there into docs/benchmarks.md.

Overhead (no `--growth`):

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
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path("/tmp/zfjd-cycle-benchmark")
RESULTS = ROOT / "benchmarks" / "results" / "cycle-growth.json"
PLOT = ROOT / "docs" / "cycle-growth.png"
DOC = ROOT / "docs" / "benchmarks.md"
MARK_START, MARK_END = "<!-- cycle-growth -->", "<!-- /cycle-growth -->"
# The DAG's tasks in the order they run, as the table shows them.
STEPS = [
    ("plan, discover", ("plan", "discover_api", "discover_sql", "discover_files")),
    ("land_reference (三库)", ("land_reference",)),
    ("intake + validate", ("intake_api", "intake_sql", "intake_files")),
    ("load_raw", ("load_raw",)),
    ("dbt_build", ("dbt_build",)),
    ("check_warehouse (GX)", ("check_warehouse",)),
    ("publish", ("publish",)),
    ("feedback", ("feedback",)),
]

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
    run_seconds, tasks = dag_timings(home)
    return {"setup": setup, "command": command, "dag_run": run_seconds,
            "tasks": {task: {"count": count, "seconds": seconds} for task, count, seconds in tasks},
            "summary": done.stdout}


def dag_timings(home: Path) -> tuple[float, list[tuple[str, int, float]]]:
    """The last daily run's seconds, and per task: (task_id, instances, seconds), from Airflow's metadata."""
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
    return run_seconds, tasks


def run_direct(home: Path, as_of: dt.date) -> dict:
    done = subprocess.run([sys.executable, "-c", DIRECT, str(home), as_of.isoformat()], cwd=ROOT,
                          capture_output=True, text=True,
                          env=clean_env() | {"GX_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "true"})
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_growth(units: int, seed: int, repo: Path, label: str) -> dict:
    """One `zfjd run` on a fresh home with `units` units × 1 day, timed whole and per task."""
    home = WORK / f"growth-{label}-{units}"
    if home.exists():
        shutil.rmtree(home)
    command = [str(repo / ".venv" / "bin" / "zfjd"), "run", "--home", str(home), "--units", str(units), "--days", "1",
               "--seed", str(seed)]
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, env=clean_env() | {"COLUMNS": "160"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the run's processes: what the machine's other work changes least.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = (load_before, os.getloadavg()[0])  # other work on the machine: the figures are upper bounds
    if done.returncode != 0:
        raise SystemExit(done.stdout[-4000:] + done.stderr[-4000:])
    run_seconds, tasks = dag_timings(home)
    lake = home / "lake" / "ledger"
    batches = sum(1 for _ in lake.glob("*.json")) if lake.exists() else 0
    received = sum(json.loads(p.read_text(encoding="utf-8"))["received"] for p in lake.glob("*.json"))
    shutil.rmtree(home)  # a 5,000-unit home is a few GB
    return {"units": units, "seed": seed, "wall": wall, "dag_run": run_seconds, "batches": batches,
            "received": received, "load": load, "cpu": cpu,
            "tasks": {task: {"count": count, "seconds": seconds} for task, count, seconds in tasks},
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True,
                                     text=True).stdout.strip(),
            "measured": dt.datetime.now(dt.UTC).isoformat(timespec="minutes")}


def load_results() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}


def step_seconds(result: dict, tasks: tuple[str, ...]) -> float:
    return sum(result["tasks"].get(task, {}).get("seconds") or 0 for task in tasks)


def report() -> None:
    """The per-step table of every label and size kept, and the growth plot, into docs/benchmarks.md."""
    results = load_results()
    labels = list(results)
    lines = ["| label (commit) | units | batches | records (三库 included) | " + " | ".join(name for name, _ in STEPS)
             + " | DAG run | `zfjd run` whole | its CPU time | load before / after |",
             "|---|---:|---:|---:|" + "---:|" * len(STEPS) + "---:|---:|---:|---|"]
    for label in labels:
        for size in sorted(results[label], key=int):
            r = results[label][size]
            cells = " | ".join(f"{step_seconds(r, tasks):.1f}" for _, tasks in STEPS)
            lines.append(f"| {label} ({r['commit']}) | {r['units']:,} | {r['batches']:,} | {r['received']:,} | {cells} "
                         f"| {r['dag_run']:.1f} | **{r['wall']:.1f}** | {_cpu(r)} | {_load(r)} |")
    table = "\n".join(lines)
    plotted = _plot(results)
    body = (f"{MARK_START}\n{table}\n\n" + ("![cycle growth](cycle-growth.png)\n\n" if plotted else "") + MARK_END)
    text = DOC.read_text(encoding="utf-8")
    if MARK_START in text:
        head, rest = text.split(MARK_START, 1)
        text = head + body + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(table)


def _cpu(result: dict) -> str:
    return f"{result['cpu']:.1f}" if "cpu" in result else "–"


def _load(result: dict) -> str:
    load = result.get("load")
    return f"{load[0]:.1f} / {load[1]:.1f}" if load else "–"


def _plot(results: dict) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axis = plt.subplots(figsize=(6, 3.6), dpi=100)
    for label, sizes in results.items():
        points = sorted((int(size), r) for size, r in sizes.items())
        axis.plot([u for u, _ in points], [r["wall"] for _, r in points], marker="o", label=f"{label}: zfjd run")
        axis.plot([u for u, _ in points], [step_seconds(r, STEPS[2][1]) for _, r in points], marker="x",
                  linestyle="--", label=f"{label}: intake + validate")
    axis.axhline(600, color="grey", linewidth=0.8, linestyle=":", label="10 min")
    axis.set_xlabel("units (1 day)")
    axis.set_ylabel("seconds")
    axis.set_title("daily cycle on a fresh home, 2 cores")
    axis.legend(fontsize=7)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(PLOT)
    plt.close(figure)
    return True


def growth(sizes: list[int], seed: int, repo: Path, label: str) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for units in sizes:
        result = run_growth(units, seed, repo, label)
        results = load_results()  # re-read: another label may have been kept meanwhile
        results.setdefault(label, {})[str(units)] = result
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
        steps = ", ".join(f"{name} {step_seconds(result, tasks):.1f}" for name, tasks in STEPS)
        print(f"{label} {units} units: {result['wall']:.1f} s whole ({result['cpu']:.1f} s CPU), "
              f"DAG run {result['dag_run']:.1f} s, {result['batches']:,} batches, {result['received']:,} records; "
              f"{steps}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--growth", help="numbers of units, comma-separated: one fresh `zfjd run` each")
    parser.add_argument("--label", default="after")
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose .venv/bin/zfjd runs")
    parser.add_argument("--report", action="store_true", help="write the kept results into docs/benchmarks.md")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--seed", type=int, help="default: 3 with --growth (as in issue 14), else 5")
    parser.add_argument("--order", choices=["direct-first", "airflow-first"], default="direct-first")
    args = parser.parse_args()
    if args.growth or args.report:
        if args.growth:
            seed = 3 if args.seed is None else args.seed
            growth([int(n) for n in args.growth.split(",")], seed, args.repo.resolve(), args.label)
        if args.report:
            report()
        return
    args.seed = 5 if args.seed is None else args.seed
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
