"""A pull that catches up several days brings several versions of one record in one page: they land as
successive batches (connectors/versions.py), so the lake accepts each version and the latest wins, instead
of rejecting both as `batch.key_conflict`. Two different records with one key and one 更新时间 are still
a conflict."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
import sqlalchemy as sa

from connectors import api, sql
from connectors.landing import Landing
from connectors.simulator.exchange import CURSOR, EXPECTED, UNIT, Exchange
from connectors.simulator.outbox import write_reference
from connectors.watermarks import WatermarkStore
from standards.loader import standard
from zfjd.lake import Lake, validate_landed

START, DAYS = dt.date(2025, 3, 1), 12
AS_OF = START + dt.timedelta(days=DAYS)
CONFLICT = "batch.key_conflict"


@pytest.fixture(scope="module")
def exchange():
    return Exchange.simulate(units=10, days=DAYS, seed=1, start=START)


@pytest.fixture(scope="module")
def reference(exchange, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    write_reference(exchange, folder)
    return folder


def _versions(exchange: Exchange, entity: str) -> pl.DataFrame:
    """Every clean version of the first record the simulator changed later (a case 立案 then 决定, a 行政许可
    granted then revoked), oldest first, with its unit and cursor."""
    key = list(standard().entity(entity).key)
    clean = exchange.records[entity].filter(pl.col(EXPECTED).is_null())
    changed = clean.filter(pl.len().over(key) > 1).sort(CURSOR)
    first = changed.head(1).select(key)
    versions = changed.join(first, on=key).sort("GXSJ")
    assert versions.height == 2 and versions["GXSJ"].n_unique() == 2
    return versions


def _as_sent(frame: pl.DataFrame, entity: str) -> list[dict]:
    return frame.select(pl.col(code).cast(pl.String) for code in standard().entity(entity).field_codes).to_dicts()


def _same_time_other_content(version: pl.DataFrame) -> pl.DataFrame:
    """Another record with the version's key and 更新时间 (only its 备注 differs)."""
    return version.with_columns(pl.lit("另一份记录").alias("BZ"))


class _Response:
    status_code = 200

    def __init__(self, body: bytes) -> None:
        self.body = body

    def iter_content(self, _size: int):
        yield self.body

    def close(self) -> None:
        pass


class _OnePageExchange:
    """The exchange API answering one page, whatever is asked (a catch-up that fits in a page)."""

    def __init__(self, records: list[dict], watermark: str) -> None:
        envelope = {"records": records, "next_page_token": None, "watermark": watermark}
        self.body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")

    def get(self, _url: str, **_options) -> _Response:
        return _Response(self.body)


def _pull_api(root, unit: str, entity: str, records: list[dict], watermarks: WatermarkStore | None = None):
    landing = Landing(root / "landing")
    watermarks = watermarks or WatermarkStore(root / "watermarks.sqlite")
    source = api.ApiSource("http://exchange.invalid", "token", session=_OnePageExchange(records, "2025-03-12T00"))
    return api.pull_and_land(source, landing, watermarks, unit, entity), landing, watermarks


