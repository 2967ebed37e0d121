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


def contents_digest(database: Path) -> dict[str, tuple[int, int]]:
    """Per table of every schema: (rows, order-independent hash of the contents)."""
    digests = {}
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, name in names:
            frame = con.sql(f'select * from "{schema}"."{name}"').pl()
            hashed = int(frame.hash_rows(seed=1).sum()) if frame.height else 0
            digests[f"{schema}.{name}"] = (frame.height, hashed)
    return digests
