"""Benchmark (not a test): the validation engine against a plain DuckDB SQL pass on the same file.

    python benchmarks/run_validation_benchmark.py [--rows 1000000] [--gb18030] [--repeat 1] [--no-docs]
    python benchmarks/run_validation_benchmark.py --messy [--rows 300000] [--baseline-code DIR] [--no-docs]

Makes `benchmarks/out/penalty_case_<rows>.csv` with benchmarks/make_penalty_file.py if it is not there
yet (and its GB18030 copy with `--gb18030`), then runs, each in a fresh Python process and one after
the other, never side by side:

- engine: `quality.engine.validate_file` with the bundled 三库 extract (samples/reference) and the
  sample's 报送单位, so every rule runs: field, row, 三库, scope and in-file key rules;
- duckdb: benchmarks/duckdb_baseline.py, the field and row rules (findings included) in DuckDB SQL;
- engine-gb18030 (with `--gb18030`): the engine on the same rows saved as GB18030.

Each child reports the seconds of the validation call itself (imports and start-up excluded; the
whole process is timed too) and the parent takes the child's peak RSS from `os.wait4`. The table is
printed and written to the `<!-- validation-benchmark -->` section of docs/benchmarks.md (other
sections of that file are kept).

With `--messy`, the files are the ones units send first (`make_penalty_file.py --messy --defects
0 / 0.2 / 0.5`: mixed date spellings, full-width digits, none to about half of the rows rejected) and
the engine is timed as a unit runs it: `zfjd validate FILE --json OUT` in its own process (start-up,
imports, validation and writing the JSON), against the DuckDB pass's whole process on the same file.
`--baseline-code DIR` also runs the same command from an older checkout of the code (e.g.
`git archive d94e680 | tar -x -C DIR`), in the same run. Written to the
`<!-- validation-messy-ROWS -->` section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
DOCS = ROOT / "docs" / "benchmarks.md"
SAMPLES = ROOT / "samples"
BEGIN, END = "<!-- validation-benchmark -->", "<!-- /validation-benchmark -->"
MESSY_DEFECTS = (0.0, 0.2, 0.5)
RUNS = {
    "engine": "engine: validate_file (all rules, 三库 + 报送单位)",
    "duckdb": "DuckDB SQL baseline (field + row rules)",
    "engine-gb18030": "engine on the GB18030 copy",
}


# --- children -------------------------------------------------------------------------------------------


def _sample_settings() -> tuple[str, dt.date]:
    import yaml

    expected = yaml.safe_load((SAMPLES / "expected.yaml").read_text(encoding="utf-8"))
    return expected["unit"], dt.date.fromisoformat(str(expected["as_of"]))


def child(run: str, path: Path, as_of: dt.date) -> dict:
    """Runs one validation in this process; returns what the parent reports."""
    sys.path.insert(0, str(ROOT))
    if run.startswith("engine"):
        from quality.engine import validate_file

        unit, _ = _sample_settings()
        started = time.perf_counter()
        result = validate_file(path, "penalty_case", unit=unit, reference=SAMPLES / "reference", as_of=as_of)
        wall = time.perf_counter() - started
        return {
            "wall": wall,
            "rows": result.received,
            "rejected": result.rejected,
            "errors": result.errors.height,
            "findings": result.findings.height,
        }
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import pyarrow  # noqa: F401 - imported before the clock, as the engine's modules import it
    from duckdb_baseline import rejected_rows, run_baseline

    info: dict = {}
    timings: dict[str, float] = {}
    started = time.perf_counter()
    violations = run_baseline(path, as_of, timings=timings, info=info)
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "rows": info["rows"],
        "rejected": rejected_rows(violations).len(),
        "violations": violations.height,
        "stages": timings,
    }


# --- parent ---------------------------------------------------------------------------------------------


def _generated(path: Path, rows: int, *options: str) -> Path:
    """`path`, written by make_penalty_file.py with `options` unless an earlier run left it."""
    if path.exists():
        print(f"reusing {path.relative_to(ROOT)}")
        return path
    print(f"writing {path.relative_to(ROOT)} …", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    command = [sys.executable, str(ROOT / "benchmarks" / "make_penalty_file.py"), str(rows), str(partial)]
    subprocess.run([*command, *options], check=True, cwd=ROOT)
    partial.rename(path)
    return path


def ensure_file(rows: int, encoding: str = "utf-8") -> Path:
    suffix = "" if encoding == "utf-8" else f".{encoding}"
    return _generated(OUT / f"penalty_case_{rows}{suffix}.csv", rows, "--encoding", encoding)


def measure(run: str, path: Path, as_of: dt.date) -> dict:
    """One child process: its report, its peak RSS (MB) and the whole process's seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", run, str(path), "--as-of", as_of.isoformat()]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{run} failed with exit code {process.returncode}")
    report = json.loads(output.decode().strip().splitlines()[-1])
    report.update(
        process_seconds=elapsed,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # ru_maxrss is in KiB on Linux
    )
    return report


