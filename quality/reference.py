"""The 三库 extracts a unit checks against, and the columns they add to a chunk of records.

The province publishes the 执法主体, 执法人员 and 执法事项 libraries down to units as files in the
standard's own layout; a folder holding `enforcement_entity.csv` (or `执法主体.xlsx`, …) is a
reference. Joining a chunk against it adds boolean/number columns (named here) that the reference
and scope rules in quality/rules.py read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from quality.headers import map_headers
from quality.normalise import normalise
from quality.read import ROW, UnusableFile, open_table
from standards.model import Standard

ENTITY_KNOWN = "__entity_known"
ENTITY_ACTIVE = "__entity_active"
IN_SCOPE = "__in_scope"
SUBMITTER_MATCHES = "__submitter_matches"
MATTER_KNOWN = "__matter_known"
MATTER_KIND_OK = "__matter_kind_ok"
MATTER_HELD = "__matter_held"
MATTER_FINE_MIN = "__matter_fine_min"
MATTER_FINE_MAX = "__matter_fine_max"
OFFICERS_UNKNOWN = "__officers_unknown"
OFFICERS_CARD_INVALID = "__officers_card_invalid"
OFFICER_ENTITY_KNOWN = "__officer_entity_known"

REFERENCE_ENTITIES = ("enforcement_entity", "officer", "matter")
SUFFIXES = (".csv", ".xlsx")
# Which 事项类别 each kind of record must use, and which date a record is judged on.
MATTER_KIND_OF = {"penalty_case": "CF", "coercion_case": "QZ", "inspection": "JC"}
OFFICERS_FIELD_OF = {"penalty_case": "CBRY", "coercion_case": "CBRY", "inspection": "JCRY"}
ACTIVE_STATUS = "1"
VALID_CARD = "1"


@dataclass(frozen=True)
class Reference:
    """Normalised 三库 frames; any of them may be absent."""

    entities: pl.DataFrame | None = None
    officers: pl.DataFrame | None = None
    matters: pl.DataFrame | None = None

    @property
    def is_empty(self) -> bool:
        return self.entities is None and self.officers is None and self.matters is None

    def scope_of(self, unit: str) -> set[str]:
        """The 执法主体 a 报送单位 answers for: itself and every body that names it as 报送单位."""
        scope = {unit}
        if self.entities is not None:
            scope.update(self.entities.filter(pl.col("BSDWDM") == unit)["TYSHXYDM"].drop_nulls().to_list())
        return scope


def load_reference(folder: Path | None, standard: Standard) -> Reference:
    if folder is None:
        return Reference()
    folder = Path(folder)
    if not folder.is_dir():
        raise UnusableFile(f"三库目录不存在：{folder}")
    frames = {}
    for entity_code in REFERENCE_ENTITIES:
        entity = standard.entity(entity_code)
        path = _find(folder, (entity.code, entity.name))
        if path is None:
            continue
        source = open_table(path, sheet_hint=(entity.name, entity.code))
        header_map = map_headers(source.headers, entity, standard)
        chunks = [
            normalise(chunk.select([*header_map.columns, ROW]).rename(header_map.columns), entity, standard)
            for chunk in source.chunks()
        ]
        frames[entity_code] = pl.concat(chunks) if chunks else None
    return Reference(frames.get("enforcement_entity"), frames.get("officer"), frames.get("matter"))


def _find(folder: Path, stems: tuple[str, ...]) -> Path | None:
    for stem in stems:
        for suffix in SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def judged_on(entity_code: str, as_of: dt.date) -> pl.Expr:
    """The date a record is checked against the 三库 on (whether bodies, matters, cards were valid)."""
    today = pl.lit(as_of)
    if entity_code == "penalty_case":
        return pl.coalesce(pl.col("CF_JDRQ"), pl.col("LARQ"), today)
    if entity_code == "coercion_case":
        return pl.coalesce(pl.col("JDRQ"), today)
    if entity_code == "inspection":
        return pl.coalesce(pl.col("JCRQ"), today)
    return today


def _valid_on(day: pl.Expr, start: str, end: str) -> pl.Expr:
    return (pl.col(start) <= day).fill_null(False) & (pl.col(end).is_null() | (day <= pl.col(end)))


def enrich(
    frame: pl.DataFrame, entity_code: str, reference: Reference, unit: str | None, as_of: dt.date
) -> pl.DataFrame:
    """Adds the reference/scope columns the entity's rules need (absent reference → column absent)."""
    columns = set(frame.columns)
    if unit is not None and "BSDWDM" in columns:
        frame = frame.with_columns((pl.col("BSDWDM") == unit).fill_null(True).alias(SUBMITTER_MATCHES))
    if reference.entities is not None and "ZTDM" in columns:
        frame = _join_entity(frame, entity_code, reference.entities, as_of)
        if unit is not None:
            scope = sorted(reference.scope_of(unit))
            frame = frame.with_columns((pl.col("ZTDM").is_in(scope) | pl.col("ZTDM").is_null()).alias(IN_SCOPE))
    if entity_code == "officer" and reference.entities is not None:
        known = reference.entities["TYSHXYDM"].drop_nulls().unique()
        frame = frame.with_columns(pl.col("SSZTDM").is_in(known.implode()).alias(OFFICER_ENTITY_KNOWN))
        if unit is not None:
            scope = sorted(reference.scope_of(unit))
            frame = frame.with_columns((pl.col("SSZTDM").is_in(scope) | pl.col("SSZTDM").is_null()).alias(IN_SCOPE))
    if reference.matters is not None and entity_code in MATTER_KIND_OF:
        frame = _join_matter(frame, entity_code, reference.matters, as_of)
    if reference.officers is not None and entity_code in OFFICERS_FIELD_OF:
        frame = _join_officers(frame, entity_code, reference.officers, as_of)
    return frame


