"""The 前置库 channel against SQLite, PostgreSQL and MariaDB: complete, incremental, crash-safe, injection-proof.

The server backends run on loopback (CI starts them, see `.ci/run`); a server that is down fails these tests
with a message saying so, it does not skip them. Every test writes its own tables under a prefix unique to
the run and drops them afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import pytest
import sqlalchemy as sa

from connectors.landing import Landing
from connectors.simulator.exchange import CURSOR, DAY, UNIT, Exchange
from connectors.simulator.front_db import drop_front_tables, write_front_tables
from connectors.sql import CHANNEL, FrontDbError, FrontDbSource, pull_and_land
from connectors.watermarks import WatermarkKey, WatermarkStore
from standards.loader import standard

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}
PASSWORD = "s3cret"
ENTITY = "penalty_case"
ROUND_TRIP = "经查，当事人𠮷野家（广州）餐饮有限公司于２０２４年〔第3号〕存在“无证经营”行为；罚款￥1,990元 — 𩸽·ß·é "


@dataclass
class Backend:
    name: str
    url: sa.URL
    engine: sa.Engine


def _server_engine(name: str) -> sa.Engine:
    url = sa.make_url(SERVERS[name])
    connect_args = {"connect_timeout": 5}
    if name == "mariadb":
        connect_args["charset"] = "utf8mb4"
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        pytest.fail(
            f"{name} is not reachable at {url.render_as_string(hide_password=True)} ({exc.orig}). These tests need "
            "the local servers (CI starts them in .ci/run); start it rather than skipping.",
            pytrace=False,
        )
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def backend(request, tmp_path_factory):
    if request.param == "sqlite":
        url = sa.make_url(f"sqlite:///{tmp_path_factory.mktemp('front') / 'front.db'}")
        engine = sa.create_engine(url)
    else:
        engine = _server_engine(request.param)
        url = engine.url
    yield Backend(request.param, url, engine)
    engine.dispose()


@pytest.fixture(scope="module")
def exchange():
    return Exchange.simulate(units=20, days=3, seed=2, start=dt.date(2025, 3, 1))


@pytest.fixture
def prefix(backend):
    name = f"qzk_t{os.getpid()}_{secrets.token_hex(3)}"
    yield name
    drop_front_tables(backend.engine, schema_prefix=name)


@pytest.fixture
def landed(tmp_path):
    return Landing(tmp_path / "landing"), WatermarkStore(tmp_path / "landing" / "watermarks.sqlite")


def _busiest_unit(exchange: Exchange, entity: str = ENTITY) -> str:
    counts = exchange.records[entity][UNIT].value_counts().sort(["count", UNIT], descending=True)
    return counts[UNIT][0]


def _landed_records(landing: Landing, unit: str, entity: str = ENTITY) -> pl.DataFrame:
    manifests = sorted((m for m in landing.manifests() if m.unit == unit and m.entity == entity),
                       key=lambda m: m.window_end)
    codes = standard().entity(entity).field_codes
    frames = [landing.records(m).select(codes) for m in manifests]
    return pl.concat(frames) if frames else pl.DataFrame(schema={c: pl.String for c in codes})


def _row_count(backend: Backend, table: str) -> int:
    with backend.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()


def test_a_full_pull_lands_exactly_the_units_versions_in_cursor_order(backend, exchange, prefix, landed):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    source = FrontDbSource(backend.engine, table_prefix=prefix, batch_rows=4)
    for entity in ("penalty_case", "coercion_case", "inspection"):
        unit = _busiest_unit(exchange, entity)
        expected = exchange.since(unit, entity, None)
        report = pull_and_land(source, landing, watermarks, unit, entity)
        assert report.rows_landed == expected.height and report.new_batches == report.batches
        assert report.batches == -(-expected.height // 4)
        assert _landed_records(landing, unit, entity).equals(expected.drop(CURSOR))
        assert watermarks.get(WatermarkKey(unit, entity, CHANNEL)) == expected[CURSOR][-1]
    manifests = sorted((m for m in landing.manifests() if m.entity == ENTITY), key=lambda m: m.window_end)
    assert manifests[0].window_start is None
    assert [m.window_start for m in manifests[1:]] == [m.window_end for m in manifests[:-1]]  # pages chain up
    assert {m.channel for m in manifests} == {"sql"}
    assert manifests[0].source_name.startswith(f"{prefix}_{ENTITY}@")


def test_a_second_pull_from_the_watermark_lands_nothing(backend, exchange, prefix, landed):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    source = FrontDbSource(backend.engine, table_prefix=prefix, batch_rows=5)
    unit = _busiest_unit(exchange)
    first = pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert first.rows_landed == exchange.since(unit, ENTITY, None).height > 0
    before = len(landing.manifests())
    again = pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert (again.batches, again.new_batches, again.rows_landed) == (0, 0, 0)
    assert len(landing.manifests()) == before


def test_a_crash_between_landing_and_the_watermark_loses_and_duplicates_nothing(
    backend, exchange, prefix, landed, monkeypatch
):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    source = FrontDbSource(backend.engine, table_prefix=prefix, batch_rows=3)
    unit = _busiest_unit(exchange)
    real_advance = WatermarkStore.advance
    calls = {"n": 0}

    def advance_crashing_once(self, key, position, batch_id):
        calls["n"] += 1
        if calls["n"] == 2:  # the second page is landed, its watermark never written
            raise RuntimeError("worker killed")
        return real_advance(self, key, position, batch_id)

    monkeypatch.setattr(WatermarkStore, "advance", advance_crashing_once)
    with pytest.raises(RuntimeError, match="worker killed"):
        pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert sum(m.rows for m in landing.manifests()) == 6
    rerun = pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert rerun.new_batches == rerun.batches - 1  # the landed page came again as the same batch
    expected = exchange.since(unit, ENTITY, None)
    assert sum(m.rows for m in landing.manifests()) == expected.height
    assert _landed_records(landing, unit).equals(expected.drop(CURSOR))


def test_rows_arriving_after_a_pull_are_the_only_ones_landed_next(backend, exchange, prefix, landed):
    landing, watermarks = landed
    first_days, last_day = exchange.days[:2], exchange.days[2]
    write_front_tables(exchange, backend.engine, schema_prefix=prefix, days=first_days)
    source = FrontDbSource(backend.engine, table_prefix=prefix, batch_rows=4)
    unit = _busiest_unit(exchange)
    versions = exchange.records[ENTITY].filter(pl.col(UNIT) == unit)
    early = versions.filter(pl.col(DAY).is_in(first_days))
    late = versions.filter(pl.col(DAY) == last_day).sort(CURSOR)
    assert early.height and late.height and late[CURSOR].min() > early[CURSOR].max()  # the exchange's promise

    first = pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert first.rows_landed == early.height
    mark = watermarks.get(WatermarkKey(unit, ENTITY, CHANNEL))
    added = write_front_tables(exchange, backend.engine, schema_prefix=prefix, days=[last_day])
    assert added[ENTITY] == exchange.records[ENTITY].filter(pl.col(DAY) == last_day).height
    seen = {m.batch_id for m in landing.manifests()}

    second = pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert second.rows_landed == late.height and second.new_batches == second.batches
    new = sorted((m for m in landing.manifests() if m.batch_id not in seen), key=lambda m: m.window_end)
    assert new[0].window_start == mark
    codes = standard().entity(ENTITY).field_codes
    assert pl.concat([landing.records(m).select(codes) for m in new]).equals(late.select(codes))
    assert _landed_records(landing, unit).equals(exchange.since(unit, ENTITY, None).drop(CURSOR))


def test_an_injection_attempt_in_the_unit_returns_nothing_and_changes_nothing(backend, exchange, prefix, landed):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    table = f"{prefix}_{ENTITY}"
    before = _row_count(backend, table)
    source = FrontDbSource(backend.engine, table_prefix=prefix)
    for attempt in ("x' OR '1'='1", "x'; DROP TABLE " + table + "; --", '" OR 1=1 --', "%", "x\\' OR 1=1 #"):
        assert list(source.pull(attempt, ENTITY, None)) == []
        assert list(source.pull(_busiest_unit(exchange), ENTITY, "' OR '1'='1")) != []  # a cursor, compared as text
        report = pull_and_land(source, landing, watermarks, attempt, ENTITY)
        assert (report.batches, report.rows_landed) == (0, 0)
    assert _row_count(backend, table) == before
    assert sa.inspect(backend.engine).has_table(table)
    assert landing.manifests() == []


@pytest.mark.parametrize(
    "bad", ["", "QZK", "1qzk", "qzk-x", "qzk x", "qzk;drop", 'qzk"', "qzk_penalty_case.x", "q" * 32, "qzk\n", "前置库"]
)
def test_a_bad_table_prefix_is_refused(backend, bad):
    with pytest.raises(ValueError, match="prefix"):
        FrontDbSource(backend.engine, table_prefix=bad)
    source = FrontDbSource(backend.engine, table_prefix="qzk")
    with pytest.raises((ValueError, KeyError)):
        list(source.pull("u", f"{ENTITY}; DROP TABLE x", None))


def _with_password(backend: Backend) -> tuple[sa.URL, Callable[[], None]]:
    """A URL carrying PASSWORD that can really connect, and how to clean up after it."""
    if backend.name == "postgresql":
        return backend.url.set(password=PASSWORD), lambda: None  # trust auth: the password is ignored
    if backend.name == "mariadb":
        user = f"zfjd_t{os.getpid()}_{secrets.token_hex(2)}"
        with backend.engine.begin() as connection:
            for host in ("127.0.0.1", "localhost"):
                connection.execute(sa.text(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{PASSWORD}'"))
                connection.execute(sa.text(f"GRANT SELECT ON test.* TO '{user}'@'{host}'"))

        def drop_user():
            with backend.engine.begin() as connection:
                for host in ("127.0.0.1", "localhost"):
                    connection.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'{host}'"))

        return backend.url.set(username=user, password=PASSWORD), drop_user
    # SQLite has no passwords (a URL with one is refused, see below): the rest of the test still applies.
    return backend.url, lambda: None


def test_the_password_never_appears_in_logs_repr_manifests_or_errors(backend, exchange, prefix, landed, caplog):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    url, cleanup = _with_password(backend)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # SQLAlchemy sets its own loggers to WARNING
    try:
        as_given = url if backend.name == "sqlite" else url.render_as_string(hide_password=False)
        source = FrontDbSource(as_given, table_prefix=prefix, batch_rows=5)
        report = pull_and_land(source, landing, watermarks, _busiest_unit(exchange), ENTITY)
        assert report.rows_landed > 0
        shown = [repr(source), str(source.engine), source.display_url, source.source_name(ENTITY)]
        shown += [m.to_json() for m in landing.manifests()]
        source.dispose()
        if backend.name != "sqlite":  # the failure path: same password, a port nothing listens on
            closed = FrontDbSource(url.set(port=1).render_as_string(hide_password=False), table_prefix=prefix)
        else:
            closed = FrontDbSource(url.set(database="/nonexistent/dir/front.db"), table_prefix=prefix)
        with pytest.raises(FrontDbError) as failure:
            list(closed.pull("u", ENTITY, None))
        shown += [str(failure.value), repr(failure.value), repr(closed)]
        closed.dispose()
        if backend.name == "sqlite":
            with pytest.raises(ValueError) as refused:
                FrontDbSource(backend.url.set(password=PASSWORD), table_prefix=prefix)
            shown += [str(refused.value), repr(refused.value)]
    finally:
        cleanup()
    shown += [record.getMessage() for record in caplog.records] + [caplog.text]
    assert all(PASSWORD not in text for text in shown)
    assert f"{prefix}_{ENTITY}" in caplog.text and "landed" in caplog.text  # the logs did say something
    assert "ORDER BY" in caplog.text and "Created new connection" in caplog.text  # SQLAlchemy's logs too


def test_chinese_text_round_trips_byte_for_byte(backend, exchange, prefix, landed):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    unit = _busiest_unit(exchange)
    table = sa.Table(f"{prefix}_{ENTITY}", sa.MetaData(), autoload_with=backend.engine)
    last = exchange.since(unit, ENTITY, None).row(-1, named=True)
    row = {**{k: v for k, v in last.items() if k != CURSOR}, "CF_SY": ROUND_TRIP, "BZ": ""}
    with backend.engine.begin() as connection:
        connection.execute(table.insert(), [{**row, "sync_cursor": last[CURSOR] + "~", "unit_code": unit}])
    source = FrontDbSource(backend.engine, table_prefix=prefix, batch_rows=1000)
    pull_and_land(source, landing, watermarks, unit, ENTITY)
    records = _landed_records(landing, unit)
    expected = exchange.since(unit, ENTITY, None)
    assert records.height == expected.height + 1
    assert records["CF_SY"][-1].encode("utf-8") == ROUND_TRIP.encode("utf-8")  # 4-byte characters too
    assert records["BZ"][-1] == ""  # empty text stays empty text, not null
    assert records.head(expected.height).equals(expected.drop(CURSOR))  # nulls stay nulls
    (manifest,) = landing.manifests()
    assert ROUND_TRIP.encode("utf-8") in (landing.root / manifest.raw_path).read_bytes()  # raw content is UTF-8


def test_the_source_comes_from_the_environment(backend, exchange, prefix, landed, monkeypatch):
    landing, watermarks = landed
    write_front_tables(exchange, backend.engine, schema_prefix=prefix)
    monkeypatch.delenv("ZFJD_FRONT_DB_URL", raising=False)
    with pytest.raises(KeyError, match="ZFJD_FRONT_DB_URL"):
        FrontDbSource.from_env()
    monkeypatch.setenv("ZFJD_FRONT_DB_URL", backend.url.render_as_string(hide_password=False))
    source = FrontDbSource.from_env(table_prefix=prefix)
    unit = _busiest_unit(exchange)
    report = pull_and_land(source, landing, watermarks, unit, ENTITY)
    assert report.rows_landed == exchange.since(unit, ENTITY, None).height
    source.dispose()
