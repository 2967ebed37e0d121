"""The simulated 前置库: the exchange writes every unit's record versions into one table per case entity.

In the province, each unit's own system is synchronised by the exchange into tables of a 前置库 database
(PostgreSQL or MySQL/MariaDB, sometimes a domestic database), from which the platform reads. Here those
tables are `{prefix}_{entity}`: one text column per field code of the standard, plus

    sync_cursor   the exchange cursor of the version (unique, sortable text; compared byte-wise)
    unit_code     the submitting unit (`__unit`)

Rows are inserted in cursor order. `write_front_tables(exchange, url)` (re)creates the tables with every
version of the run; `write_front_tables(exchange, url, days=[day])` adds the versions of those days that
are not there yet (the exchange syncing a further day), creating the tables if needed. Both are safe to
repeat.

Collation matters: cursors are compared as text, and the pipeline (watermarks, polars) compares text by
code point. So `sync_cursor` and `unit_code` are declared with a binary collation (PostgreSQL "C",
MariaDB/MySQL utf8mb4_bin; SQLite compares binary by default); the field columns are TEXT in utf8mb4.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import polars as pl
import sqlalchemy as sa

from connectors.simulator.exchange import CASE_ENTITIES, CURSOR, DAY, UNIT, Exchange
from standards.loader import standard

SYNC_CURSOR = "sync_cursor"
UNIT_CODE = "unit_code"
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_INSERT_CHUNK = 2_000  # rows per executemany: well under MariaDB's default max_allowed_packet


def _binary_text(length: int) -> sa.types.TypeEngine:
    return (
        sa.String(length)
        .with_variant(sa.String(length, collation="C"), "postgresql")
        .with_variant(sa.String(length, collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def front_table(metadata: sa.MetaData, prefix: str, entity: str) -> sa.Table:
    """The 前置库 table of `entity` as the exchange creates it."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"table prefix {prefix!r} must match {_PREFIX.pattern}")
    codes = standard().entity(entity).field_codes
    name = f"{prefix}_{entity}"
    return sa.Table(
        name,
        metadata,
        *[sa.Column(code, sa.Text(), nullable=True) for code in codes],
        sa.Column(SYNC_CURSOR, _binary_text(255), nullable=False),
        sa.Column(UNIT_CODE, _binary_text(64), nullable=False),
        sa.Index(f"ux_{name}_cursor", SYNC_CURSOR, unique=True),
        sa.Index(f"ix_{name}_unit", UNIT_CODE, SYNC_CURSOR),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )


def _engine(url_or_engine: str | sa.URL | sa.Engine) -> tuple[sa.Engine, bool]:
    if isinstance(url_or_engine, sa.Engine):
        return url_or_engine, False
    url = sa.make_url(url_or_engine)
    connect_args: dict = {}
    if url.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": 10}
    elif url.get_backend_name() in ("mysql", "mariadb"):
        connect_args = {"connect_timeout": 10, "charset": "utf8mb4"}
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args), True


def write_front_tables(
    exchange: Exchange,
    url_or_engine: str | sa.URL | sa.Engine,
    *,
    schema_prefix: str = "qzk",
    days: Iterable[dt.date] | None = None,
) -> dict[str, int]:
    """Writes the exchange's record versions into the 前置库 tables; returns rows inserted per entity.

    `days=None`: drop and recreate the tables with every version of the run. `days=[…]`: create the
    tables if missing and insert the versions of those days not already present (by `sync_cursor`).
    """
    engine, owned = _engine(url_or_engine)
    try:
        metadata = sa.MetaData()
        tables = {entity: front_table(metadata, schema_prefix, entity) for entity in CASE_ENTITIES}
        if days is None:
            metadata.drop_all(engine, checkfirst=True)
        metadata.create_all(engine, checkfirst=True)
        wanted = None if days is None else set(days)
        inserted = {}
        for entity, table in tables.items():
            inserted[entity] = _insert_versions(engine, table, exchange, entity, wanted, fresh=days is None)
        return inserted
    finally:
        if owned:
            engine.dispose()


def _insert_versions(
    engine: sa.Engine, table: sa.Table, exchange: Exchange, entity: str, days: set[dt.date] | None, *, fresh: bool
) -> int:
    codes = standard().entity(entity).field_codes
    frame = exchange.records[entity]
    if days is not None:
        frame = frame.filter(pl.col(DAY).is_in(sorted(days)))
    frame = frame.sort(CURSOR).select(*codes, pl.col(CURSOR).alias(SYNC_CURSOR), pl.col(UNIT).alias(UNIT_CODE))
    with engine.begin() as connection:
        if not fresh and frame.height:
            present = set(connection.execute(sa.select(table.c[SYNC_CURSOR])).scalars())
            if present:
                frame = frame.filter(~pl.col(SYNC_CURSOR).is_in(sorted(present)))
        rows = frame.to_dicts()
        for start in range(0, len(rows), _INSERT_CHUNK):
            connection.execute(table.insert(), rows[start : start + _INSERT_CHUNK])
    return len(rows)


def drop_front_tables(url_or_engine: str | sa.URL | sa.Engine, *, schema_prefix: str = "qzk") -> None:
    """Drops the simulator's tables of `schema_prefix` (tests use a prefix of their own and drop it)."""
    engine, owned = _engine(url_or_engine)
    try:
        metadata = sa.MetaData()
        for entity in CASE_ENTITIES:
            front_table(metadata, schema_prefix, entity)
        metadata.drop_all(engine, checkfirst=True)
    finally:
        if owned:
            engine.dispose()
