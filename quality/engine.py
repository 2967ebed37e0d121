"""Validates one file of one entity against the standard: accepted rows, rejected rows, findings.

Per chunk: read (as text) → map headers → normalise → join the 三库 → run the pandera schema. After
the last chunk the in-file key rules run over a compact digest. Every received row ends up accepted
or rejected (received = accepted + rejected, checked before returning), and a rejected row carries
every error found on it, not just the first.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from quality.batch import batch_violations, digest
from quality.context import RuleContext
from quality.headers import map_headers
from quality.normalise import normalise
from quality.read import DEFAULT_CHUNK_ROWS, ROW, TableSource, UnusableFile, open_table, with_malformed_lines
from quality.reference import Reference, enrich, load_reference
from quality.schema import REPORTINGS, find_failures, plan_checks
from quality.workdays import WorkdayCalendar
from standards.loader import standard as load_project_standard
from standards.model import Standard

MALFORMED_RULE = "record.malformed"
# Rules whose deadline counts working days, and the date the count starts from.
WORKING_DAY_RULES = {"finding.late_publicity": "CF_JDRQ"}
ERROR_COLUMNS = {"row": pl.Int64, "field": pl.String, "rule": pl.String, "value": pl.String}
FINDING_COLUMNS = {"row": pl.Int64, "field": pl.String, "rule": pl.String}
CHINA = ZoneInfo("Asia/Shanghai")


def today_in_china() -> dt.date:
    return dt.datetime.now(CHINA).date()


@dataclass
class ValidationResult:
    entity: str
    unit: str | None
    source: str
    file_format: str
    encoding: str | None
    received: int
    accepted: int
    rejected: int
    errors: pl.DataFrame  # row, field, rule, value  (one row per error; rejected rows only)
    findings: pl.DataFrame  # row, field, rule       (accepted rows only)
    skipped_rules: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accepted_path: Path | None = None
    rejected_path: Path | None = None


@dataclass
class _Collected:
    errors: list[pl.DataFrame] = field(default_factory=list)
    findings: list[pl.DataFrame] = field(default_factory=list)
    digests: list[pl.DataFrame] = field(default_factory=list)
    rows: int = 0


def validate_file(
    path: Path,
    entity_code: str,
    *,
    unit: str | None = None,
    reference: Reference | Path | None = None,
    as_of: dt.date | None = None,
    standard: Standard | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    output_dir: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
    reporting: str = "outcomes",
) -> ValidationResult:
    """Validates `path` as `entity_code`. Raises UnusableFile when the file as a whole is unusable.

    With `output_dir`, accepted rows (normalised) and rejected rows (as received) are written there as
    `accepted.parquet` and `rejected.parquet`. `reporting` chooses who lists the failing (row, rule)
    pairs — see quality/schema.py; both give the same result (tested).
    """
    if reporting not in REPORTINGS:
        raise ValueError(f"reporting must be one of {REPORTINGS}")
    standard = standard or load_project_standard()
    entity = standard.entity(entity_code)
    as_of = as_of or today_in_china()
    if not isinstance(reference, Reference):
        reference = load_reference(reference, standard)
    source = open_table(Path(path), sheet_hint=(entity.name, entity.code), chunk_rows=chunk_rows)
    header_map = map_headers(source.headers, entity, standard)
    calendar = WorkdayCalendar(standard.holidays)
    ctx = RuleContext(entity, standard, as_of, calendar)

    collected = _Collected()
    spill = Path(tempfile.mkdtemp(prefix="zfjd-validate-")) if output_dir else None
    typed_cache: dict = {}
    plan = None  # (columns, checks, skipped rules): the same for every chunk of a file
    try:
        for index, chunk in enumerate(_read_ahead(source.chunks())):
            raw = chunk.select([*header_map.columns, ROW]).rename(header_map.columns)
            typed = normalise(raw, entity, standard, typed_cache)
            typed = enrich(typed, entity.code, reference, unit, as_of)
            if plan is None or plan[0] != set(typed.columns):
                plan = (set(typed.columns), *plan_checks(ctx, set(typed.columns)))
            planned = plan[1]
            _note_calendar_years(ctx, typed)
            rejects, findings = _split(find_failures(ctx, planned, typed, reporting), standard)
            collected.errors.append(_with_values(rejects, raw))
            collected.findings.append(findings.select(list(FINDING_COLUMNS)))
            collected.digests.append(digest(typed, entity))
            collected.rows += typed.height
            if spill is not None:
                typed.select(ROW, *entity.field_codes).write_parquet(spill / f"typed-{index:05d}.parquet")
                raw.write_parquet(spill / f"raw-{index:05d}.parquet")
            if on_progress is not None:
                on_progress(collected.rows)
        result = _assemble(entity_code, unit, source, collected, standard)
        result.skipped_rules = plan[2] if plan else []
        result.notes = _notes(ctx, reference, unit, collected)
        if output_dir is not None:
            _write_outputs(result, spill, Path(output_dir), entity.field_codes, source.malformed)
        return result
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def _read_ahead(chunks: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Reads the next chunk on a second thread while this one is checked (polars and the CSV parser
    release the GIL), so reading overlaps validation; at most two chunks are in memory."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="zfjd-read") as reader:
        pending = reader.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = reader.submit(next, chunks, None)
            yield chunk


def _split(failures: pl.DataFrame, standard: Standard) -> tuple[pl.DataFrame, pl.DataFrame]:
    findings_ids = [rule.id for rule in standard.rules.values() if rule.severity == "finding"]
    is_finding = pl.col("rule").is_in(findings_ids)
    return failures.filter(~is_finding), failures.filter(is_finding)


def _with_values(errors: pl.DataFrame, raw: pl.DataFrame) -> pl.DataFrame:
    """Attaches the value exactly as the unit sent it to each (row, field) error."""
    if errors.is_empty():
        return pl.DataFrame(schema=ERROR_COLUMNS)
    parts = []
    for (code,), group in errors.group_by("field"):
        # A gathered string may be a view into the chunk's buffers and would keep the whole chunk
        # alive until the end of the file: copy the (few) values out so memory follows the chunk size.
        # An optional column the file left out had nothing sent in it.
        values = raw[code].gather(group["position"]).to_list() if code in raw.columns else [None] * group.height
        parts.append(group.with_columns(pl.Series("value", values, dtype=pl.String)))
    return pl.concat(parts).select(list(ERROR_COLUMNS))


def _assemble(entity_code, unit, source: TableSource, collected: _Collected, standard: Standard) -> ValidationResult:
    entity = standard.entity(entity_code)
    digests = pl.concat(collected.digests) if collected.digests else None
    errors = [e for e in collected.errors if e.height]
    if digests is not None and digests.height:
        in_file = batch_violations(digests, entity)
        if in_file.height:
            keyed_values = digests.select(pl.col(ROW).alias("row"), pl.col("__key").alias("value"))
            in_file = in_file.rename({ROW: "row"}).join(keyed_values, on="row", how="left")
            errors.append(
                in_file.with_columns(pl.col("value").str.replace_all("\x1f", " / ")).select(list(ERROR_COLUMNS))
            )
    if source.malformed:
        errors.append(
            pl.DataFrame(
                {
                    "row": [m.row for m in source.malformed],
                    "field": [None] * len(source.malformed),
                    "rule": [MALFORMED_RULE] * len(source.malformed),
                    "value": [m.text[:500] for m in source.malformed],
                },
                schema=ERROR_COLUMNS,
            )
        )
    all_errors = (
        pl.concat(errors).sort("row", "rule", "field", nulls_last=True)
        if errors
        else pl.DataFrame(schema=ERROR_COLUMNS)
    )
    rejected_rows = all_errors["row"].unique()
    findings = [f for f in collected.findings if f.height]
    all_findings = (
        pl.concat(findings).filter(~pl.col("row").is_in(rejected_rows.implode())).sort("row", "rule")
        if findings
        else pl.DataFrame(schema=FINDING_COLUMNS)
    )
    received = collected.rows + len(source.malformed)
    rejected = rejected_rows.len()
    result = ValidationResult(
        entity=entity_code,
        unit=unit,
        source=str(source.path),
        file_format=source.format,
        encoding=source.encoding,
        received=received,
        accepted=received - rejected,
        rejected=rejected,
        errors=all_errors,
        findings=all_findings,
    )
    if result.accepted < 0 or result.accepted + result.rejected != result.received:
        raise RuntimeError(f"conservation broken: {received=} {rejected=}")
    return result


def _note_calendar_years(ctx: RuleContext, typed: pl.DataFrame) -> None:
    """Lets the calendar remember years it had to guess (weekends only) for working-day deadlines."""
    for rule_id, column in WORKING_DAY_RULES.items():
        if ctx.standard.rules[rule_id].applies(ctx.entity.code) and column in typed.columns:
            ctx.calendar.uncovered_years(typed[column], ctx.standard.rules[rule_id].params["working_days"])


def _notes(ctx: RuleContext, reference: Reference, unit: str | None, collected: _Collected) -> list[str]:
    notes = []
    if reference.is_empty:
        notes.append("未提供三库数据（--reference），执法主体、执法事项、执法人员的引用核对与越权报送核对未执行")
    if unit is None:
        notes.append("未指定报送单位（--unit），报送单位与越权报送核对未执行")
    guessed = ctx.calendar.uncovered_years_seen()
    if guessed:
        years = "、".join(str(y) for y in guessed)
        notes.append(f"{years}年的法定节假日与调休安排尚未收录，公示期限按周末推算，结果仅供参考")
    return notes


def _write_outputs(result: ValidationResult, spill: Path, output_dir: Path, field_codes, malformed) -> None:
    """accepted.parquet: accepted rows, normalised; rejected.parquet: rejected rows exactly as received,
    a malformed row as its line of text (`__malformed_text`), so the quarantine loses nothing."""
    output_dir.mkdir(parents=True, exist_ok=True)
    rejected = result.errors["row"].unique().implode()
    accepted_path = output_dir / "accepted.parquet"
    rejected_path = output_dir / "rejected.parquet"
    typed = pl.scan_parquet(spill / "typed-*.parquet").filter(~pl.col(ROW).is_in(rejected))
    typed.sink_parquet(accepted_path, row_group_size=100_000)
    raw = pl.scan_parquet(spill / "raw-*.parquet").filter(pl.col(ROW).is_in(rejected))
    raw = with_malformed_lines(raw, malformed)
    raw.sink_parquet(rejected_path, row_group_size=100_000)
    result.accepted_path, result.rejected_path = accepted_path, rejected_path


__all__ = ["MALFORMED_RULE", "UnusableFile", "ValidationResult", "today_in_china", "validate_file"]
