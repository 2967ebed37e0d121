"""The warehouse step: load the lake into the restricted `raw` schema, then `dbt build`.

The warehouse is a function of the lake: `raw` is replaced from the lake's files on every build (the
tables are small next to what DuckDB reads per second), so a re-run or a run after a crash gives the
same tables. Only the dbt snapshots keep state, and they are keyed on 更新时间 (timestamp strategy),
so the same data snapshotted twice changes nothing. `raw` holds unmasked personal data and is never
published; every analyst-facing schema is masked by the models. The warehouse file, its WAL, dbt's
target and logs are created owner-only (`owner_only`): another local user cannot ATTACH the file.

Targets: `duckdb` (the default: one file, one writer) and `postgres` (the same project on a server,
checked in CI). Connection settings come from the environment (see dbt_project/profiles.yml).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import glob
import io
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from connectors.durability import read_whole
from standards.loader import standard as load_standard
from standards.model import Entity
from zfjd.home import Home, owner_only
from zfjd.lake import EXTRACT_ENTITIES, ISSUE_SCHEMA, UNIT_REPORTED_ENTITIES, LedgerEntry

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
RAW_SCHEMA = "raw"
LAKE_ENTITIES = UNIT_REPORTED_ENTITIES + EXTRACT_ENTITIES
SQL_TYPES = {
    "date": "date",
    "datetime": "timestamp",
    "decimal": "double precision",
    "integer": "bigint",
}
# The ledger's and the issues' columns are those the lake writes (zfjd/lake.py), not retyped here.
LEDGER_COLUMNS = {f.name: "bigint" if f.type in (int, "int") else "varchar" for f in dataclasses.fields(LedgerEntry)}
_POLARS_SQL_TYPES = {pl.Int64: "bigint", pl.Boolean: "boolean"}
ISSUE_COLUMNS = {name: _POLARS_SQL_TYPES.get(dtype, "varchar") for name, dtype in ISSUE_SCHEMA.items()}
RECORD_META = {"row_number": "bigint", "batch_id": "varchar", "unit": "varchar", "received_at": "varchar"}


def raw_columns(entity: Entity) -> dict[str, str]:
    """The `raw.<entity>` columns: every field of the standard (lists `;`-joined text) + where it came from."""
    columns = {f.code: SQL_TYPES.get(f.type, "varchar") for f in entity.fields}
    return {**columns, **RECORD_META}


def raw_tables() -> dict[str, dict[str, str]]:
    spec = load_standard()
    tables = {entity: raw_columns(spec.entity(entity)) for entity in LAKE_ENTITIES}
    tables["ledger"] = LEDGER_COLUMNS
    tables["issue"] = ISSUE_COLUMNS
    return tables


def _files(lake: Path, table: str) -> list[str]:
    if table == "issue":
        pattern = lake / "issues" / "*.parquet"
    elif table == "ledger":
        pattern = lake / "ledger" / "*.json"
    else:
        pattern = lake / "accepted" / table / "*.parquet"
    return sorted(glob.glob(str(pattern)))


def _ddl(schema: str, table: str, columns: dict[str, str]) -> str:
    body = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    return f'create table {schema}."{table}" ({body})'


@dataclass
class LoadReport:
    rows: dict[str, int]


@owner_only
def load_lake_duckdb(lake: Path, database: Path) -> LoadReport:
    """Replaces `raw.*` in the DuckDB warehouse with the lake's contents, in one transaction."""
    import duckdb

    database.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(database)) as con:
        con.execute("begin")
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        for table, columns in raw_tables().items():
            con.execute(f'drop table if exists {RAW_SCHEMA}."{table}"')
            con.execute(_ddl(RAW_SCHEMA, table, columns))
            frame = _read_lake_table(lake, table, columns)
            if frame.height:
                names = ", ".join(f'"{c}"' for c in columns)
                con.register("lake_rows", frame.rechunk().to_arrow(compat_level=pl.CompatLevel.oldest()))
                con.execute(f'insert into {RAW_SCHEMA}."{table}" by name select {names} from lake_rows')
                con.unregister("lake_rows")
            rows[table] = con.execute(f'select count(*) from {RAW_SCHEMA}."{table}"').fetchone()[0]
        con.execute("commit")
    return LoadReport(rows)


_POLARS_TYPES = {"varchar": pl.String, "bigint": pl.Int64, "date": pl.Date, "double precision": pl.Float64,
                 "timestamp": pl.Datetime("us"), "boolean": pl.Boolean}


def _parquet_frame(files: list[str], columns: dict[str, str]) -> pl.DataFrame | None:
    """The lake's Parquet files of one table, read by polars as the table's columns (a column a file
    lacks is null, one it has beyond them is left out); None when a file holds a column in another type.
    A day is thousands of files of a few rows: DuckDB's reader spent ~4 ms setting up each file's columns
    (8 s for 2,200 files of penalty cases), polars reads them in one parallel scan (~1 s)."""
    schema = {name: _POLARS_TYPES[kind] for name, kind in columns.items()}
    try:
        return pl.scan_parquet(files, schema=schema, missing_columns="insert", extra_columns="ignore").collect()
    except pl.exceptions.SchemaError:
        return None


