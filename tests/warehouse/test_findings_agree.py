"""The two engines agree: `zfjd validate`'s findings on the simulated province equal `fct_finding`.

The current version of every 处罚案件, 强制措施 and 检查 the warehouse holds is chosen again from the
lake's raw rows (the latest 更新时间, then batch, then row: macros/latest_version.sql), written out as
each 报送单位's file and validated by the engine as the lake validates (quality/engine.py
`validate_batches`, as that unit, against the same 三库 extract, as of the same day), without reading
any issue the lake recorded. Its findings — (rule, record, field) — must be exactly fct_finding's
rows, rule by rule. A record the engine rejects now has no findings to compare: it is left out on
both sides (and counted in the message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from warehouse_compare import table
from warehouse_recompute import latest

from quality.engine import BatchFile, ValidationResult, validate_batches
from quality.read import ROW, UnusableFile
from quality.reference import load_reference
from standards.loader import standard
from standards.model import LIST_SEPARATOR

# Each record kind of fct_finding (= its raw lake table): its staging model and the record id it stages.
STAGED = {
    "penalty_case": ("staging.stg_lake__penalty_cases", "case_id"),
    "coercion_case": ("staging.stg_lake__coercion_cases", "coercion_id"),
    "inspection": ("staging.stg_lake__inspections", "inspection_id"),
}
FINDING = ["rule_id", "record_id", "field_code"]
NO_FIELD = ""  # a finding about the record as a whole: null in both engines, compared as this
EXAMPLES = 3
# Not vacuous: this many rules must have findings on both sides (the 20 × 30 province has 5).
MIN_RULES_ON_BOTH_SIDES = 3


@dataclass(frozen=True)
class Revalidated:
    findings: pl.DataFrame  # rule_id, record_id, field_code
    rejected_ids: set[str]  # records the engine rejects now: no findings to compare
    records: int


def current_versions(database: Path, entity_code: str) -> pl.DataFrame:
    """The latest version of each record from `raw.<entity>`, with its id as staged (key fields `|`-joined)."""
    keys = list(standard().entity(entity_code).key)
    raw = table(database, f'raw."{entity_code}"')
    return latest(raw, keys).with_columns(pl.concat_str([pl.col(k) for k in keys], separator="|").alias("record_id"))


def as_submitted(versions: pl.DataFrame, entity_code: str) -> pl.DataFrame:
    """The records as text in the standard's own layout (field codes as headers), as a unit sends them."""
    codes = standard().entity(entity_code).field_codes
    return versions.select(
        pl.col(code).dt.strftime("%Y-%m-%d %H:%M:%S") if versions.schema[code] == pl.Datetime else pl.col(code)
        for code in codes
    ).with_columns(pl.all().cast(pl.String))


def revalidate(home, entity_code: str, as_of: dt.date, scratch: Path) -> Revalidated:
    """The engine's findings on the current versions, each unit's records validated as that unit's file."""
    versions = current_versions(home.warehouse, entity_code)
    files, rows_of, records_of = [], {}, {}
    for (unit,), records in versions.partition_by("unit", as_dict=True, maintain_order=True).items():
        path = scratch / f"{entity_code}-{len(files):05d}.csv"
        as_submitted(records, entity_code).write_csv(path)
        files.append(BatchFile(str(path.name), path, unit))
        # the file's data row n (1 = first under the header) is the record at records[n - 1]
        rows_of[path.name] = records.select(pl.int_range(1, pl.len() + 1).alias("row"), "record_id")
        records_of[path.name] = records
    reference = load_reference(home.reference, standard())
    outcomes = validate_batches(files, entity_code, reference=reference, as_of=as_of)
    findings, rejected = [], []
    for key, outcome in outcomes.items():
        assert not isinstance(outcome, UnusableFile), (key, str(outcome))
        assert isinstance(outcome, ValidationResult)
        ids = rows_of[key]
        _assert_judged_as_stored(outcome, records_of[key], entity_code)
        findings.append(outcome.findings.join(ids, on="row", how="left"))
        rejected.append(outcome.errors.select("row").unique().join(ids, on="row", how="left"))
    found = pl.concat(findings, how="vertical_relaxed")
    assert found["record_id"].null_count() == 0, "a finding on a row the files did not hold"
    return Revalidated(
        findings=found.select(
            pl.col("rule").alias("rule_id"), "record_id", pl.col("field").fill_null(NO_FIELD).alias("field_code")
        ),
        rejected_ids=set(pl.concat(rejected)["record_id"].to_list()),
        records=versions.height,
    )