def _join_entity(frame: pl.DataFrame, entity_code: str, entities: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    bodies = (
        entities.select(
            pl.col("TYSHXYDM").alias("ZTDM"),
            pl.col("ZT").alias("__ref_status"),
            pl.col("SXRQ").alias("__ref_start"),
            pl.col("SHXRQ").alias("__ref_end"),
        )
        .unique(subset="ZTDM", keep="last")
        .with_columns(pl.lit(True).alias(ENTITY_KNOWN))
    )
    if entity_code == "penalty_case":
        day = pl.coalesce(pl.col("LARQ"), pl.col("CF_JDRQ"), pl.lit(as_of))
    else:
        day = judged_on(entity_code, as_of)
    joined = frame.join(bodies, on="ZTDM", how="left", maintain_order="left")
    active = (pl.col("__ref_status") == ACTIVE_STATUS) & _valid_on(day, "__ref_start", "__ref_end")
    return joined.with_columns(
        pl.col(ENTITY_KNOWN).fill_null(False),
        active.fill_null(False).alias(ENTITY_ACTIVE),
    ).drop("__ref_status", "__ref_start", "__ref_end")


def _join_matter(frame: pl.DataFrame, entity_code: str, matters: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    versions = matters.select(
        "SXBM",
        "BBH",
        "SXLB",
        "SSZTDM",
        "FKXX",
        "FKSX",
        pl.col("ZT").alias("__m_status"),
        pl.col("SXRQ").alias("__m_start"),
        pl.col("SHXRQ").alias("__m_end"),
    )
    cases = frame.select(ROW, "SXBM", "ZTDM", judged_on(entity_code, as_of).alias("__day"))
    valid = (
        cases.join(versions, on="SXBM", how="inner")
        .filter((pl.col("__m_status") == ACTIVE_STATUS) & _valid_on(pl.col("__day"), "__m_start", "__m_end"))
        .sort(ROW, "BBH", descending=[False, True])
        .group_by(ROW, maintain_order=True)
        .first()
        .select(
            ROW,
            pl.lit(True).alias(MATTER_KNOWN),
            (pl.col("SXLB") == MATTER_KIND_OF[entity_code]).alias(MATTER_KIND_OK),
            pl.col("SSZTDM").list.contains(pl.col("ZTDM")).fill_null(False).alias(MATTER_HELD),
            pl.col("FKXX").alias(MATTER_FINE_MIN),
            pl.col("FKSX").alias(MATTER_FINE_MAX),
        )
    )
    return frame.join(valid, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col(MATTER_KNOWN).fill_null(False),
        pl.col(MATTER_KIND_OK).fill_null(False),
        pl.col(MATTER_HELD).fill_null(False),
    )


def _join_officers(frame: pl.DataFrame, entity_code: str, officers: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    cards = officers.select(
        pl.col("ZFZH").alias("__card"),
        pl.col("ZJZT").alias("__card_status"),
        pl.col("YXQQ").alias("__card_from"),
        pl.col("YXQZ").alias("__card_to"),
    ).unique(subset="__card", keep="last")
    listed = OFFICERS_FIELD_OF[entity_code]
    per_officer = (
        frame.select(ROW, pl.col(listed).alias("__card"), judged_on(entity_code, as_of).alias("__day"))
        .explode("__card")
        .filter(pl.col("__card").is_not_null())
        .join(cards, on="__card", how="left")
        .with_columns(
            pl.col("__card_status").is_null().alias("__unknown"),
            (
                pl.col("__card_status").is_not_null()
                & ~((pl.col("__card_status") == VALID_CARD) & _valid_on(pl.col("__day"), "__card_from", "__card_to"))
            ).alias("__invalid"),
        )
        .group_by(ROW)
        .agg(pl.col("__unknown").any().alias(OFFICERS_UNKNOWN), pl.col("__invalid").any().alias(OFFICERS_CARD_INVALID))
    )
    return frame.join(per_officer, on=ROW, how="left", maintain_order="left").with_columns(
        pl.col(OFFICERS_UNKNOWN).fill_null(False), pl.col(OFFICERS_CARD_INVALID).fill_null(False)
    )


def required_columns(rule_id: str) -> tuple[str, ...]:
    """The enrichment columns a reference/scope rule reads; the rule is skipped when one is absent."""
    return _RULE_COLUMNS.get(rule_id, ())


_RULE_COLUMNS = {
    "scope.submitter": (SUBMITTER_MATCHES,),
    "scope.out_of_scope": (IN_SCOPE,),
    "scope.officer_out_of_scope": (IN_SCOPE,),
    "reference.entity_unknown": (ENTITY_KNOWN,),
    "reference.entity_inactive": (ENTITY_KNOWN, ENTITY_ACTIVE),
    "reference.matter_unknown": (MATTER_KNOWN,),
    "reference.matter_wrong_kind": (MATTER_KNOWN, MATTER_KIND_OK),
    "reference.matter_not_held": (MATTER_KNOWN, MATTER_HELD),
    "reference.officer_unknown": (OFFICERS_UNKNOWN,),
    "reference.officer_entity_unknown": (OFFICER_ENTITY_KNOWN,),
    "finding.officer_without_valid_card": (OFFICERS_CARD_INVALID,),
    "finding.fine_out_of_range": (MATTER_FINE_MIN, MATTER_FINE_MAX),
}
