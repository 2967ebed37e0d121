"""Rules over the whole file: the same natural key twice, the same 决定书文号 on two cases.

Rows that share a key with different content are all rejected (nobody can tell which one is right,
standard.md §4). Exact repeats — the same record after normalisation — are no conflict: each is
accepted, and the warehouse keeps one version of the key (a later record supersedes an earlier one,
§1), so sending a record twice costs a unit nothing. Only a small per-row digest (row, key, unique
groups, content hash) is kept across chunks, so a file of any length fits in memory.

Several batches checked in one pass (quality/engine.py `validate_batches`) carry a partition column:
the rules then hold within each partition only, as if each batch were checked alone — the same case
sent again in a later batch is an update, not a conflict.
"""

from __future__ import annotations

import polars as pl

from quality.read import ROW
from standards.model import Entity

KEY = "__key"
CONTENT = "__content"
_SEPARATOR = "\x1f"


def _unique_column(index: int) -> str:
    return f"__unique{index}"


def digest(typed: pl.DataFrame, entity: Entity, partition: str | None = None) -> pl.DataFrame:
    """Per row: the natural key, each unique group and a hash of the whole (normalised) record
    (and the row's partition, when given)."""

    def joined(columns: tuple[str, ...]) -> pl.Expr:
        return pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=_SEPARATOR)

    content = typed.select(entity.field_codes).hash_rows(seed=0).alias(CONTENT)
    return typed.select(
        ROW,
        *([partition] if partition else []),
        joined(entity.key).alias(KEY),
        *[joined(group).alias(_unique_column(i)) for i, group in enumerate(entity.unique)],
    ).with_columns(content)


def batch_violations(digests: pl.DataFrame, entity: Entity, partition: str | None = None) -> pl.DataFrame:
    """(row, rule, field) for every in-file key violation (within each `partition`, when given)."""
    key_field = entity.key[-1]
    scope = [partition] if partition else []
    conflicts = digests.filter(pl.col(KEY).is_not_null()).filter(pl.col(CONTENT).n_unique().over(*scope, KEY) > 1)
    found = [conflicts.select(ROW, pl.lit("batch.key_conflict").alias("rule"), pl.lit(key_field).alias("field"))]
    for index, group in enumerate(entity.unique):
        column = _unique_column(index)
        shared = digests.filter(pl.col(column).is_not_null()).filter(pl.col(KEY).n_unique().over(*scope, column) > 1)
        found.append(
            shared.select(ROW, pl.lit("batch.unique_conflict").alias("rule"), pl.lit(group[-1]).alias("field"))
        )
    return pl.concat(found).sort(ROW, "rule")
