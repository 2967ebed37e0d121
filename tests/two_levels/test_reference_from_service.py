"""A city takes its 三库 from the province's data service (issue 12, 数据服务向下延伸): the step before its
intake reads /v1/entities, /v1/officers and /v1/matters with the city's token (incrementally, every page),
writes them into DIR/province/reference/ in the extract's format, keeps the last good 三库 when the
service fails and says so in Chinese, and never shows the token. The service runs in-process over the
province's published copy (tests/two_levels/conftest.py).
"""

from __future__ import annotations

import datetime as dt
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
    FULL_RELOAD_DAYS,
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
    assert report.taken and report.full_reload and "已从省级数据服务取得三库" in report.message
    assert {url.rsplit("/", 1)[-1] for url, _ in session.asked} == {"entities", "officers", "matters"}
    assert all(params["since"] == "1900-01-01" and params["limit"] == "1000" for _, params in session.asked)

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

    # The files are an extract the city takes as before: every row of it accepted, the same units found.
    cycle.land_reference(home, as_of=day)
    entries = [e for e in Lake(home.lake).entries() if e.unit == REFERENCE_UNIT]
    assert len(entries) == 3 and all(e.rejected == 0 and e.accepted > 0 for e in entries)
    assert set(cycle.discover_units(home)) == set(levels["levels"].units[GUANGZHOU])

    assert token not in caplog.text and token not in "".join(capsys.readouterr())
    assert token not in repr(ServiceReference("http://testserver", token))


def test_the_next_cycle_asks_only_for_what_changed(levels, served, tmp_path):
    client, token = served
    home, day = _city(tmp_path / "gz", levels), levels["days"][-1]
    take_reference(home, day, source=ServiceReference("http://testserver", token, session=Loopback(client)))
    before = _files(home)
    store = ReferenceStore(store_path(home))
    watermarks = {library: store.watermark(library)[0] for library in ("entities", "officers", "matters")}
    store.close()
    session = Loopback(client)
    report = take_reference(home, day + dt.timedelta(days=1),
                            source=ServiceReference("http://testserver", token, session=session))
    assert report.taken and not report.full_reload
    assert {params["since"] for _, params in session.asked} == set(watermarks.values()) != {"1900-01-01"}
    assert report.versions_received == {"entities": 0, "officers": 0, "matters": 0}
    assert _files(home) == before
    # Every FULL_RELOAD_DAYS the libraries are read whole again (the versions `since` cannot see).
    later = take_reference(home, day + dt.timedelta(days=1 + FULL_RELOAD_DAYS),
                           source=ServiceReference("http://testserver", token, session=Loopback(client)))
    assert later.full_reload and later.versions_received["entities"] > 0


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
