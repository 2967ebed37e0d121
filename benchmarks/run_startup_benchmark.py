"""Benchmark (not a test): how long a unit waits for `zfjd --help` and for `zfjd validate` on a small file.

    python benchmarks/run_startup_benchmark.py [--baseline-code DIR] [--repeat 5] [--no-docs]

Each command runs in a fresh process, one after the other, with `PYTHONDONTWRITEBYTECODE=1` (as in many
containers and CI: nothing compiled at run time is kept), from this checkout and, with
`--baseline-code DIR`, from an older one (`git archive d94e680 | tar -x -C DIR`) in the same run. Two
installs are compared: bytecode compiled at install (`uv sync --frozen --compile-bytecode`), and none
(plain `uv sync`), imitated by pointing `PYTHONPYCACHEPREFIX` at an empty folder so that no compiled
file is found. The small file is the bundled sample (38 rows). Median seconds of `--repeat` runs; the
heavy packages each command imported are listed (tests/cli/test_startup_imports.py asserts none).
Written to the `<!-- startup -->` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run_validation_benchmark import SAMPLES, _sample_settings, machine, write_docs  # noqa: E402

BEGIN, END = "<!-- startup -->", "<!-- /startup -->"
HEAVY = ("airflow", "dbt", "great_expectations", "matplotlib", "pandera", "pandas")
# Runs the CLI as the console script does, then prints the heavy packages it imported.
PROBE = (
    "import json, sys\n"
    "from zfjd.cli import app\n"
    "try:\n    app(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    f"print('IMPORTED=' + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))\n"
)


def commands(report: Path) -> dict[str, list[str]]:
    unit, as_of = _sample_settings()
    return {
        "zfjd --help": ["--help"],
        "zfjd validate (38 rows, --json)": [
            "validate", str(SAMPLES / "penalty_case.csv"), "--entity", "penalty_case", "--unit", unit,
            "--reference", str(SAMPLES / "reference"), "--as-of", as_of.isoformat(), "--json", str(report),
        ],
    }


def run_once(code: Path, args: list[str], bytecode: bool, empty_prefix: Path, probe: bool) -> tuple[float, list]:
    """(wall seconds, heavy packages imported) of one fresh process."""
    environment = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONPYCACHEPREFIX", None)
    if not bytecode:
        environment["PYTHONPYCACHEPREFIX"] = str(empty_prefix)
    command = [sys.executable, "-c", PROBE, *args] if probe else [sys.executable, "-m", "zfjd.cli", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=code, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output, errors = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[:1])} failed from {code}: {errors.decode()[-2000:]}")
    imported = []
    for line in output.decode().splitlines():
        if line.startswith("IMPORTED="):
            imported = json.loads(line.removeprefix("IMPORTED="))
    return elapsed, imported


def timed(code: Path, args: list[str], bytecode: bool, empty_prefix: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run: CPU from this process's children's usage before and after."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed, _ = run_once(code, args, bytecode, empty_prefix, False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-code", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    codes = {"this checkout": ROOT}
    if args.baseline_code:
        codes = {"baseline (d94e680)": args.baseline_code.resolve(), **codes}
    load = os.getloadavg()[0]
    lines = [
        "| code | bytecode installed | command | whole process (s), median | CPU (s), median"
        " | heavy packages imported |",
        "|---|---|---|---:|---:|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="zfjd-startup-") as scratch:
        empty_prefix = Path(scratch) / "no-bytecode"
        empty_prefix.mkdir()
        for name, args_of in commands(Path(scratch) / "report.json").items():
            for code_name, code in codes.items():
                for bytecode in (False, True):
                    runs = [timed(code, args_of, bytecode, empty_prefix) for _ in range(args.repeat)]
                    _, imported = run_once(code, args_of, bytecode, empty_prefix, True)
                    wall, cpu = (statistics.median(run[i] for run in runs) for i in (0, 1))
                    line = (
                        f"| {code_name} | {'yes' if bytecode else 'no'} | {name} | {wall:.2f} | {cpu:.2f}"
                        f" | {', '.join(imported) or 'none'} |"
                    )
                    print(line, flush=True)
                    lines.append(line)
    box = machine()
    text = "\n".join(
        [
            BEGIN,
            "## Start-up: `zfjd --help` and `zfjd validate` on a small file",
            "",
            f"Measured {dt.date.today().isoformat()} with `python benchmarks/run_startup_benchmark.py"
            + (" --baseline-code DIR" if args.baseline_code else "")
            + f" --repeat {args.repeat}` ({box['nproc']} CPUs, {box['cpu']}; load average when it started"
            f" {load:.2f}: the machine was shared with other work). `PYTHONDONTWRITEBYTECODE=1` throughout;"
            " \"bytecode installed: no\" is a plain `uv sync` (imitated with an empty `PYTHONPYCACHEPREFIX`),"
            " \"yes\" is `uv sync --frozen --compile-bytecode` (the README's install command). CPU = user +"
            " system seconds of the process: on a shared machine wall seconds include waiting for a core.",
            "",
            *lines,
            END,
        ]
    )
    print(text)
    if not args.no_docs:
        write_docs(text, BEGIN, END)


if __name__ == "__main__":
    main()
