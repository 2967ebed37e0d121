"""The README's first command on a fresh clone, timed whole and per step (issue 14).

    uv run python benchmarks/first_command.py [--repo DIR] [--label NAME]

Clones `--repo` (default: this checkout's repository, its HEAD) into a fresh temporary folder and runs,
with PYTHONDONTWRITEBYTECODE=1 set, `uv sync --frozen --compile-bytecode` then `uv run zfjd run` (the
defaults: 200 units × 30 days). Prints one JSON line: wall seconds of each command, the CPU seconds of
their processes, and Airflow's per-task seconds of the daily run (mapped tasks added up). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_cycle_benchmark import dag_timings

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-4000:] + done.stderr[-4000:])
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--label", default="")
    parser.add_argument("--keep", action="store_true", help="keep the clone (and its var/zfjd) for a look afterwards")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.repo, capture_output=True,
                            text=True, check=True).stdout.strip()
    scratch = Path(tempfile.mkdtemp(prefix="zfjd-first-command-"))
    clone = scratch / "zfjd"
    try:
        subprocess.run(["git", "clone", "--quiet", str(args.repo), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_", "VIRTUAL_ENV", "UV_"))}
        env |= {"PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "160"}
        load_before = os.getloadavg()[0]
        sync_wall, sync_cpu = timed(["uv", "sync", "--frozen", "--compile-bytecode"], clone, env)
        run_wall, run_cpu = timed(["uv", "run", "zfjd", "run"], clone, env)
        dag_run, tasks = dag_timings(clone / "var" / "zfjd")
        print(json.dumps({
            "label": args.label, "commit": commit, "sync": sync_wall, "sync_cpu": sync_cpu, "run": run_wall,
            "run_cpu": run_cpu, "end_to_end": sync_wall + run_wall, "dag_run": dag_run,
            "tasks": {task: round(seconds, 1) for task, _count, seconds in sorted(tasks)},
            "load": (load_before, os.getloadavg()[0]),
        }, ensure_ascii=False))
    finally:
        if args.keep:
            print(f"kept: {clone}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
