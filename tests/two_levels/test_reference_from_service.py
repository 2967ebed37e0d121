"""A city takes its 三库 from the province's data service (issue 12, 数据服务向下延伸): the step before its
intake reads /v1/entities, /v1/officers and /v1/matters with the city's token (incrementally, every page),
writes them into DIR/province/reference/ in the extract's format, keeps the last good 三库 when the
service fails and says so in Chinese, and never shows the token. The service runs in-process over the
province's published copy (tests/two_levels/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import shutil

import polars as pl
import pytest
from fastapi.testclient import TestClient
from two_level_support import CITIES, Loopback

from standards.model import REFERENCE_UNIT
from zfjd import cycle
from zfjd.home import Home
from zfjd.instance import CityRole, configure_city
from zfjd.lake import Lake
from zfjd.province_reference import (
    FIRST_WATERMARK,
    PublishedReference,
    ReferenceStore,
    ServiceReference,
    ServiceUnavailable,
    store_path,
    take_reference,
)
from zfjd.service import create_app, tokens

pytestmark = pytest.mark.slow
GUANGZHOU = "440100"
FILES = ("enforcement_entity.csv", "officer.csv", "matter.csv")


@pytest.fixture(scope="module")
def served(levels, province_built):
    token = tokens.issue(province_built, CITIES[GUANGZHOU], city=GUANGZHOU)[1]
    return TestClient(create_app(province_built)), token


def _city(root, levels, *, service: str | None = "http://testserver", province_home: str | None = None) -> Home:
    """A 广州 instance holding the extract it was first given (as the two levels' 广州 was)."""
    home = Home.at(root).create()
    shutil.copytree(levels["levels"].cities[GUANGZHOU].reference, home.reference)
    (home.province / "units.yaml").write_text(json.dumps({"default_channel": "platform_push"}), encoding="utf-8")
    configure_city(home, CityRole(city=GUANGZHOU, unit=CITIES[GUANGZHOU], province_push=str(root / "push"),
                                  province_service=service, province_home=province_home))
    return home


def _files(home: Home) -> dict[str, bytes]:
    return {name: (home.reference / name).read_bytes() for name in FILES}


def test_a_city_takes_its_three_libraries_from_the_service(levels, served, tmp_path, caplog, capsys):
    client, token = served
    home, day = _city(tmp_path / "gz", levels), levels["days"][-1]
    given = pl.read_csv(home.reference / "enforcement_entity.csv", infer_schema=False)
    given_officers = pl.read_csv(home.reference / "officer.csv", infer_schema=False)
    session = Loopback(client)
    with caplog.at_level(logging.DEBUG):
        report = take_reference(home, day, source=ServiceReference("http://testserver", token, session=session))
    assert report.taken and report.full_reading and "已从省级数据服务取得三库" in report.message
    assert {url.rsplit("/", 1)[-1] for url, _ in session.asked} == {"entities", "officers", "matters"}
    assert all(params["taken_since"] == FIRST_WATERMARK and params["limit"] == "1000" for _, params in session.asked)

    # 广州's bodies, as the province holds them; nobody else's.
    taken = pl.read_csv(home.reference / "enforcement_entity.csv", infer_schema=False)
    guangzhou = given.filter(pl.col("行政区划代码").str.starts_with(GUANGZHOU[:4]))
    assert set(taken["统一社会信用代码"]) == set(guangzhou["统一社会信用代码"])
    assert taken.columns == given.columns
    columns = [c for c in given.columns if c != "更新时间"]
    assert taken.select(columns).sort(columns).equals(guangzhou.select(columns).sort(columns))
    # Officers keep the personal data the city held (the service masks it); no masked value is written.
    officers = pl.read_csv(home.reference / "officer.csv", infer_schema=False)
    assert report.officers_without_personal_data == 0 and officers.height > 0
    assert officers.join(given_officers, on=["执法证号", "姓名", "身份证号"], how="anti").is_empty()
    assert not officers["身份证号"].str.contains(r"\*").any()

    # The files are an extract the city takes as before: every row of it accepted, the same units found
    # (the 法律法规库 is not served: the city's own law.csv and law_article.csv land beside the three).
    cycle.land_reference(home, as_of=day)
    entries = [e for e in Lake(home.lake).entries() if e.unit == REFERENCE_UNIT]
    assert {e.entity for e in entries} == {"enforcement_entity", "officer", "matter", "law", "law_article"}
    assert len(entries) == 5 and all(e.rejected == 0 and e.accepted > 0 for e in entries)
    assert set(cycle.discover_units(home)) == set(levels["levels"].units[GUANGZHOU])

    assert token not in caplog.text and token not in "".join(capsys.readouterr())
    assert token not in repr(ServiceReference("http://testserver", token))


def test_the_next_cycle_asks_only_for_what_changed(levels, served, tmp_path):
    client, token = served
    home, day = _city(tmp_path / "gz", levels), levels["days"][-1]
    take_reference(home, day, source=ServiceReference("http://testserver", token, session=Loopback(client)))
    before = _files(home)
    store = ReferenceStore(store_path(home))
    watermarks = {library: store.watermark(library) for library in ("entities", "officers", "matters")}
    store.close()
    session = Loopback(client)
    report = take_reference(home, day + dt.timedelta(days=1),
                            source=ServiceReference("http://testserver", token, session=session))
    assert report.taken and not report.full_reading
    assert {params["taken_since"] for _, params in session.asked} == set(watermarks.values())
    assert FIRST_WATERMARK not in watermarks.values()
    assert report.versions_received == {"entities": 0, "officers": 0, "matters": 0}
    assert _files(home) == before


def _by_dates(province: Home, since: str) -> tuple[set[str], str]:
    """The bodies /v1/entities?since= gives 广州, and its next watermark."""
    from zfjd.service import queries
    from zfjd.service.published import PublishedCopy
    from zfjd.service.tokens import Scope

    cursor, snapshot = PublishedCopy(province.published).cursor()
    with cursor:
        page = queries.reference_page(cursor, snapshot, Scope(CITIES[GUANGZHOU], city=GUANGZHOU), "entities",
                                      since=dt.date.fromisoformat(since), limit=1000)
    return {item["entity_id"] for item in page.items}, page.next_watermark


def test_a_late_version_reaches_the_city_in_the_next_increment(levels, province_built, tmp_path):
    """A version the province takes in after the city's watermark, with an 更新时间 before the latest the
    city has seen (a late correction): `since` (by dates) cannot bring it, `taken_since` does."""
    import duckdb

    day = levels["days"][-1]
    province = Home.at(tmp_path / "province")
    province.published.parent.mkdir(parents=True)
    shutil.copyfile(province_built.published, province.published)
    province.published.chmod(0o600)
    with duckdb.connect(str(province.published)) as con:
        body = con.execute("select entity_id from marts.dim_enforcement_entity where city_code = ? and is_current "
                           "order by entity_id limit 1", [GUANGZHOU]).fetchone()[0]
        # the body's version held since February; the other bodies' of March: the date watermark is March's
        con.execute("update marts.dim_enforcement_entity set valid_from = date '2025-02-01' where entity_id = ?",
                    [body])
    home = _city(tmp_path / "gz", levels, service=None, province_home=str(province.root))
    assert take_reference(home, day).taken
    date_watermark = _by_dates(province, since="1900-01-01")[1]
    gc.collect()  # the copy's connections: DuckDB lets one process attach a file once
    with duckdb.connect(str(province.published)) as con:  # the late version: 更新时间 2025-02-15, taken in later
        latest = con.execute("select max(taken_in_at) from marts.dim_enforcement_entity").fetchone()[0]
        con.execute("update marts.dim_enforcement_entity set valid_to = date '2025-02-15', is_current = false "
                    "where entity_id = ?", [body])
        con.execute("insert into marts.dim_enforcement_entity select * replace ('late-' || entity_version_id as "
                    "entity_version_id, '迟到的更正名称' as entity_name, date '2025-02-15' as valid_from, "
                    "null as valid_to, true as is_current, ? + interval 1 hour as taken_in_at) "
                    "from marts.dim_enforcement_entity where entity_id = ?", [latest, body])
        con.execute("update main.zfjd_publication set fingerprint = 'a late version'")
    by_dates = _by_dates(province, since=date_watermark)[0]
    gc.collect()
    assert date_watermark > "2025-02-15" and body not in by_dates, "the known gap of `since`"
    report = take_reference(home, day + dt.timedelta(days=1))
    assert report.taken and report.versions_received["entities"] == 1
    taken = pl.read_csv(home.reference / "enforcement_entity.csv", infer_schema=False)
    assert taken.filter(pl.col("统一社会信用代码") == body)["执法主体名称"].to_list() == ["迟到的更正名称"]
    assert taken["统一社会信用代码"].is_unique().all(), "the version it replaced is no longer in force"


class _Refusing:
    def __init__(self, status: int | None) -> None:
        self.status = status

    def get(self, url, **options):
        if self.status is None:
            raise ConnectionError(f"connection refused: {url} {options.get('headers')}")

        class Answer:
            status_code = self.status

        return Answer()


@pytest.mark.parametrize("status", [None, 401, 503])
def test_when_the_service_fails_the_last_good_three_libraries_stay_and_the_cycle_says_so(
        levels, served, tmp_path, caplog, status):
    client, token = served
    home, day = _city(tmp_path / "gz", levels), levels["days"][-1]
    take_reference(home, day, source=ServiceReference("http://testserver", token, session=Loopback(client)))
    good = _files(home)
    with caplog.at_level(logging.DEBUG):
        report = take_reference(home, day + dt.timedelta(days=1),
                                source=ServiceReference("http://testserver", token, session=_Refusing(status)))
    assert not report.taken
    assert "沿用上次成功取得的三库" in report.message and f"取于 {day}" in report.message
    assert report.message in caplog.text
    assert _files(home) == good
    assert token not in caplog.text and token not in report.message


def test_without_any_three_libraries_a_failing_service_stops_the_cycle(levels, served, tmp_path):
    _, token = served
    home = _city(tmp_path / "gz", levels)
    shutil.rmtree(home.reference)
    with pytest.raises(ServiceUnavailable, match="无法校验") as stopped:
        take_reference(home, levels["days"][-1], source=ServiceReference("x", token, session=_Refusing(None)))
    assert token not in str(stopped.value)


def test_the_demonstration_reads_the_same_from_the_provinces_published_copy(levels, served, tmp_path):
    client, token = served
    day = levels["days"][-1]
    over_http = _city(tmp_path / "http", levels)
    take_reference(over_http, day, source=ServiceReference("http://testserver", token, session=Loopback(client)))
    on_disk = _city(tmp_path / "disk", levels, service=None, province_home=str(levels["levels"].province.root))
    report = take_reference(on_disk, day)  # the role's province_home: PublishedReference
    assert report.taken
    for name in FILES:
        http = pl.read_csv(over_http.reference / name, infer_schema=False)
        disk = pl.read_csv(on_disk.reference / name, infer_schema=False)
        if name == "matter.csv":  # amounts: 5000 over JSON, 5000.00 from the copy
            amounts = [c for c in http.columns if "罚款" in c]
            http, disk = (f.with_columns(pl.col(amounts).cast(pl.Float64)) for f in (http, disk))
        assert http.equals(disk), name
    # Before the province's first publication (the demonstration's first day), the given extract stays.
    unpublished = PublishedReference(tmp_path / "nowhere", GUANGZHOU, CITIES[GUANGZHOU])
    with pytest.raises(ServiceUnavailable, match="尚未发布"):
        unpublished.changed("entities", "1900-01-01")


def test_the_province_takes_nothing(levels):
    assert take_reference(levels["levels"].province, levels["days"][-1]) is None


def test_one_time_parameter_at_a_time_and_a_bad_watermark_is_refused_in_chinese(served):
    client, token = served
    headers = {"Authorization": f"Bearer {token}"}
    both = client.get("/v1/entities", headers=headers, params={"since": "2025-01-01", "taken_since": FIRST_WATERMARK})
    assert both.status_code == 422 and both.json()["detail"] == "参数 as_of、since 与 taken_since 只能使用其中一个"
    bad = client.get("/v1/officers", headers=headers, params={"taken_since": "yesterday"})
    assert bad.status_code == 422 and "参数 taken_since 无效" in bad.json()["detail"]
    page = client.get("/v1/matters", headers=headers, params={"taken_since": FIRST_WATERMARK, "limit": 5}).json()
    assert page["total"] > 5 and page["next_cursor"] and page["next_watermark"] > FIRST_WATERMARK