def _ledger_frame(lake: Path) -> pl.DataFrame:
    """The lake's committed ledger entries, one row each. Read here rather than by the database's JSON
    reader: a day is thousands of small entries (DuckDB's reader took longer than all the Parquet), and
    an entry a power loss cut short is no commit (`Lake.entry`): it is left out, not a failed load."""
    entries = (read_whole(Path(path), LedgerEntry) for path in _files(lake, "ledger"))
    schema = {name: pl.Int64 if kind == "bigint" else pl.String for name, kind in LEDGER_COLUMNS.items()}
    return pl.DataFrame([dataclasses.asdict(entry) for entry in entries if entry is not None], schema=schema)


@owner_only
def load_lake_postgres(lake: Path, dsn: str) -> LoadReport:
    """The same `raw.*` on PostgreSQL (COPY from the lake's files), replaced in one transaction."""
    import psycopg

    rows: dict[str, int] = {}
    with psycopg.connect(dsn) as con, con.cursor() as cur:
        cur.execute(f"create schema if not exists {RAW_SCHEMA}")
        for table, columns in raw_tables().items():
            cur.execute(f'drop table if exists {RAW_SCHEMA}."{table}" cascade')
            cur.execute(_ddl(RAW_SCHEMA, table, columns))
            frame = _read_lake_table(lake, table, columns)
            if frame.height:
                names = ", ".join(f'"{c}"' for c in columns)
                with cur.copy(f'copy {RAW_SCHEMA}."{table}" ({names}) from stdin with (format csv)') as copy:
                    copy.write(copy_csv(frame))
            rows[table] = frame.height
    return LoadReport(rows)


def copy_csv(frame: pl.DataFrame) -> bytes:
    """`frame` as PostgreSQL's COPY reads CSV. PostgreSQL text cannot hold a NUL character: one that
    came in a unit's value (kept in the lake as received) is written as U+FFFD, so that it cannot stop
    the load of every unit's data."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    frame = frame.with_columns(pl.col(text).str.replace_all("\x00", "\ufffd", literal=True))
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", datetime_format="%Y-%m-%d %H:%M:%S")
    return buffer.getvalue()


def _read_lake_table(lake: Path, table: str, columns: dict[str, str]) -> pl.DataFrame:
    """One `raw` table as the lake holds it, in `columns`: what both engines load."""
    if table == "ledger":
        return _ledger_frame(lake).select(list(columns))
    files = _files(lake, table)
    if not files:
        return pl.DataFrame(schema={name: _POLARS_TYPES[kind] for name, kind in columns.items()})
    frame = _parquet_frame(files, columns)
    if frame is None:  # files in other types (an older lake's): each read alone, the engine casts on load
        frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
    missing = [c for c in columns if c not in frame.columns]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    # Empty text and a missing value must stay apart in CSV: empty strings do not occur after
    # normalisation (the engine trims and turns blanks into nulls), so "" means null here.
    return frame.select(list(columns))


@contextlib.contextmanager
def dbt_environment(home: Home, *, target: str = "duckdb", as_of: dt.date | None = None) -> Iterator[dict]:
    """Environment variables the dbt profile reads, set for the duration of a build."""
    values = {
        "ZFJD_WAREHOUSE": str(home.warehouse),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "ZFJD_DBT_TARGET": target,
        # Compiled SQL, manifests and logs per instance, so two instances (or tests) never share them.
        "DBT_TARGET_PATH": str(dbt_target_path(home)),
        "DBT_LOG_PATH": str(dbt_target_path(home) / "logs"),
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_target_path(home: Home) -> Path:
    return home.warehouse.parent / "dbt-target"


def dbt_vars(as_of: dt.date) -> dict[str, str]:
    return {"as_of": as_of.isoformat()}


def daily_build_environment(home: Home) -> dict[str, str]:
    """The variables the daily DAG's `dbt build` runs with (dags/zfjd_daily.py)."""
    return {"ZFJD_WAREHOUSE": str(home.warehouse), "ZFJD_DBT_TARGET": "duckdb", "DBT_PROFILES_DIR": str(PROJECT_DIR)}


def daily_build_parse_cache(home: Home) -> Path:
    """Where the daily DAG's `dbt build` keeps dbt's partial parse between runs (Cosmos's `cache_dir`)."""
    return home.airflow / "cosmos-cache" / "dbt_build"


# The `dbt parse` this process started ahead of its first build (parsed_ahead), which the build waits for.
_parsing_ahead: subprocess.Popen | None = None
PARSE_AHEAD_TIMEOUT_SECONDS = 600
# Below the work that waits on nothing else (the province simulated, the intake): the parse has until
# the build to finish, and takes what those leave of the machine.
PARSE_AHEAD_NICENESS = 10


