"""Splits a pulled page into successive batches so that no batch holds two versions of one record.

The standard's in-file rule `batch.key_conflict` (quality/batch.py) rejects every row of a batch whose
natural key appears twice with different content: in a file a unit made itself nobody can tell which
row is right. A page pulled from the exchange API or the 前置库 is not such a file: when a pull catches up
several days (a province's first run, after an outage) it holds every version the unit's system
recorded, one after another — a case 立案 then 决定, a 行政许可 granted then revoked. Landed as one batch,
both versions would be rejected and the record would be missing until the unit resent it.

So a pulled page is landed as successive batches, each holding at most one version of a key, in the
order of the versions' 更新时间 (GXSJ). Keys and 更新时间 are read exactly as the validator reads them
(`quality.normalise`, `quality.batch.digest`), so what the rule would call one key is one key here.
What stays one batch, for the rule to judge as before:
- rows of one key with the same 更新时间 (different content at the same time is still ambiguous, and an
  exact repeat is still a duplicate);
- rows whose key or 更新时间 cannot be read (the validator rejects them anyway).
Each key's versions are aligned to end in the last batch, so the last batch holds the current version
of every record of the page: the rules across keys (`batch.unique_conflict`, e.g. one 决定书文号 on two
cases) judge the current versions together, as a daily pull would have.

The split depends only on the page: re-pulling the same page gives the same batches with the same
content (the same content-addressed batch ids: nothing lands twice). Each part's raw content is its own
rows in the channel's format (the API's records as received, with the sha256 of the page they came
from; the 前置库's rows with their cursors), so content and records agree for every batch. A page
without two versions of any key is landed exactly as before, as one batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import polars as pl

from connectors.landing import RawBatch
from quality.batch import KEY, digest
from quality.normalise import normalise
from quality.read import ROW
from standards.loader import standard as load_standard
from standards.model import Entity, Standard

_PART = "__part"


def version_parts(records: pl.DataFrame, entity_code: str, standard: Standard | None = None) -> pl.Series:
    """Per row of `records` (text columns named by field codes), the 0-based batch it lands in."""
    standard = standard or load_standard()
    entity = standard.entity(entity_code)
    if records.height < 2 or not entity.key or entity.updated_at is None:
        return pl.Series(_PART, [0] * records.height, dtype=pl.Int64)
    if not _may_repeat_a_key(records, entity.key):
        return pl.Series(_PART, [0] * records.height, dtype=pl.Int64)
    # Only the key and 更新时间 are read: normalise types each field on its own, so these columns come out
    # as the validator's would, at a fraction of the cost of typing the whole page.
    narrowed = key_and_update_time(entity)
    raw = (
        records.select([c for c in records.columns if c in narrowed.field_codes])
        .with_row_index(ROW, offset=1)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )
    typed = normalise(raw, narrowed, standard)
    keyed = (
        digest(typed, narrowed)
        .select(ROW, KEY)
        .join(typed.select(ROW, pl.col(entity.updated_at).alias("__updated")), on=ROW, how="left")
    )
    earliest = pl.lit(dt.datetime(1, 1, 1), dtype=pl.Datetime("us"))
    judged_together = pl.col(KEY).is_null() | pl.col("__updated").is_null()
    ranked = (
        keyed.with_columns(
            pl.when(judged_together)
            .then(pl.lit(None, dtype=pl.Datetime("us")))
            .otherwise(pl.col("__updated").cast(pl.Datetime("us")))
            .alias("__updated")
        )
        .with_columns(
            # A 更新时间 that cannot be read takes its key's earliest slot (the validator rejects the row).
            (pl.col("__updated").fill_null(earliest).rank("dense").over(KEY) - 1).cast(pl.Int64).alias("__version")
        )
        .with_columns(
            pl.when(pl.col(KEY).is_null()).then(0).otherwise(pl.col("__version")).alias("__version"),
        )
        .with_columns(pl.col("__version").max().over(KEY).alias("__last"))
    )
    parts = int(ranked["__last"].max() or 0) + 1
    # The key's latest version in the last batch, each earlier one a batch before.
    aligned = ranked.sort(ROW).select(
        pl.when(pl.col(KEY).is_null())
        .then(parts - 1)
        .otherwise(parts - 1 - pl.col("__last") + pl.col("__version"))
        .cast(pl.Int64)
        .alias(_PART)
    )
    return aligned.to_series()


def key_and_update_time(entity: Entity) -> Entity:
    """`entity` with only its key fields and 更新时间: what the split reads of a page."""
    needed = (*entity.key, entity.updated_at)
    return dataclasses.replace(entity, fields=tuple(f for f in entity.fields if f.code in needed), unique=())


def _may_repeat_a_key(records: pl.DataFrame, key: tuple[str, ...]) -> bool:
    """Whether two rows may share a key once normalised, judged by a coarser comparison (NFKC, without
    any blank, upper-cased) that is cheap: normalising a page costs tens of milliseconds even for a few
    rows, and most pages (a daily pull) hold one version of each key."""
    if any(code not in records.columns for code in key):
        return False  # a key field missing: every row is rejected for it anyway
    coarse = records.select(
        pl.concat_str(
            [pl.col(code).str.normalize("NFKC").str.replace_all(r"\s", "").str.to_uppercase() for code in key],
            separator="\x1f",
        )
    ).to_series()
    return bool(coarse.drop_nulls().is_duplicated().any())


def split_versions(
    batch: RawBatch, content_of: Callable[[list[int], int, int], bytes], standard: Standard | None = None
) -> tuple[RawBatch, ...]:
    """`batch` as successive batches holding one version of a key each (itself when it needs no split).

    `content_of(rows, index, count)`: the raw content of part `index` of `count`, holding the page's
    `rows` (0-based, in page order), in the channel's own format, so that each part's content and
    records agree as for any batch."""
    if batch.problem is not None or batch.raw_file is not None or batch.records.height < 2:
        return (batch,)
    parts = version_parts(batch.records, batch.entity, standard)
    count = int(parts.max()) + 1
    if count == 1:
        return (batch,)
    split = []
    for index in range(count):
        rows = (parts == index).arg_true().to_list()
        split.append(
            RawBatch(
                unit=batch.unit,
                entity=batch.entity,
                channel=batch.channel,
                content=content_of(rows, index, count),
                records=batch.records[rows],
                window_start=batch.window_start,
                window_end=batch.window_end,
                source_name=f"{batch.source_name}（同一记录的多个版本，第 {index + 1}/{count} 批）",
            )
        )
    return tuple(split)
