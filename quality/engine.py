"""Validates one file of one entity against the standard: accepted rows, rejected rows, findings.

Per chunk: read (as text) → map headers → normalise → join the 三库 → run the pandera schema. After
the last chunk the in-file key rules run over a compact digest. Every received row ends up accepted
or rejected (received = accepted + rejected, checked before returning), and a rejected row carries
every error found on it, not just the first.

`validate_batches` checks many small files of one entity (the landed batches of a day) in one pass
and returns, for each, exactly what `validate_file` returns for it alone: the per-call cost (~60 ms
of normalising, planning and joining, whatever the row count) is paid once per group, not per file.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from quality.batch import batch_violations, digest
from quality.context import RuleContext
from quality.headers import map_headers
from quality.normalise import normalise
from quality.read import DEFAULT_CHUNK_ROWS, ROW, TableSource, UnusableFile, open_table, with_malformed_lines
from quality.reference import Reference, enrich, enrich_as_sent, load_reference
from quality.schema import REPORTINGS, find_failures, plan_checks
from quality.workdays import WorkdayCalendar
from standards.loader import standard as load_project_standard
from standards.model import Standard

MALFORMED_RULE = "record.malformed"
# Rules whose deadline counts working days, and the date the count starts from (for the note that
# names the years counted provisionally; each finding carries its own `provisional` flag).
WORKING_DAY_RULES = {
    "finding.late_publicity": "CF_JDRQ",
    "finding.late_service": "CF_JDRQ",
    "finding.late_withdrawal": "FYSSRQ",
}
ERROR_COLUMNS = {"row": pl.Int64, "field": pl.String, "rule": pl.String, "value": pl.String}
FINDING_COLUMNS = {"row": pl.Int64, "field": pl.String, "rule": pl.String, "provisional": pl.Boolean}
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
    findings: pl.DataFrame  # row, field, rule, provisional (accepted rows only)
    skipped_rules: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accepted_path: Path | None = None
    rejected_path: Path | None = None
    # From validate_batches: the same rows as accepted.parquet / rejected.parquet, kept in memory.
    accepted_rows: pl.DataFrame | None = None
    rejected_rows: pl.DataFrame | None = None


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
        result.notes = _notes(ctx, reference, unit, collected) + _provisional_note(result.findings)
        if output_dir is not None:
            _write_outputs(result, spill, Path(output_dir), entity.field_codes, source.malformed)
        return result
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


@dataclass(frozen=True)
class BatchFile:
    """One file of a `validate_batches` group: `key` names its outcome; `unit` is who sent it."""

    key: str
    path: Path
    unit: str | None = None


@dataclass
class _Part:
    file: BatchFile
    source: TableSource
    raw: pl.DataFrame  # field codes present in this file (its header order) + ROW, the file's own numbers
    offset: int  # the file's rows are offset + ROW in the group


PART = "__part"
_UNIT = "__unit"


def validate_batches(
    files: Sequence[BatchFile],
    entity_code: str,
    *,
    reference: Reference | Path | None = None,
    as_of: dt.date | None = None,
    standard: Standard | None = None,
    reporting: str = "outcomes",
) -> dict[str, ValidationResult | UnusableFile]:
    """Validates each of `files` as `entity_code`, all in one pass, as if each were validated alone.

    For each key: the ValidationResult `validate_file` gives for that file alone (rows numbered as in
    the file; accepted rows normalised and rejected rows as received in `accepted_rows` /
    `rejected_rows`), or the UnusableFile it raises — one unusable file does not touch the others.
    The group is held in memory as one chunk: the caller keeps it small (validate_file streams a
    large file). How the files stay apart in the pass:
    - each gets its own range of row numbers (offset + its row), so every per-row step — errors and
      their values, findings, the 三库 joins, which are keyed by row — sees distinct rows;
    - the in-file key rules run per file (a partition in the digest);
    - the 三库 scope columns depend on who sent the file: computed per unit.
    """
    if reporting not in REPORTINGS:
        raise ValueError(f"reporting must be one of {REPORTINGS}")
    if len({file.key for file in files}) != len(files):
        raise ValueError("each file of a group needs its own key")
    standard = standard or load_project_standard()
    entity = standard.entity(entity_code)
    as_of = as_of or today_in_china()
    if not isinstance(reference, Reference):
        reference = load_reference(reference, standard)
    ctx = RuleContext(entity, standard, as_of, WorkdayCalendar(standard.holidays))

    outcomes: dict[str, ValidationResult | UnusableFile] = {}
    parts: list[_Part] = []
    offset = 0
    for file in files:
        try:
            source, raw = _read_whole(file.path, entity, standard)
        except UnusableFile as problem:
            outcomes[file.key] = problem
            continue
        parts.append(_Part(file, source, raw, offset))
        last_row = max([raw[ROW].max() or 0, *(m.row for m in source.malformed)], default=0)
        offset += max(last_row, 0)
    # Without a sender the scope rules are skipped: such files get their own pass, with their own plan.
    for kind in ([p for p in parts if p.file.unit is None], [p for p in parts if p.file.unit is not None]):
        if kind:
            results = _validate_parts(kind, ctx, reference, reporting)
            outcomes.update(zip((part.file.key for part in kind), results, strict=True))
    return {file.key: outcomes[file.key] for file in files}


def _read_whole(path: Path, entity, standard: Standard) -> tuple[TableSource, pl.DataFrame]:
    source = open_table(Path(path), sheet_hint=(entity.name, entity.code))
    header_map = map_headers(source.headers, entity, standard)
    renamed = [pl.col(header).alias(code) for header, code in header_map.columns.items()]
    chunks = [chunk.select(*renamed, ROW) for chunk in source.chunks()]
    if not chunks:  # every line malformed (or none at all): still a file, with no well-formed rows
        chunks = [pl.DataFrame(schema={**dict.fromkeys(header_map.columns.values(), pl.String), ROW: pl.Int64})]
    return source, pl.concat(chunks)


def _validate_parts(
    parts: list[_Part], ctx: RuleContext, reference: Reference, reporting: str
) -> list[ValidationResult]:
    entity, standard = ctx.entity, ctx.standard
    offsets = pl.Series("offset", [part.offset for part in parts], dtype=pl.Int64)
    # a column one file left out is null in its rows: what normalise assumes anyway
    raw = pl.concat([part.raw for part in parts], how="diagonal")
    # Each file's offset and index added in one pass for the group, not one pass per file.
    heights = [part.raw.height for part in parts]
    raw = raw.with_columns(
        pl.col(ROW) + pl.Series(np.repeat(offsets.to_numpy(), heights)),
        pl.Series(PART, np.repeat(np.arange(len(parts), dtype=np.int64), heights)),
    )
    typed = normalise(raw, entity, standard).with_columns(raw[PART])
    typed = _enrich_per_unit(typed, [part.file.unit for part in parts], reference, ctx.as_of, entity.code)
    planned, skipped = plan_checks(ctx, set(typed.columns))
    _note_calendar_years(ctx, typed)
    rejects, findings = _split(find_failures(ctx, planned, typed, reporting), standard)
    checked = [_with_values(rejects, raw)]
    digests = digest(typed, entity, partition=PART)
    in_file = batch_violations(digests, entity, partition=PART)
    if in_file.height:
        keyed_values = digests.select(pl.col(ROW).alias("row"), pl.col("__key").alias("value"))
        in_file = in_file.rename({ROW: "row"}).join(keyed_values, on="row", how="left")
        checked.append(in_file.with_columns(pl.col("value").str.replace_all("\x1f", " / ")).select(list(ERROR_COLUMNS)))
    # From here on rows are (file, the file's own row): a malformed line's number is the file's, and
    # need not even fall in the file's range (an unnumbered line is -1).
    errors = [_located(pl.concat(checked), offsets)]
    malformed = [(index, m.row, m.text[:500]) for index, part in enumerate(parts) for m in part.source.malformed]
    if malformed:
        errors.append(
            pl.DataFrame(
                {
                    PART: [index for index, _, _ in malformed],
                    "row": [row for _, row, _ in malformed],
                    "field": [None] * len(malformed),
                    "rule": [MALFORMED_RULE] * len(malformed),
                    "value": [text for _, _, text in malformed],
                },
                schema={PART: pl.Int64, **ERROR_COLUMNS},
            )
        )
    all_errors = pl.concat(errors)
    rejected = all_errors.select(PART, "row").unique()
    all_findings = _located(findings.select(list(FINDING_COLUMNS)), offsets).join(
        rejected, on=[PART, "row"], how="anti", maintain_order="left"
    )

    def by_part(frame: pl.DataFrame, order: list[str]) -> dict[int, pl.DataFrame]:
        # The order validate_file sorts a file's rows in, file by file.
        frame = frame.sort(PART, *order, nulls_last=True)
        return {key: piece for (key,), piece in frame.partition_by(PART, as_dict=True, include_key=False).items()}

    errors_of = by_part(all_errors, ["row", "rule", "field"])
    findings_of = by_part(all_findings, ["row", "rule"])
    accepted = _located(typed.select(PART, pl.col(ROW).alias("row"), *entity.field_codes), offsets)
    accepted = accepted.join(rejected, on=[PART, "row"], how="anti", maintain_order="left").rename({"row": ROW})
    accepted_of = {key: piece for (key,), piece in accepted.partition_by(PART, as_dict=True, include_key=False).items()}
    no_rows = accepted.drop(PART).clear()

    results = []
    for index, part in enumerate(parts):
        part_errors = errors_of.get(index, pl.DataFrame(schema=ERROR_COLUMNS))
        part_findings = findings_of.get(index, pl.DataFrame(schema=FINDING_COLUMNS))
        rejected_here = part_errors["row"].unique()
        received = part.raw.height + len(part.source.malformed)
        result = ValidationResult(
            entity=entity.code,
            unit=part.file.unit,
            source=str(part.source.path),
            file_format=part.source.format,
            encoding=part.source.encoding,
            received=received,
            accepted=received - rejected_here.len(),
            rejected=rejected_here.len(),
            errors=part_errors,
            findings=part_findings,
            skipped_rules=list(skipped),
            notes=_notes_of_part(ctx, reference, part, typed, index) + _provisional_note(part_findings),
            accepted_rows=accepted_of.get(index, no_rows),
            rejected_rows=with_malformed_lines(
                part.raw.filter(pl.col(ROW).is_in(rejected_here.implode())), part.source.malformed
            ),
        )
        if result.accepted < 0 or result.accepted + result.rejected != result.received:
            raise RuntimeError(f"conservation broken: {part.file.key} {received=} {result.rejected=}")
        results.append(result)
    return results


def _located(frame: pl.DataFrame, offsets: pl.Series) -> pl.DataFrame:
    """`row` (a group row) → PART, the file it belongs to (the last whose offset lies below it:
    offsets ascend), and `row`, its number in that file."""
    part = pl.lit(offsets).search_sorted(pl.col("row"), side="left").cast(pl.Int64) - 1
    located = frame.with_columns(part.alias(PART))
    return located.with_columns(pl.col("row") - offsets.gather(located[PART])).select(PART, pl.exclude(PART))


def _enrich_per_unit(
    typed: pl.DataFrame, units: list[str | None], reference: Reference, as_of: dt.date, entity_code: str
) -> pl.DataFrame:
    """The 三库 columns as each file's sender sees them: the joins once for the whole group, the scope
    columns by each row's sender (a group holds ~100 units: one `enrich` per unit cost more than the
    rules themselves)."""
    if len(set(units)) == 1 or units[0] is None:
        return enrich(typed, entity_code, reference, units[0], as_of)
    senders = pl.Series(_UNIT, units, dtype=pl.String).gather(typed[PART])
    # In the group's row order: error values are gathered from the raw frame by position.
    return enrich_as_sent(typed, entity_code, reference, senders, as_of).sort(ROW)


def _notes_of_part(ctx: RuleContext, reference: Reference, part: _Part, typed: pl.DataFrame, index: int) -> list[str]:
    """The notes validate_file gives this file; the holiday note only for years its own dates touch."""
    if not ctx.calendar.uncovered_years_seen():
        return _notes(ctx, reference, part.file.unit, _Collected())
    alone = RuleContext(ctx.entity, ctx.standard, ctx.as_of, WorkdayCalendar(ctx.standard.holidays))
    _note_calendar_years(alone, typed.filter(pl.col(PART) == index))
    return _notes(alone, reference, part.file.unit, _Collected())


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


def _provisional_note(findings: pl.DataFrame) -> list[str]:
    count = int(findings["provisional"].sum()) if "provisional" in findings.columns else 0
    if not count:
        return []
    return [f"其中 {count} 条监督发现为“暂定”：期限经过尚未公布节假日安排的年份，安排公布后重新计算，不作为确定结论"]


def _notes(ctx: RuleContext, reference: Reference, unit: str | None, collected: _Collected) -> list[str]:
    notes = []
    if reference.is_empty:
        notes.append("未提供三库数据（--reference），执法主体、执法事项、执法人员的引用核对与越权报送核对未执行")
    if unit is None:
        notes.append("未指定报送单位（--unit），报送单位与越权报送核对未执行")
    guessed = ctx.calendar.uncovered_years_seen()
    if guessed:
        years = "、".join(str(y) for y in guessed)
        notes.append(
            f"{years}年的法定节假日与调休安排尚未公布，期限按周末和《全国年节及纪念日放假办法》规定的法定节假日推算；"
            "依赖该年份的监督发现标为“暂定”，安排公布后重新计算"
        )
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
