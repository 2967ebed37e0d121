"""Reads a built DuckDB warehouse for the tests: the lake's raw rows and the marts as polars frames."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from zfjd.warehouse import LAKE_ENTITIES

ANALYST_SCHEMAS = ("marts", "feeds", "ops", "reference")


def raw_frames(database: Path) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {entity: con.sql(f'select * from raw."{entity}"').pl() for entity in LAKE_ENTITIES}


def table(database: Path, name: str) -> pl.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"select * from {name}").pl()


def analyst_tables(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join(repr(s) for s in ANALYST_SCHEMAS)}) order by 1, 2"
        ).fetchall()
    return [f"{schema}.{name}" for schema, name in rows]


def contents_digest(database: Path, *, without: frozenset[str] | set[str] = frozenset()) -> dict[str, tuple[int, int]]:
    """Per table of every schema: (rows, order-independent hash of its contents), `without` columns left out;
    the publication record's own timestamp is left out too (it says when, not what)."""
    digests = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal order by 1, 2"
        ).fetchall()
        for schema, name in tables:
            frame = con.sql(f'select * from "{schema}"."{name}"').pl()
            frame = frame.select([c for c in frame.columns if c not in without])
            if schema == "main" and name == "zfjd_publication":
                frame = frame.drop("published_at")
            digests[f"{schema}.{name}"] = (frame.height, int(frame.hash_rows(seed=1).sum()) if frame.height else 0)
    return digests