def _assert_judged_as_stored(outcome: ValidationResult, records: pl.DataFrame, entity_code: str) -> None:
    """The engine read back exactly the values the warehouse holds (no date, amount or list lost on the way)."""
    codes = list(standard().entity(entity_code).field_codes)
    read_back = outcome.accepted_rows.with_columns(
        pl.col(c).list.join(LIST_SEPARATOR) for c, dtype in outcome.accepted_rows.schema.items() if dtype == pl.List
    )
    stored = records.with_row_index(ROW, offset=1).filter(pl.col(ROW).is_in(read_back[ROW].implode()))
    as_text = [pl.col(c).cast(pl.String) for c in (ROW, *codes)]
    assert read_back.sort(ROW).select(as_text).equals(stored.sort(ROW).select(as_text)), entity_code


def warehouse_findings(database: Path, entity_code: str) -> pl.DataFrame:
    return (
        table(database, "marts.fct_finding")
        .filter(pl.col("record_kind") == entity_code)
        .select("rule_id", "record_id", pl.col("field_code").fill_null(NO_FIELD))
    )


def disagreements(validated: pl.DataFrame, warehouse: pl.DataFrame) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Per rule: a line for each rule whose two sets differ, and (validated, warehouse) counts of every rule."""
    lines, counts = [], {}
    for rule_id in sorted(set(validated["rule_id"]) | set(warehouse["rule_id"])):
        ours = validated.filter(pl.col("rule_id") == rule_id)
        theirs = warehouse.filter(pl.col("rule_id") == rule_id)
        counts[rule_id] = (ours.height, theirs.height)
        only_validated = ours.join(theirs, on=FINDING, how="anti").sort(FINDING)
        only_warehouse = theirs.join(ours, on=FINDING, how="anti").sort(FINDING)
        # equal counts too: a finding recorded twice on one side is a difference the anti-joins cannot see
        if only_validated.is_empty() and only_warehouse.is_empty() and ours.height == theirs.height:
            continue
        lines.append(
            f"{rule_id}: zfjd validate {ours.height}, fct_finding {theirs.height}; "
            f"only in validate {_extra(only_validated)}; only in fct_finding {_extra(only_warehouse)}"
        )
    return lines, counts


def _extra(frame: pl.DataFrame) -> str:
    """How many rows one side has that the other lacks, and the first few as record_id[field]."""
    if frame.is_empty():
        return "0"
    examples = [
        f"{record_id}[{field or '—'}]"
        for record_id, field in frame.select("record_id", "field_code").head(EXAMPLES).iter_rows()
    ]
    return f"{frame.height} e.g. {', '.join(examples)}"


@pytest.mark.slow
def test_validate_and_the_warehouse_find_the_same_findings_rule_by_rule(duckdb_build, tmp_path):
    home, spec = duckdb_build
    validated, warehouse, notes = [], [], []
    for entity_code, (staging, id_column) in STAGED.items():
        # the records compared are the warehouse's own current versions
        staged = table(home.warehouse, staging).select(
            id_column, "batch_id", pl.col("record_number").alias("row_number")
        )
        chosen = current_versions(home.warehouse, entity_code).select(
            pl.col("record_id").alias(id_column), "batch_id", "row_number"
        )
        assert chosen.sort(id_column).equals(staged.sort(id_column)), f"{entity_code}: not the staged versions"
        again = revalidate(home, entity_code, spec.last_day, tmp_path)
        accepted = ~pl.col("record_id").is_in(sorted(again.rejected_ids))
        validated.append(again.findings.filter(accepted))
        warehouse.append(warehouse_findings(home.warehouse, entity_code).filter(accepted))
        notes.append(f"{entity_code}: {again.records} current records, {len(again.rejected_ids)} rejected now")
    lines, counts = disagreements(pl.concat(validated), pl.concat(warehouse))

    on_both_sides = sorted(rule for rule, (ours, theirs) in counts.items() if ours and theirs)
    summary = "; ".join(notes) + f"\nrules with findings on both sides: {on_both_sides}"
    assert len(on_both_sides) >= MIN_RULES_ON_BOTH_SIDES, f"too few rules to compare\n{summary}\n{counts}"
    assert not lines, (
        "zfjd validate and fct_finding disagree (rule_id, record_id[field_code]):\n" + "\n".join(lines) + f"\n{summary}"
    )