@contextlib.contextmanager
def parsed_ahead(home: Home, as_of: dt.date) -> Iterator[None]:
    """Runs `dbt parse` in its own process, for the daily build of `as_of`, into the daily build's parse
    cache, while the body runs: the build waits for it (`wait_for_parse_ahead`), and so does the end of
    the body; if the body fails, it is stopped (nothing is built).

    dbt parses the whole project when it has no partial parse of the same variables (8 s of the first
    `dbt build` here): the first `zfjd run` does it from the start, at a lower priority, on what the
    simulation and the first tasks leave of the machine, and the build finds it. The same variables,
    profile and flags as the DAG's build, or dbt simply parses again (never a wrong answer). Its output
    is kept beside the cache (parse-ahead.log)."""
    import json
    import sys

    global _parsing_ahead
    cache = daily_build_parse_cache(home)
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-c", "from dbt.cli.main import cli; cli()", "parse",
        "--vars", json.dumps(dbt_vars(as_of)),
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--profile", "zfjd",
        "--target", "duckdb",
        # Cosmos gives the build this flag (cosmos/operators/local.py): parsed the same way here.
        "--no-static-parser",
        "--target-path", str(cache / "target"), "--log-path", str(cache / "logs"),
    ]
    with (cache / "parse-ahead.log").open("w", encoding="utf-8") as log:
        parsing = subprocess.Popen(command, env={**os.environ, **daily_build_environment(home)}, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=cache)
    with contextlib.suppress(OSError):  # a priority that cannot be lowered leaves it at the usual one
        os.setpriority(os.PRIO_PROCESS, parsing.pid, PARSE_AHEAD_NICENESS)
    _parsing_ahead = parsing
    try:
        yield
        wait_for_parse_ahead()
    finally:
        _parsing_ahead = None
        _stop(parsing)


def wait_for_parse_ahead() -> None:
    """Before a build: the parse this process started ahead (if any) has finished, so that the build
    reads a whole parse cache, never one being written. A parse that takes too long is stopped: the
    build then parses for itself."""
    parsing = _parsing_ahead
    if parsing is None:
        return
    try:
        parsing.wait(timeout=PARSE_AHEAD_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        _stop(parsing)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@dataclass
class BuildResult:
    success: bool
    failures: list[str]
    seconds: float


@owner_only
def run_dbt(args: list[str], home: Home, *, target: str = "duckdb", as_of: dt.date | None = None) -> BuildResult:
    """Runs dbt in-process (dbtRunner) against `home`'s warehouse; returns what failed, by node."""
    import time

    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    command = [*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target", target]
    if as_of is not None:
        import json

        command += ["--vars", json.dumps(dbt_vars(as_of))]
    with dbt_environment(home, target=target, as_of=as_of):
        try:
            outcome = dbtRunner().invoke(command)
        finally:
            if target == "duckdb":
                release_duckdb()
    failures = []
    if outcome.result is not None and hasattr(outcome.result, "results"):
        failures = [
            f"{r.node.unique_id}: {r.status} {r.message or ''}".strip()
            for r in outcome.result.results
            if str(r.status) in ("error", "fail", "runtime error")
        ]
    if outcome.exception is not None:
        failures.append(str(outcome.exception))
    return BuildResult(outcome.success, failures, time.perf_counter() - started)


def release_duckdb() -> None:
    """dbt-duckdb keeps its database open for the life of the process (a class-level environment); a
    read-only reader or the loader in the same process is refused until it is closed. Its private
    state is touched only here."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if environment is not None:
            environment.close()


@owner_only
def build(
    home: Home, *, as_of: dt.date, target: str = "duckdb", dsn: str | None = None, unit_tests: bool = True
) -> BuildResult:
    """Loads the lake and builds every model, snapshot, seed and test. `unit_tests=False` leaves out dbt's
    unit tests (SQL checked against fixed fixtures: the same answer on every day), as the daily cycle does."""
    if target == "duckdb":
        load_lake_duckdb(home.lake, home.warehouse)
    else:
        load_lake_postgres(home.lake, dsn or postgres_dsn())
    selection = [] if unit_tests else ["--exclude", "resource_type:unit_test"]
    return run_dbt(["build", *selection], home, target=target, as_of=as_of)


@owner_only
def generate_docs(home: Home, *, as_of: dt.date) -> Path:
    """dbt docs as one self-contained HTML file (`--static`, works offline) under DIR/reports/dbt-docs/."""
    import shutil

    result = run_dbt(["docs", "generate", "--static"], home, as_of=as_of)
    if not result.success:
        raise RuntimeError("dbt docs 生成失败：" + "；".join(result.failures))
    target = home.reports / "dbt-docs" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dbt_target_path(home) / "static_index.html", target)
    return target


def postgres_dsn() -> str:
    """From ZFJD_PG_* variables (the dbt profile reads the same ones); defaults fit the local server."""
    host = os.environ.get("ZFJD_PG_HOST", "127.0.0.1")
    port = os.environ.get("ZFJD_PG_PORT", "5432")
    user = os.environ.get("ZFJD_PG_USER", "postgres")
    database = os.environ.get("ZFJD_PG_DATABASE", "zfjd")
    password = os.environ.get("ZFJD_PG_PASSWORD", "")
    auth = f" password={password}" if password else ""
    return f"host={host} port={port} user={user} dbname={database}{auth}"