def _validated(landing: Landing, reference, tmp_path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The lake's accepted rows (with when each batch was received) and its issues."""
    lake = Lake(tmp_path / "lake")
    validate_landed(landing, lake, reference, as_of=AS_OF)
    received = pl.DataFrame(
        [(m.batch_id, m.received_at) for m in landing.manifests()], schema=["batch_id", "received_at"], orient="row"
    )
    accepted = pl.concat(pl.read_parquet(p) for p in (lake.root / "accepted").rglob("*.parquet"))
    issues = [pl.read_parquet(p) for p in (lake.root / "issues").glob("*.parquet")]
    return accepted.join(received, on="batch_id"), pl.concat(issues) if issues else pl.DataFrame(
        schema={"rule": pl.String}
    )


def _latest(accepted: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """The version staging keeps (dbt macro latest_versions: 更新时间, then when and which batch)."""
    order = ["GXSJ", "received_at", "batch_id", "row_number"]
    return accepted.sort(order, descending=True, nulls_last=True).unique(subset=key, keep="first")


@pytest.mark.parametrize(("entity", "changed"), [("penalty_case", "AJZT"), ("license", "XK_ZT")])
def test_an_api_catch_up_page_with_two_versions_lands_both_and_the_latest_wins(
    exchange, reference, tmp_path, entity, changed
):
    versions = _versions(exchange, entity)
    unit = versions[UNIT][0]
    # the versions in the page newest first: the split orders them by 更新时间, not by their place
    page = _as_sent(versions.reverse(), entity)
    report, landing, _ = _pull_api(tmp_path, unit, entity, page)

    manifests = sorted(landing.manifests(), key=lambda m: m.received_at)
    assert report.batches == report.new_batches == 2 and report.rows_landed == 2
    assert report.watermark == "2025-03-12T00"
    oldest, newest = (landing.records(m) for m in sorted(manifests, key=lambda m: m.source_name))
    assert oldest["GXSJ"].to_list() == [versions["GXSJ"][0]] and newest["GXSJ"].to_list() == [versions["GXSJ"][1]]
    for manifest in manifests:  # each batch's raw content holds exactly its own rows
        content = json.loads((landing.root / manifest.raw_path).read_bytes())
        assert [r["GXSJ"] for r in content["records"]] == landing.records(manifest)["GXSJ"].to_list()

    accepted, issues = _validated(landing, reference, tmp_path)
    assert CONFLICT not in issues["rule"].to_list()
    assert accepted.height == 2
    key = list(standard().entity(entity).key)
    assert _latest(accepted, key)[changed].to_list() == [versions[changed][1]]


def test_a_catch_up_page_lands_its_versions_in_order_before_the_watermark_moves(exchange, tmp_path, monkeypatch):
    versions = _versions(exchange, "penalty_case")
    landed: list[tuple[str, str]] = []  # (更新时间, batch id) in landing order
    land = Landing.land

    def recording(self, batch, **options):
        manifest, new = land(self, batch, **options)
        landed.append((batch.records["GXSJ"][0], manifest.batch_id))
        return manifest, new

    monkeypatch.setattr(Landing, "land", recording)
    page = _as_sent(versions.reverse(), "penalty_case")
    _, _, watermarks = _pull_api(tmp_path, versions[UNIT][0], "penalty_case", page)
    assert [updated for updated, _ in landed] == versions["GXSJ"].to_list()
    moved = watermarks._connection.execute("SELECT position, batch_id FROM watermark").fetchall()
    assert moved == [("2025-03-12T00", landed[-1][1])]  # moved once, after the last of the page's batches


def test_the_same_catch_up_page_pulled_again_lands_nothing_new(exchange, tmp_path):
    versions = _versions(exchange, "license")
    page = _as_sent(versions, "license")
    first, landing, _ = _pull_api(tmp_path, versions[UNIT][0], "license", page)
    # as after a crash before the watermark moved: the same page, the same batches
    again, _, _ = _pull_api(tmp_path, versions[UNIT][0], "license", page, WatermarkStore(tmp_path / "fresh.sqlite"))
    assert first.new_batches == 2
    assert again.batches == 2 and again.new_batches == 0 and again.rows_landed == 0
    assert len(landing.manifests()) == 2


def test_two_records_with_one_key_and_one_update_time_are_still_a_conflict(exchange, reference, tmp_path):
    versions = _versions(exchange, "penalty_case")
    first = versions.head(1)
    page = _as_sent(pl.concat([first, _same_time_other_content(first), versions.tail(1)]), "penalty_case")
    report, landing, _ = _pull_api(tmp_path, versions[UNIT][0], "penalty_case", page)
    assert report.new_batches == 2

    accepted, issues = _validated(landing, reference, tmp_path)
    conflicts = issues.filter(pl.col("rule") == CONFLICT)
    assert conflicts.height == 2  # both records of that 更新时间, as for any batch a unit sends
    assert accepted["GXSJ"].dt.strftime("%Y-%m-%d %H:%M:%S").to_list() == [versions["GXSJ"][1]]


def _front(tmp_path, frame: pl.DataFrame, entity: str) -> sql.FrontDbSource:
    source = sql.FrontDbSource(f"sqlite:///{tmp_path / 'front.sqlite'}", batch_rows=100)
    table = source.table(entity)
    source._metadata.create_all(source.engine, tables=[table])
    codes = standard().entity(entity).field_codes
    rows = frame.select(*codes, pl.col(CURSOR).alias(sql.SYNC_CURSOR), pl.col(UNIT).alias(sql.UNIT_CODE))
    with source.engine.begin() as connection:
        connection.execute(sa.insert(table), rows.to_dicts())
    return source


def _pull_sql(tmp_path, source: sql.FrontDbSource, unit: str, watermarks_name: str = "watermarks.sqlite"):
    landing = Landing(tmp_path / "landing")
    report = sql.pull_and_land(source, landing, WatermarkStore(tmp_path / watermarks_name), unit, "penalty_case")
    return report, landing


def test_a_front_db_catch_up_lands_both_versions_once_and_the_latest_wins(exchange, reference, tmp_path):
    versions = _versions(exchange, "penalty_case")
    unit = versions[UNIT][0]
    source = _front(tmp_path, versions, "penalty_case")
    report, landing = _pull_sql(tmp_path, source, unit)
    assert report.batches == report.new_batches == 2 and report.watermark == versions[CURSOR][1]
    for manifest in landing.manifests():
        content = json.loads((landing.root / manifest.raw_path).read_bytes())
        assert len(content["rows"]) == manifest.rows == 1

    again, _ = _pull_sql(tmp_path, source, unit, "fresh.sqlite")
    assert again.batches == 2 and again.new_batches == 0

    accepted, issues = _validated(landing, reference, tmp_path)
    assert CONFLICT not in issues["rule"].to_list() and accepted.height == 2
    assert _latest(accepted, ["ZTDM", "AJBH"])["AJZT"].to_list() == [versions["AJZT"][1]]
    source.dispose()


def test_a_front_db_page_with_one_key_twice_at_one_time_is_still_a_conflict(exchange, reference, tmp_path):
    versions = _versions(exchange, "penalty_case")
    first = versions.head(1)
    other = _same_time_other_content(first).with_columns(pl.col(CURSOR) + "~")  # its own, later cursor
    source = _front(tmp_path, pl.concat([first, other]), "penalty_case")
    report, landing = _pull_sql(tmp_path, source, versions[UNIT][0])
    assert report.batches == 1

    accepted, issues = _validated(landing, reference, tmp_path)
    assert issues.filter(pl.col("rule") == CONFLICT).height == 2 and accepted.height == 0
    source.dispose()


def test_versions_go_to_successive_batches_by_update_time_each_key_ending_in_the_last():
    from connectors.versions import version_parts

    body = "11440000MB0000003M"
    rows = [
        ("A", "2025-03-09 08:00:00"),  # the page's order is not the versions' order
        ("A", "2025-03-01 08:00:00"),
        ("B", "2025-03-02 08:00:00"),  # one version: with every key's latest, in the last batch
        ("A", "2025-03-05 08:00:00"),
        ("C", "2025-03-05 10:00:00"),
        ("C", "2025/3/5 10:00"),  # the same 更新时间 spelled otherwise: judged together
        (None, "2025-03-03 08:00:00"),  # no key: with the rest, for the validator to reject
    ]
    records = pl.DataFrame(
        {"ZTDM": [body] * len(rows), "AJBH": [key for key, _ in rows], "GXSJ": [time for _, time in rows]}
    )
    assert version_parts(records, "penalty_case").to_list() == [2, 0, 2, 1, 2, 2, 2]


@pytest.mark.parametrize("entity_code", ["penalty_case", "coercion_case", "inspection", "license"])
def test_the_split_reads_keys_and_times_as_the_whole_record_is_read(exchange, entity_code):
    """The split types only the key and 更新时间 (typing a whole page cost ~70 ms); each field is typed on
    its own, so these columns equal the validator's reading of the whole record, defects and all."""
    from connectors.versions import key_and_update_time
    from quality.normalise import normalise
    from quality.read import ROW

    entity = standard().entity(entity_code)
    needed = [*entity.key, entity.updated_at]
    sent = exchange.records[entity_code]
    assert sent[EXPECTED].is_not_null().any(), "the page should hold defective rows too"
    raw = (
        sent.select(pl.col(code).cast(pl.String) for code in entity.field_codes)
        .with_row_index(ROW, offset=1)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )
    whole = normalise(raw, entity, standard())
    narrowed = key_and_update_time(entity)
    alone = normalise(raw.select(ROW, *needed), narrowed, standard())
    assert alone.columns == [c for c in whole.columns if c == ROW or c.split("__")[0] in needed or c in needed]
    assert alone.equals(whole.select(alone.columns))
