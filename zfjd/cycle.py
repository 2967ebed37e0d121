"""The daily cycle's steps as plain functions: the DAGs only wire these, and tests call them directly.

discover units → (per group of units) intake + validate → warehouse build → checks → publish →
feedback. Every step is idempotent: landing and the lake are content-addressed and skip what is done,
the warehouse is rebuilt from the lake, and publishing swaps a finished copy in atomically.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass

from standards.model import REFERENCE_UNIT  # the 三库 extract lands under this name
from zfjd.home import Home, owner_only, write_secret

# A dropped or pushed file is taken only once unchanged for this long (docs/intake.md, "Uploading a
# file"): a file still being written must not land part of its records. Uploads that write to a
# `.part` name and rename when done are taken at once whatever this is.
DROP_SETTLE_ENV = "ZFJD_DROP_SETTLE_SECONDS"
DEFAULT_DROP_SETTLE_SECONDS = 120.0


def drop_settle_seconds() -> float:
    value = os.environ.get(DROP_SETTLE_ENV)
    try:
        seconds = float(value) if value else DEFAULT_DROP_SETTLE_SECONDS
    except ValueError:
        raise ValueError(f"环境变量 {DROP_SETTLE_ENV} 应为秒数，收到 {value!r}") from None
    if not seconds >= 0:
        raise ValueError(f"环境变量 {DROP_SETTLE_ENV} 应为非负的秒数，收到 {value!r}")
    return seconds


class IntakeIncomplete(RuntimeError):
    """Some units could not be pulled this cycle (their channel failed): everything else was landed and
    validated, and the task fails so that the run does not look complete while a unit is stuck."""


@dataclass(frozen=True)
class ProvinceSpec:
    """The simulated province an embedded instance runs against (zfjd simulate's parameters)."""

    units: int
    days: int
    seed: int
    start: str
    defect_rate: float = 0.03

    @property
    def last_day(self) -> dt.date:
        return dt.date.fromisoformat(self.start) + dt.timedelta(days=self.days - 1)

    def exchange(self):
        from connectors.simulator.exchange import Exchange

        return Exchange.simulate(self.units, self.days, self.seed, dt.date.fromisoformat(self.start), self.defect_rate)


class ProvinceMismatch(ValueError):
    pass


def province_spec(home: Home) -> ProvinceSpec | None:
    path = home.province / "province.json"
    if not path.exists():
        return None
    return ProvinceSpec(**json.loads(path.read_text(encoding="utf-8")))


@owner_only
def prepare_province(home: Home, spec: ProvinceSpec) -> bool:
    """Writes the simulated province once; returns False when the same one is already there."""
    existing = province_spec(home)
    if existing == spec:
        return False
    if existing is not None:
        raise ProvinceMismatch(
            f"{home.root} 中已有另一个模拟省份（{existing.units} 个单位、{existing.days} 天、种子 {existing.seed}），"
            "请换一个 --home 目录，或使用相同的参数"
        )
    import secrets

    from connectors.file_drop import FileDrop, platform_push
    from connectors.simulator.front_db import write_front_tables
    from connectors.simulator.outbox import write_file_drops, write_pushes, write_reference, write_units_config

    exchange = _simulated_exchange(spec)  # kept: the API channel serves the same province in this process
    folder = home.create().province
    channels = write_units_config(exchange, folder / "units.yaml")
    write_reference(exchange, folder / "reference")
    by_channel = {c: [u for u, ch in channels.items() if ch == c] for c in set(channels.values())}
    drop, push = FileDrop(folder / "drop"), platform_push(folder / "push")
    for day in exchange.days:
        write_file_drops(exchange, drop, by_channel.get("file_drop", []), day)
        write_pushes(exchange, push, by_channel.get("platform_push", []), day)
    write_front_tables(exchange, _front_url(home))
    write_secret(folder / "api-token", secrets.token_urlsafe(24))
    # Written last: a province without it is incomplete and is written again.
    (folder / "province.json").write_text(json.dumps(asdict(spec), indent=1), encoding="utf-8")
    return True


def _front_url(home: Home) -> str:
    return f"sqlite:///{home.province / 'front.sqlite'}"


_registry_kept: dict[str, tuple[tuple, object]] = {}


def registry(home: Home):
    """The 报送单位 and their channels, from the 三库's 执法主体 and units.yaml; read again only when
    one of those files changed (every intake group asks for it)."""
    import polars as pl

    from connectors.registry import Registry
    from standards.loader import standard
    from zfjd.instance import ROLE_FILE, city_role
    from zfjd.lake import files_fingerprint, reference_of

    config = home.province / "units.yaml"
    fingerprint = files_fingerprint(home.reference, config, home.root / ROLE_FILE)
    kept = _registry_kept.get(str(home.root))
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    bodies = reference_of(home.reference, standard()).entities
    if bodies is None:
        bodies = pl.DataFrame(schema={"TYSHXYDM": pl.String, "BSDWDM": pl.String, "XZQHDM": pl.String})
    found = Registry.load(bodies, config)
    role = city_role(home)
    # A city takes in its city's units only; the province leaves out the units its cities take in.
    found = found.of_city(role.city, bodies) if role is not None else found.relayed(bodies)
    _registry_kept[str(home.root)] = (fingerprint, found)
    return found


def discover_units(home: Home) -> list[str]:
    """Every registered 报送单位, in a stable order."""
    return sorted(registry(home).units)


def unit_groups(units: list[str], size: int) -> list[list[str]]:
    """Units in groups of `size`: the daily DAG maps over groups, never over single units or rows."""
    return [units[start : start + size] for start in range(0, len(units), size)]


@dataclass
class GroupOutcome:
    units: int
    landed_rows: int
    new_batches: int
    received: int
    accepted: int
    rejected: int
    findings: int
    problems: list[str]


@owner_only
def intake_and_validate(
    home: Home, units: list[str], *, as_of: dt.date, settle_seconds: float | None = None, clock=time.time
) -> GroupOutcome:
    """Pulls and lands each unit's records through its channel, then validates its new batches.

    Each unit is pulled on its own: a unit whose channel fails (or whose batch cannot be validated) is
    reported in `problems`, and the other units of the group go on; at the end, if any unit's channel
    failed, `IntakeIncomplete` is raised with every problem (the rest is landed and validated by then).
    An input that cannot be read is not a failure: it is landed, quarantined with its reason (which the
    unit's feedback shows) and named in `problems`. Files are taken once unchanged for `settle_seconds`
    (default: `drop_settle_seconds()`), measured by `clock`."""
    from connectors.file_drop import FileDrop, platform_push
    from connectors.intake import run_intake
    from connectors.landing import Landing
    from connectors.registry import Registry
    from connectors.sql import FrontDbSource
    from connectors.watermarks import WatermarkStore
    from zfjd.lake import Lake, LakeReport, validate_landed

    full = registry(home)
    chosen = Registry({code: full.units[code] for code in units if code in full.units})
    problems = [f"{code}：未在报送单位名册中" for code in units if code not in full.units]
    landing, watermarks = Landing(home.landing), WatermarkStore(home.watermarks)
    landed_rows = new_batches = 0
    failed: list[str] = []
    settle = drop_settle_seconds() if settle_seconds is None else settle_seconds
    with ExitStack() as stack:
        stack.callback(watermarks.close)
        api = _api_source(home, stack) if chosen.by_channel("api") else None
        sql = FrontDbSource(_front_url(home)) if chosen.by_channel("sql") else None
        drop = FileDrop(home.province / "drop", settle_seconds=settle, clock=clock)
        push = platform_push(home.province / "push", settle_seconds=settle, clock=clock)
        # The group's batches are made durable at once, at the end (not file by file); only then are
        # its files archived and its watermarks moved, so a crash before that takes them all again.
        with landing.durable_together():
            for code, unit in chosen.units.items():
                try:
                    report = run_intake(
                        Registry({code: unit}), landing, watermarks, api=api, sql=sql, drop=drop, push=push
                    )
                except Exception as exc:  # one unit's failure never blocks the others
                    failed.append(f"{code}（{unit.channel}）：归集失败：{type(exc).__name__}: {exc}")
                    continue
                landed_rows += report.rows_landed
                new_batches += report.new_batches
                for tally in report.channels.values():
                    problems.extend(f"{code}：{problem}" for problem in tally.problems)
    lake = Lake(home.lake)
    relays = full.relays()  # city instances are validated with their whole city's scope
    try:
        checked = validate_landed(landing, lake, home.reference, as_of=as_of, units=set(chosen.units), relays=relays)
    except Exception:
        # Find the unit whose batch fails and let the others through.
        checked = LakeReport()
        for code in chosen.units:
            try:
                one = validate_landed(landing, lake, home.reference, as_of=as_of, units={code}, relays=relays)
            except Exception as exc:
                failed.append(f"{code}：校验失败：{type(exc).__name__}: {exc}")
                continue
            for name in ("batches", "validated", "received", "accepted", "rejected", "findings"):
                setattr(checked, name, getattr(checked, name) + getattr(one, name))
    if failed:
        raise IntakeIncomplete("\n".join([f"{len(failed)} 个报送单位本次未能完成归集或校验：", *failed, *problems]))
    return GroupOutcome(
        units=len(chosen.units),
        landed_rows=landed_rows,
        new_batches=new_batches,
        received=checked.received,
        accepted=checked.accepted,
        rejected=checked.rejected,
        findings=checked.findings,
        problems=problems,
    )


# Under a scheduler the mapped intake tasks already run side by side; `zfjd run`'s embedded runner runs
# one task at a time, so it lets one task spread its units over the machine's cores (airflow_setup.run_dag).
INTAKE_WORKERS_ENV = "ZFJD_INTAKE_WORKERS"
MAX_INTAKE_WORKERS = 4
# A worker process starts in ~2 CPU s (its imports): a group smaller than this is taken in one process.
MIN_UNITS_PER_WORKER = 10


def intake_workers() -> int:
    value = os.environ.get(INTAKE_WORKERS_ENV, "1")
    try:
        workers = int(value)
    except ValueError:
        raise ValueError(f"环境变量 {INTAKE_WORKERS_ENV} 应为进程数，收到 {value!r}") from None
    if workers < 1:
        raise ValueError(f"环境变量 {INTAKE_WORKERS_ENV} 应为不小于 1 的进程数，收到 {value!r}")
    return min(workers, MAX_INTAKE_WORKERS)


# A worker's start (~2 CPU s of imports) pays off from this many files waiting for it: a day of a
# 100-unit group (~150 files) is taken faster in one process, a month of it (~2,400) in two.
MIN_FILES_PER_WORKER = 500


def file_intake_workers(home: Home, units: list[str], workers: int | None = None) -> int:
    """How many of `workers` (default: `intake_workers()`) a group of file-channel units is worth: by the
    files waiting in their inboxes (file drops and platform pushes)."""
    workers = intake_workers() if workers is None else workers
    waiting = 0
    for channel in ("drop", "push"):
        for unit in units:
            folder = home.province / channel / "inbox" / unit
            if folder.is_dir():
                waiting += sum(len(os.listdir(entity)) for entity in folder.iterdir() if entity.is_dir())
    return max(1, min(workers, waiting // MIN_FILES_PER_WORKER))


def machine_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def intake_spread(
    home: Home, units: list[str], *, as_of: dt.date, settle_seconds: float | None = None, workers: int = 1,
    share: Callable[[str, list[str], dt.date, float | None], GroupOutcome] | None = None,
) -> GroupOutcome:
    """`intake_and_validate` of `units`, spread over up to `workers` processes, each taking its share of
    the units (disjoint units write disjoint batches, as mapped tasks do side by side). The outcome is the
    sum of the shares'; when a share is incomplete, the others still finish and `IntakeIncomplete` names
    every unit that was not taken in. `share`: what a worker runs on its share (a module-level function,
    for tests)."""
    workers = min(workers, len(units) // MIN_UNITS_PER_WORKER)
    if workers <= 1:
        return intake_and_validate(home, units, as_of=as_of, settle_seconds=settle_seconds)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shares = [units[index::workers] for index in range(workers)]  # interleaved: each share alike
    # spawn, not fork: polars' thread pool must not be copied mid-flight into a child
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(share or _intake_share, str(home.root), part, as_of, settle_seconds) for part in shares
        ]
    outcomes: list[GroupOutcome] = []
    incomplete: list[str] = []
    for future in futures:
        try:
            outcomes.append(future.result())
        except IntakeIncomplete as exc:
            incomplete.append(str(exc))
    problems = [problem for outcome in outcomes for problem in outcome.problems]
    if incomplete:
        raise IntakeIncomplete("\n".join([*incomplete, *problems]))
    total = add_outcomes([asdict(outcome) for outcome in outcomes])
    return GroupOutcome(**total)


def _intake_share(root: str, units: list[str], as_of: dt.date, settle_seconds: float | None) -> GroupOutcome:
    return intake_and_validate(Home.at(root), units, as_of=as_of, settle_seconds=settle_seconds)


def _api_source(home: Home, stack: ExitStack):
    """The exchange API: the simulated one on loopback for a simulated province, else from the
    environment (ZFJD_EXCHANGE_URL / ZFJD_EXCHANGE_TOKEN) or an Airflow Connection."""
    from connectors.api import ApiSource

    spec = province_spec(home)
    if spec is None:
        return ApiSource.from_env()
    from connectors.simulator.api_server import start_api

    token = (home.province / "api-token").read_text(encoding="utf-8").strip()
    server = stack.enter_context(start_api(_simulated_exchange(spec), token=token))
    return ApiSource(server.url, token)


@functools.lru_cache(maxsize=1)
def _simulated_exchange(spec: ProvinceSpec):
    """The simulated exchange behind the API, simulated once per process: simulating the whole province
    for every group of API units made the intake grow with units × groups."""
    return spec.exchange()


@owner_only
def land_reference(home: Home, *, as_of: dt.date) -> int:
    """Lands the province's 三库 extract (as any batch: content-addressed, idempotent) and validates it;
    the warehouse keeps its history (SCD2). Returns the number of new batches."""
    from connectors.file_drop import decode
    from connectors.landing import Landing, RawBatch
    from zfjd.lake import EXTRACT_ENTITIES, Lake, validate_landed

    landing = Landing(home.landing)
    new = 0
    for entity in EXTRACT_ENTITIES:
        path = home.reference / f"{entity}.csv"
        if not path.exists():
            continue
        content = path.read_bytes()
        batch = RawBatch(REFERENCE_UNIT, entity, "reference", content, decode(path), source_name=path.name)
        _, created = landing.land(batch)
        new += created
    validate_landed(landing, Lake(home.lake), home.reference, as_of=as_of, units={REFERENCE_UNIT})
    return new


# Channels share a pool when they share a resource: both file channels read the file store.
CHANNEL_KINDS = {"api": "api", "sql": "sql", "file_drop": "files", "platform_push": "files"}


def channel_groups(home: Home, size: int) -> dict[str, list[list[str]]]:
    """Units by kind of channel (`api`, `sql`, `files`), in groups of `size`: the daily DAG maps one task
    per group and caps each kind's connections with its pool."""
    units = registry(home).units
    kinds: dict[str, list[str]] = {kind: [] for kind in ("api", "sql", "files")}
    for code in sorted(units):
        kinds[CHANNEL_KINDS[units[code].channel]].append(code)
    return {kind: unit_groups(codes, size) for kind, codes in kinds.items()}


def resolve_as_of(home: Home, requested: str | None = None, logical_date: dt.datetime | None = None) -> dt.date:
    """The day a run checks as of: the one asked for; else, for a scheduled or backfill run, the day before
    its logical date in Beijing time (a run at 02:00 takes the whole previous day); else the simulated
    province's last day; else yesterday in Beijing time."""
    if requested:
        return dt.date.fromisoformat(str(requested))
    beijing = dt.timezone(dt.timedelta(hours=8))
    if logical_date is not None:
        return logical_date.astimezone(beijing).date() - dt.timedelta(days=1)
    spec = province_spec(home)
    if spec is not None:
        return spec.last_day
    return dt.datetime.now(beijing).date() - dt.timedelta(days=1)


@dataclass
class LakeTotals:
    units: int
    batches: int
    received: int
    accepted: int
    rejected: int
    findings: int
    unusable_batches: int


def lake_totals(home: Home) -> LakeTotals:
    """What the lake holds from the units (the province's 三库 extract not counted)."""
    from zfjd.lake import Lake

    entries = [e for e in Lake(home.lake).entries() if e.unit != REFERENCE_UNIT]
    return LakeTotals(
        units=len({e.unit for e in entries}),
        batches=len(entries),
        received=sum(e.received for e in entries),
        accepted=sum(e.accepted for e in entries),
        rejected=sum(e.rejected for e in entries),
        findings=sum(e.findings for e in entries),
        unusable_batches=sum(e.unusable_reason is not None for e in entries),
    )


def add_outcomes(outcomes: list[dict]) -> dict:
    """Adds up GroupOutcome dicts (the mapped intake tasks' results)."""
    total = {"units": 0, "landed_rows": 0, "new_batches": 0, "received": 0, "accepted": 0, "rejected": 0,
             "findings": 0, "problems": []}
    for outcome in outcomes:
        if not outcome:
            continue
        for key in total:
            total[key] = total[key] + outcome.get(key, [] if key == "problems" else 0)
    return total


@owner_only
def check_warehouse(home: Home) -> dict:
    """great-expectations on the warehouse's marts, Data Docs under DIR/reports/data-docs/.

    The outcome is remembered with the fingerprint of the analyst-facing tables: when a later run has
    exactly the same content (the same day run again), the checks that passed on it are not run again
    and the Data Docs stay as they are. Raises when an expectation fails (nothing is published then)."""
    from quality.expectations import check_warehouse as run_checks
    from zfjd.publish import content_fingerprint

    docs = home.reports / "data-docs"
    record = docs / "last-check.json"
    fingerprint = content_fingerprint(home.warehouse)
    if record.exists() and (docs / "index.html").exists():
        last = json.loads(record.read_text(encoding="utf-8"))
        if last.get("fingerprint") == fingerprint:
            return {**last, "reused": True}
    report = run_checks(home.warehouse, docs)
    if report.failed:
        raise ValueError("主题库检查未通过，不发布：\n" + "\n".join(report.failed))
    summary = {"fingerprint": fingerprint, "tables": len(report.tables), "expectations": report.expectations,
               "docs": report.docs}
    record.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return {**summary, "reused": False}


@owner_only
def write_feedback(home: Home, as_of: dt.date) -> list[str]:
    """Per-unit feedback files (zfjd/reports/feedback.py writes them)."""
    try:
        from zfjd.reports.feedback import write_unit_feedback
    except ImportError as exc:
        raise ImportError(
            "缺少 zfjd/reports/feedback.py 中的 write_unit_feedback(home, as_of)：各单位反馈文件无法生成"
        ) from exc
    from zfjd.upward import province_rejections

    return [str(path) for path in write_unit_feedback(home, as_of, province_rejections(home, as_of))]


@owner_only
def write_monthly(home: Home, month: str, out_dir=None) -> list[str]:
    """The month's 通报 from the published warehouse alone (zfjd/reports/monthly.py writes it)."""
    from pathlib import Path

    try:
        from zfjd.reports.monthly import write_monthly_report
    except ImportError as exc:
        raise ImportError(
            "缺少 zfjd/reports/monthly.py 中的 write_monthly_report(published_db, month, out_dir)：月度通报无法生成"
        ) from exc
    out = Path(out_dir) if out_dir else home.reports / "monthly" / month
    return [str(path) for path in write_monthly_report(home.published, month, out)]


@owner_only
def draw_review_sample(home: Home, month: str) -> dict:
    """The month's 随机抽查 draw: `mart_review_sample` built with `review_month` set (reproducible from the
    project's `review_seed`). Writes the warehouse: one writer at a time."""
    import json as _json

    from zfjd.warehouse import dbt_vars, run_dbt

    as_of = (dt.date.fromisoformat(f"{month}-01") + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    variables = {**dbt_vars(as_of), "review_month": month}
    result = run_dbt(["build", "--select", "mart_review_sample", "--vars", _json.dumps(variables)], home)
    if not result.success:
        raise RuntimeError(f"{month} 随机抽查抽取失败：\n" + "\n".join(result.failures))
    return {"month": month, "seconds": round(result.seconds, 1)}