def ensure_messy_file(rows: int, defects: float) -> Path:
    path = OUT / f"penalty_case_messy_{rows}_d{round(defects * 100)}.csv"
    return _generated(path, rows, "--messy", "--defects", str(defects))


def measure_command(path: Path, as_of: dt.date, code: Path = ROOT) -> dict:
    """`zfjd validate FILE --json OUT` as a unit runs it, the code taken from `code`: whole process."""
    unit, _ = _sample_settings()
    report = OUT / "validate-report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "zfjd.cli", "validate", str(path), "--entity", "penalty_case", "--unit", unit,
               "--reference", str(SAMPLES / "reference"), "--as-of", as_of.isoformat(), "--json", str(report)]
    environment = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=code, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: some rows rejected
        raise SystemExit(f"zfjd validate failed on {path.name} ({code})")
    document = json.loads(report.read_text(encoding="utf-8"))
    return {
        "wall": elapsed,
        "process_seconds": elapsed,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "rows": document["received"],
        "rejected": document["rejected"],
        "errors": document["errors_total"],
        "findings": document["findings_total"],
    }


def _commit_of(checkout: Path) -> str:
    found = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or "(not a git checkout)"


def messy(rows: int, as_of: dt.date, baseline: Path | None, write: bool) -> None:
    messy_begin, messy_end = f"<!-- validation-messy-{rows} -->", f"<!-- /validation-messy-{rows} -->"
    load = os.getloadavg()[0]
    lines = [
        "| file | run | whole process (s) | rows/s | CPU (s) | peak RSS (MB) | × DuckDB | outcome |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for defects in MESSY_DEFECTS:
        path = ensure_messy_file(rows, defects)
        runs = {"zfjd validate --json": lambda path=path: measure_command(path, as_of)}
        if baseline is not None:
            runs["zfjd validate --json, baseline code"] = lambda path=path: measure_command(path, as_of, baseline)
        runs["DuckDB SQL pass (field + row rules)"] = lambda path=path: measure("duckdb", path, as_of)
        results = {}
        for name, run in runs.items():
            print(f"{path.name}: {name} …", flush=True)
            results[name] = run()
        floor = results["DuckDB SQL pass (field + row rules)"]["process_seconds"]
        for name, r in results.items():
            rejected = f"{r['rejected']:,} rows rejected ({r['rejected'] / r['rows']:.0%})"
            detail = f", {r['errors']:,} errors" if "errors" in r else f", {r['violations']:,} violations"
            lines.append(
                f"| {path.name} | {name} | {r['process_seconds']:.2f} | {r['rows'] / r['process_seconds']:,.0f}"
                f" | {r['cpu_seconds']:.2f} | {r['peak_rss_mb']:,.0f} | {r['process_seconds'] / floor:.2f}"
                f" | {rejected}{detail} |"
            )
        print("\n".join(lines[-len(results):]), flush=True)
    box = machine()
    text = "\n".join(
        [
            messy_begin,
            f"## Validation of messy, error-heavy files of {rows:,} rows, whole process",
            "",
            f"Measured {dt.date.today().isoformat()} with `python benchmarks/run_validation_benchmark.py --messy"
            f" --rows {rows}" + (" --baseline-code DIR" if baseline else "") + "` (each run a fresh process,"
            f" one after the other; load average when it started {load:.2f}; {box['nproc']} CPUs, {box['cpu']}).",
            "Files: `make_penalty_file.py --messy --defects 0 / 0.2 / 0.5` — each date as `2024-03-01`,"
            " `2024年3月1日`, `2024/3/1` or with full-width digits, 更新时间 a third with slashes, a tenth of"
            " 罚款金额 and 统一社会信用代码 in full-width digits."
            + (f" Baseline code: commit {_commit_of(baseline)}, run from its own checkout." if baseline else ""),
            "",
            *lines,
            "",
            "whole process = `zfjd validate FILE --entity penalty_case --unit … --reference samples/reference"
            " --json OUT` from start to exit (start-up, imports, validation, the JSON written); × DuckDB = its"
            " seconds over the DuckDB pass's whole process on the same file (which checks the field and row"
            " rules only). CPU = user + system seconds of the process (its threads summed): on a machine"
            " shared with other work, wall seconds include waiting for a core and CPU seconds do not.",
            messy_end,
        ]
    )
    print(text)
    if write:
        write_docs(text, messy_begin, messy_end)
        print(f"updated {DOCS.relative_to(ROOT)}")


def summarise(reports: list[dict]) -> dict:
    """Median seconds and the largest peak RSS over repeats."""
    summary = dict(reports[-1])
    for key in ("wall", "process_seconds"):
        summary[key] = statistics.median(r[key] for r in reports)
    summary["peak_rss_mb"] = max(r["peak_rss_mb"] for r in reports)
    summary["rows_per_second"] = summary["rows"] / summary["wall"]
    return summary


def machine() -> dict:
    memory_kib = 0
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gib": memory_kib / 1024 / 1024,
        "cpu": model,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def versions() -> dict:
    return {name: metadata.version(name) for name in ("polars", "pandera", "duckdb")}


def _table(results: dict[str, dict]) -> list[str]:
    lines = [
        "| run | wall (s) | rows/s | peak RSS (MB) | whole process (s) | outcome |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for run, r in results.items():
        if run.startswith("engine"):
            outcome = f"{r['rejected']:,} rows rejected, {r['errors']:,} errors, {r['findings']:,} findings"
        else:
            outcome = f"{r['rejected']:,} rows rejected, {r['violations']:,} violations (findings included)"
        lines.append(
            f"| {RUNS[run]} | {r['wall']:.2f} | {r['rows_per_second']:,.0f} | {r['peak_rss_mb']:,.0f}"
            f" | {r['process_seconds']:.2f} | {outcome} |"
        )
    return lines


def section(results: dict[str, dict], rows: int, path: Path, as_of: dt.date, repeat: int, load: float) -> str:
    box, libs = machine(), versions()
    engine, sql = results["engine"], results["duckdb"]
    stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sql.get("stages", {}).items())
    lines = [
        BEGIN,
        "## Validation: the engine against a plain DuckDB SQL pass",
        "",
        f"Measured {dt.date.today().isoformat()} with `python benchmarks/run_validation_benchmark.py --rows {rows}"
        + (" --gb18030" if "engine-gb18030" in results else "")
        + (f" --repeat {repeat}" if repeat > 1 else "")
        + "` (each run a fresh process, one after the other"
        + (f"; median of {repeat}" if repeat > 1 else "")
        + ").",
        "",
        f"- machine: {box['nproc']} CPUs ({box['cpu']}), {box['memory_gib']:.1f} GiB memory, {box['system']},"
        f" Python {box['python']}",
        f"- versions: polars {libs['polars']}, pandera {libs['pandera']}, duckdb {libs['duckdb']};"
        f" load average when it started: {load:.2f} (other work on the machine slows both)",
        f"- data: {rows:,} rows of penalty_case, {path.stat().st_size / 1e6:,.0f} MB UTF-8 CSV"
        f" (`benchmarks/make_penalty_file.py`, seed 7), as of {as_of.isoformat()}",
        "",
        *_table(results),
        "",
        f"**engine / DuckDB: {engine['wall'] / sql['wall']:.2f}× the wall time,"
        f" {engine['peak_rss_mb'] / sql['peak_rss_mb']:.2f}× the peak memory.**",
        "",
        "wall = the validation call (reading the file included; interpreter start-up and imports not);"
        " whole process = the child process from start to exit. The two do not do the same work: the"
        " DuckDB pass checks the field rules and the row rules and findings only, and returns"
        " (row, rule, field); the engine also joins the 三库 (reference and scope rules), checks keys within"
        " the file, attaches each error's value as received, and proves received = accepted + rejected."
        " tests/quality/test_sql_oracle.py checks that both give the same (row, rule, field) for the rules"
        " they share." + (f" DuckDB stages: {stages}." if stages else ""),
        END,
    ]
    return "\n".join(lines)


def write_docs(text: str, begin: str = BEGIN, end: str = END) -> None:
    if DOCS.exists():
        current = DOCS.read_text(encoding="utf-8")
        if begin in current and end in current:
            head, rest = current.split(begin, 1)
            tail = rest.split(end, 1)[1]
            updated = head + text + tail
        else:
            updated = current.rstrip("\n") + "\n\n" + text + "\n"
    else:
        updated = "# Benchmarks\n\nFigures measured on this project's machine; each section says how to repeat it.\n\n"
        updated += text + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--gb18030", action="store_true", help="also time the engine on a GB18030 copy")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (the median is reported)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="default: the sample's as_of")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--messy", action="store_true", help="messy files, 0/20/50 %% defects, whole process")
    parser.add_argument("--baseline-code", type=Path, default=None, help="with --messy: an older checkout to compare")
    parser.add_argument("--child", nargs=2, metavar=("RUN", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    as_of = args.as_of or _sample_settings()[1]
    if args.child:
        run, path = args.child
        print(json.dumps(child(run, Path(path), as_of)))
        return

    if args.messy:
        messy(args.rows, as_of, args.baseline_code, not args.no_docs)
        return
    load = os.getloadavg()[0]
    utf8 = ensure_file(args.rows)
    files = {"engine": utf8, "duckdb": utf8}
    if args.gb18030:
        files["engine-gb18030"] = ensure_file(args.rows, "gb18030")
    results = {}
    for run, path in files.items():
        reports = []
        for attempt in range(args.repeat):
            print(f"{run} ({attempt + 1}/{args.repeat}) …", flush=True)
            reports.append(measure(run, path, as_of))
        results[run] = summarise(reports)
    text = section(results, args.rows, utf8, as_of, args.repeat, load)
    print()
    print("\n".join(_table(results)))
    engine, sql = results["engine"], results["duckdb"]
    wall, memory = engine["wall"] / sql["wall"], engine["peak_rss_mb"] / sql["peak_rss_mb"]
    print(f"\nengine / DuckDB: {wall:.2f}× wall, {memory:.2f}× peak RSS")
    if not args.no_docs:
        write_docs(text)
        print(f"updated {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
