"""The 前置库 channel: pull a unit's record versions from the exchange's front tables, page by page.

The exchange synchronises each unit's system into tables of a 前置库 database, one per entity
(`{prefix}_{entity}`: a text column per field code of the standard, `sync_cursor`, `unit_code`; see
`connectors/simulator/front_db.py`). A pull asks for the unit's versions after the stored watermark,
in cursor order, `batch_rows` at a time (keyset pagination: `sync_cursor > :last ORDER BY sync_cursor
LIMIT :n`), and yields each page as one `RawBatch`. `pull_and_land` lands a page and only then moves the
watermark to the page's last cursor, so a crash in between re-pulls that page, whose content is the same,
so it is the same batch and adds nothing.

A page holding several versions of one record (a first pull, or one after an outage) lands as
successive batches, one version of a key each, oldest first (connectors/versions.py), the watermark
moving after the last of them.

Safety:
- Values travel only as bound parameters. Table and column names come from the standard and a prefix
  checked against `^[a-z][a-z0-9_]{0,30}$`, and are quoted by SQLAlchemy (`Table`/`Column` objects).
- A connection URL may carry a password. It is never logged, nor put into a repr, an exception, a source
  name or a manifest: anything displayed is rendered with `hide_password=True`, and database errors are
  re-raised as `FrontDbError` with the password (if the driver ever echoed it) masked.

Values the exchange should have stored as text but did not (a BLOB, bytes that are not UTF-8) are never
allowed to stop a pull: the page's rows that cannot be read land as their own batch, quarantined with
the reason (the bytes kept in the raw content as base64), its readable rows as usual, and the watermark
moves past the page. Rows whose `sync_cursor` is NULL cannot be pulled incrementally: they are landed
(once: the same rows are the same batch) as a quarantined batch saying so.

Ordering: cursors are compared as text by the database and again, forward-only, by the watermark store
(by code point). On PostgreSQL the query compares under COLLATE "C" whatever the column's collation;
on MySQL/MariaDB the `sync_cursor` column must have a binary collation (utf8mb4_bin), as the simulator
creates it, because a case-insensitive one would order differently and could skip equal-looking cursors.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from connectors.landing import Landing, PullReport, RawBatch, land_pages
from connectors.versions import split_versions
from connectors.watermarks import WatermarkKey, WatermarkStore
from standards.loader import standard

CHANNEL = "sql"
SYNC_CURSOR = "sync_cursor"
UNIT_CODE = "unit_code"
DEFAULT_ENV = "ZFJD_FRONT_DB_URL"
CONNECT_TIMEOUT_SECONDS = 10
MAX_UNCURSORED = 10_000  # rows without a cursor quarantined per pull (they cannot be paged by cursor)
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_FIELD_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# Airflow connection types → SQLAlchemy drivers installed with this project.
_AIRFLOW_DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}

log = logging.getLogger(__name__)


class FrontDbError(RuntimeError):
    """The 前置库 could not be read; the message never carries the connection password."""


def _make_engine(url: sa.URL) -> sa.Engine:
    backend = url.get_backend_name()
    if backend == "postgresql":
        connect_args: dict = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    elif backend in ("mysql", "mariadb"):
        connect_args = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "read_timeout": 300,
            "write_timeout": 300,
            "charset": "utf8mb4",
        }
    elif backend == "sqlite":
        connect_args = {"timeout": 30}
    else:
        connect_args = {}
    try:
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except sa.exc.ArgumentError as exc:
        shown = url.render_as_string(hide_password=True)
        message = str(exc).replace(url.password, "***") if url.password else str(exc)
        raise ValueError(f"cannot use {shown} as a 前置库: {message.splitlines()[0]}") from None


class FrontDbSource:
    """Reads the 前置库 tables `{table_prefix}_{entity}` of one database."""

    def __init__(
        self, url_or_engine: str | sa.URL | sa.Engine, *, table_prefix: str = "qzk", batch_rows: int = 5000
    ) -> None:
        if not isinstance(table_prefix, str) or not _PREFIX.fullmatch(table_prefix):
            raise ValueError(f"table prefix {table_prefix!r} refused: it must match {_PREFIX.pattern}")
        if not isinstance(batch_rows, int) or batch_rows < 1:
            raise ValueError(f"batch_rows must be a positive integer, not {batch_rows!r}")
        self.table_prefix = table_prefix
        self.batch_rows = batch_rows
        if isinstance(url_or_engine, sa.Engine):
            self.engine = url_or_engine
        else:
            try:
                url = sa.make_url(url_or_engine)
            except sa.exc.ArgumentError:
                # The message would echo the whole string, password included.
                raise ValueError("not a database URL (value not shown)") from None
            self.engine = _make_engine(url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _lenient_sqlite_text)
        self._secret = self.engine.url.password
        self._metadata = sa.MetaData()
        self._tables: dict[str, sa.Table] = {}

    # -- construction from configuration ------------------------------------------------------------

    @classmethod
    def from_env(cls, variable: str = DEFAULT_ENV, **options) -> FrontDbSource:
        """The 前置库 whose SQLAlchemy URL is in the environment variable `variable`."""
        value = os.environ.get(variable)
        if not value:
            raise KeyError(f"environment variable {variable} is not set (the 前置库 connection URL)")
        return cls(value, **options)

    @classmethod
    def from_airflow_connection(cls, conn_id: str, **options) -> FrontDbSource:
        """The 前置库 of an Airflow Connection (type postgres or mysql; `schema` is the database name).

        Not covered by tests: Airflow is not installed in this environment, so it is imported here only.
        """
        try:
            from airflow.sdk import BaseHook  # Airflow 3
        except ImportError:  # pragma: no cover - Airflow 2
            from airflow.hooks.base import BaseHook
        connection = BaseHook.get_connection(conn_id)
        driver = _AIRFLOW_DRIVERS.get((connection.conn_type or "").lower())
        if driver is None:
            raise ValueError(f"Airflow connection {conn_id!r} has type {connection.conn_type!r}; "
                             f"supported: {', '.join(sorted(_AIRFLOW_DRIVERS))}")
        url = sa.URL.create(
            driver,
            username=connection.login or None,
            password=connection.password or None,
            host=connection.host or None,
            port=connection.port or None,
            database=connection.schema or None,
        )
        return cls(url, **options)

    # -- display -------------------------------------------------------------------------------------

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"FrontDbSource({self.display_url!r}, table_prefix={self.table_prefix!r}, batch_rows={self.batch_rows})"

    def table_name(self, entity: str) -> str:
        return self.table(entity).name

    def source_name(self, entity: str) -> str:
        """`{table}@{host}/{database}`: where the rows came from, never with credentials."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            where = f"sqlite/{Path(url.database).name if url.database else 'memory'}"
        else:
            where = f"{url.host or 'localhost'}/{url.database or ''}"
        return f"{self.table_name(entity)}@{where}"

    # -- reading -------------------------------------------------------------------------------------

    def table(self, entity: str) -> sa.Table:
        """The front table of `entity`, built from the standard (never from input or reflection)."""
        if entity not in self._tables:
            if entity not in standard().entities:
                raise ValueError(f"unknown entity {entity!r}")
            codes = standard().entity(entity).field_codes
            bad = [code for code in codes if not _FIELD_CODE.fullmatch(code)]
            if bad:
                raise ValueError(f"field codes {bad!r} of {entity} cannot name columns")
            self._tables[entity] = sa.Table(
                f"{self.table_prefix}_{entity}",
                self._metadata,
                *[sa.Column(code, sa.Text()) for code in codes],
                sa.Column(SYNC_CURSOR, sa.String(255)),
                sa.Column(UNIT_CODE, sa.String(64)),
            )
        return self._tables[entity]

    def _cursor_column(self, table: sa.Table) -> sa.ColumnElement:
        cursor = table.c[SYNC_CURSOR]
        if self.engine.dialect.name == "postgresql":
            return cursor.collate("C")  # byte order, whatever the database's default collation
        return cursor

    def _page_query(self, entity: str) -> tuple[sa.Select, sa.ColumnElement]:
        table = self.table(entity)
        codes = standard().entity(entity).field_codes
        cursor = self._cursor_column(table)
        return (
            sa.select(*[table.c[code] for code in codes], table.c[SYNC_CURSOR], table.c[UNIT_CODE])
            .where(table.c[UNIT_CODE] == sa.bindparam("unit", type_=sa.String()))
            .where(table.c[SYNC_CURSOR].is_not(None))
            .order_by(cursor)
            .limit(sa.bindparam("n", type_=sa.Integer()))
        ), cursor

    def pull(self, unit: str, entity: str, since: str | None) -> Iterator[RawBatch]:
        """The unit's versions after `since` (None: all), in cursor order, one RawBatch per page."""
        if not isinstance(unit, str) or (since is not None and not isinstance(since, str)):
            raise TypeError("unit and since must be text")
        base, cursor = self._page_query(entity)  # refuses an entity the standard does not know
        codes = standard().entity(entity).field_codes
        after = since
        source_name = self.source_name(entity)
        uncursored = self._fetch(self._uncursored_query(entity), {"unit": unit, "n": MAX_UNCURSORED}, source_name)
        uncursored = [row for row in uncursored if row[-1] == unit]
        if uncursored:
            count = f"至少 {MAX_UNCURSORED}" if len(uncursored) >= MAX_UNCURSORED else str(len(uncursored))
            reason = (f"前置库表中有 {count} 行的同步游标 {SYNC_CURSOR} 为空，无法按游标增量读取，已隔离："
                      "请交换平台为这些行补上游标")
            yield (_quarantined_page(unit, entity, codes, uncursored, reason, window_start=after,
                                     source_name=source_name),)
        while True:
            query = base if after is None else base.where(cursor > sa.bindparam("after", type_=sa.String()))
            params = {"unit": unit, "n": self.batch_rows}
            if after is not None:
                params["after"] = after
            rows = self._fetch(query, params, source_name)
            if not rows:
                return
            last = _shown_text(rows[-1][-2])
            mine = [row for row in rows if row[-1] == unit]  # a case-insensitive unit_code must not leak
            if len(mine) != len(rows):
                log.warning("%s: %d rows of another unit's code spelling skipped", source_name, len(rows) - len(mine))
            if mine:
                yield _page(unit, entity, codes, mine, window_start=after, window_end=last, source_name=source_name)
            if len(rows) < self.batch_rows:
                return
            after = last

    def _uncursored_query(self, entity: str) -> sa.Select:
        table = self.table(entity)
        codes = standard().entity(entity).field_codes
        return (
            sa.select(*[table.c[code] for code in codes], table.c[SYNC_CURSOR], table.c[UNIT_CODE])
            .where(table.c[UNIT_CODE] == sa.bindparam("unit", type_=sa.String()))
            .where(table.c[SYNC_CURSOR].is_(None))
            .order_by(*[table.c[code] for code in codes])  # the same rows, the same content: one batch
            .limit(sa.bindparam("n", type_=sa.Integer()))
        )

    def _fetch(self, query: sa.Select, params: dict, source_name: str) -> list[tuple]:
        try:
            with self.engine.connect() as connection:
                return [tuple(row) for row in connection.execute(query, params)]
        except sa.exc.DBAPIError as exc:
            detail = self._mask(f"{type(exc.orig).__name__}: {exc.orig}")
            raise FrontDbError(f"reading {source_name} from {self.display_url} failed: {detail}") from None

    def _mask(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_text(value: bytes) -> str | bytes:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value  # quarantined with its row, as a BLOB would be


def _lenient_sqlite_text(connection, _record) -> None:
    """SQLite stores whatever bytes it is given in a TEXT column, and the driver fails the whole query
    on one that is not UTF-8: such a value is handed over as bytes instead, so only its row is
    quarantined. (PostgreSQL and MySQL check text on the way in.)"""
    connection.text_factory = _sqlite_text


class _NotText(ValueError):
    """A value that is not text and cannot be made text without losing what it was."""


def _text(value) -> str | None:
    """A value as text, as a unit would send it (the 前置库 columns are text; other types are tolerated)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise _NotText("不是 UTF-8 编码的文本（二进制内容）") from None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _shown_text(value) -> str | None:
    """A value that is not text, as a person can read it (undecodable bytes as backslash escapes)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    return _text(value)


def _raw(value):
    """A value as it goes into the page's raw content: bytes that are not text as base64."""
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    return _text(value)


def _unreadable(codes: tuple[str, ...], row: tuple) -> str | None:
    for code, value in zip((*codes, SYNC_CURSOR), row, strict=False):
        try:
            _text(value)
        except _NotText as exc:
            return f"字段 {code} {exc}"
    return None


def _page(
    unit: str, entity: str, codes: tuple[str, ...], rows: list[tuple], *, window_start: str | None,
    window_end: str, source_name: str,
) -> tuple[RawBatch, ...]:
    """One page: its readable rows as a batch (as successive batches when they hold several versions of
    one record: connectors/versions.py), and its unreadable rows (if any) as a quarantined one."""
    width = len(codes)
    problems = [_unreadable(codes, row[: width + 1]) for row in rows]
    good = [row for row, problem in zip(rows, problems, strict=True) if problem is None]
    bad = [(row, problem) for row, problem in zip(rows, problems, strict=True) if problem is not None]
    parts = []
    if good:
        values = [[_text(v) for v in row[: width + 1]] for row in good]  # the field codes and sync_cursor
        readable = _batch(unit, entity, codes, values, values, None, window_start, window_end, source_name)
        parts.extend(split_versions(readable, lambda rows, _index, _count: _content(codes, [values[r] for r in rows])))
    if bad:
        first_row, first_problem = bad[0]
        cursor = _shown_text(first_row[width])
        reason = (f"前置库中有 {len(bad)} 行无法读取，已隔离（第一行游标 {cursor}：{first_problem}）："
                  "请以 UTF-8 文本存放这些字段")
        parts.append(_quarantined_page(unit, entity, codes, [row for row, _ in bad], reason,
                                       window_start=window_start, window_end=window_end, source_name=source_name))
    return tuple(parts)


def _quarantined_page(unit: str, entity: str, codes: tuple[str, ...], rows: list[tuple], reason: str, *,
                      window_start: str | None, source_name: str, window_end: str | None = None) -> RawBatch:
    width = len(codes)
    raw = [[_raw(v) for v in row[: width + 1]] for row in rows]
    shown_values = [[_shown_text(v) for v in row[: width + 1]] for row in rows]
    return _batch(unit, entity, codes, raw, shown_values, reason, window_start, window_end, source_name)


def _content(codes: tuple[str, ...], raw_values: list) -> bytes:
    return json.dumps(
        {"columns": [*codes, SYNC_CURSOR], "rows": raw_values}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def _batch(unit, entity, codes, raw_values, values, problem, window_start, window_end, source_name) -> RawBatch:
    content = _content(codes, raw_values)
    records = pl.DataFrame(
        {code: [row[i] for row in values] for i, code in enumerate(codes)},
        schema={code: pl.String for code in codes},
    )
    return RawBatch(
        unit=unit, entity=entity, channel=CHANNEL, content=content, records=records,
        window_start=window_start, window_end=window_end, source_name=source_name, problem=problem,
    )


def pull_and_land(
    source: FrontDbSource, landing: Landing, watermarks: WatermarkStore, unit: str, entity: str
) -> PullReport:
    """Pulls the unit's new versions since its watermark; lands each page, then advances the watermark."""
    key = WatermarkKey(unit, entity, CHANNEL)
    since = watermarks.get(key)
    report = land_pages(source.pull(unit, entity, since), landing, watermarks, key)
    if report.watermark is None:
        report = replace(report, watermark=since)
    if report.quarantined:
        problem = f"{entity}：前置库有 {report.quarantined} 批数据无法读取，已隔离（原因见单位反馈）"
        report = replace(report, problems=[problem])
    log.info("%s %s from %s: %d pages, %d new, %d rows landed", unit, entity, source.source_name(entity),
             report.batches, report.new_batches, report.rows_landed)
    return report
