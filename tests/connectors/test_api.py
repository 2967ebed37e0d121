"""The exchange API channel against the simulated API on loopback: paging, retries, repeated pages,
crash safety, and the token kept out of logs, errors, repr and manifests."""

from __future__ import annotations

import datetime as dt
import logging
import time

import polars as pl
import pytest
import requests

from connectors.api import ApiError, ApiSource, pull_and_land
from connectors.landing import RECORD, Landing
from connectors.simulator.api_server import Faults, start_api
from connectors.simulator.exchange import CURSOR, Exchange
from connectors.watermarks import WatermarkKey, WatermarkStore

TOKEN = "zfjd-test-token-7f3a9c51"
ENTITY = "inspection"
PAGE = 7


@pytest.fixture(scope="module")
def exchange():
    return Exchange.simulate(units=20, days=3, seed=1, start=dt.date(2025, 3, 1))


@pytest.fixture(scope="module")
def unit(exchange):
    """The unit with the most inspection records (several pages of PAGE)."""
    counts = exchange.records[ENTITY].group_by("__unit").len().sort(["len", "__unit"], descending=True)
    return counts["__unit"][0]


@pytest.fixture(scope="module")
def expected(exchange, unit):
    frame = exchange.since(unit, ENTITY, None).drop(CURSOR)
    assert frame.height > 3 * PAGE
    return frame


def _source(api, token=TOKEN, **options):
    return ApiSource(api.url, token, **{"timeout": (1, 2), "backoff": 0.01, "page_size": PAGE, **options})


def _run(api, root, **options):
    landing, watermarks = Landing(root / "landing"), WatermarkStore(root / "landing" / "watermarks.sqlite")
    report = pull_and_land(_source(api, **options), landing, watermarks, api.unit, ENTITY)
    return report, landing, watermarks


def _landed(landing):
    """Every landed record, pages in watermark order."""
    manifests = sorted(landing.manifests(), key=lambda m: m.window_end)
    return pl.concat([landing.records(m).drop(RECORD) for m in manifests])


@pytest.fixture
def serve(exchange, unit):
    running = []

    def start(faults=None, **options):
        api = start_api(exchange, token=TOKEN, faults=faults, **options)
        api.unit = unit
        running.append(api)
        return api

    yield start
    for api in running:
        api.stop()


@pytest.fixture(scope="module")
def clean(exchange, unit, tmp_path_factory):
    """The batch ids of a clean pull, to compare faulty pulls with."""
    with start_api(exchange, token=TOKEN) as api:
        api.unit = unit
        _, landing, _ = _run(api, tmp_path_factory.mktemp("clean"))
    return sorted(m.batch_id for m in landing.manifests())


def test_a_full_pull_lands_exactly_the_units_records_and_a_second_pull_nothing(serve, tmp_path, expected, exchange,
                                                                             clean):
    api = serve()
    report, landing, watermarks = _run(api, tmp_path)
    pages = -(-expected.height // PAGE)
    assert report.batches == report.new_batches == pages and report.rows_landed == expected.height
    assert _landed(landing).equals(expected)
    assert sorted(m.batch_id for m in landing.manifests()) == clean
    last = exchange.since(api.unit, ENTITY, None)[CURSOR][-1]
    assert watermarks.get(WatermarkKey(api.unit, ENTITY, "api")) == last
    first = min(landing.manifests(), key=lambda m: m.window_end)
    assert first.channel == "api" and first.window_start is None
    assert first.source_name.startswith(f"/api/v1/records/{ENTITY}?unit={api.unit}&page_size={PAGE}")
    assert [status for _, status in api.requests] == [200] * pages

    again = pull_and_land(_source(api), landing, watermarks, api.unit, ENTITY)
    assert again.rows_landed == 0 and again.new_batches == 0
    assert "updated_since=" in api.requests[-1][0] and len(landing.manifests()) == pages


def test_the_api_pages_stably_in_utf8_and_checks_its_parameters(serve, unit):
    api = serve(max_page_size=10)
    url, auth = f"{api.url}/api/v1/records/{ENTITY}", {"Authorization": f"Bearer {TOKEN}"}
    with requests.Session() as session:
        get = lambda entity, **params: session.get(url.replace(ENTITY, entity), params=params, headers=auth, timeout=5)  # noqa: E731
        one, two = get(ENTITY, unit=unit, page_size=3), get(ENTITY, unit=unit, page_size=3)
        assert one.status_code == 200 and one.content == two.content
        assert one.headers["Content-Type"] == "application/json; charset=utf-8"
        assert any(ord(ch) > 0x4E00 for ch in one.content.decode("utf-8"))  # not \u-escaped
        page = one.json()
        assert len(page["records"]) == 3 and page["next_page_token"] == page["watermark"]
        following = get(ENTITY, unit=unit, page_size=3, page_token=page["next_page_token"]).json()
        assert following["records"][0] != page["records"][0]
        assert len(get(ENTITY, unit=unit, page_size=500).json()["records"]) == 10  # capped
        assert get("nonsense", unit=unit).status_code == 404
        assert get(ENTITY, unit="91440000000000000X").status_code == 404
        for bad in ({"unit": "x"}, {"unit": unit, "page_size": "0"}, {"unit": unit, "page_size": "ten"},
                    {"unit": unit, "colour": "red"}):
            response = get(ENTITY, **bad)
            assert response.status_code == 400 and response.json()["error"].startswith("bad_")
        refused = session.get(url, params={"unit": unit}, timeout=5)
        assert refused.status_code == 401 and "message" in refused.json()


def test_503s_at_the_start_and_500s_mid_pagination_are_retried(serve, tmp_path, expected, clean):
    api = serve(Faults(fail_first=2, fail_every=5))
    report, landing, _ = _run(api, tmp_path)
    statuses = [status for _, status in api.requests]
    assert statuses[:2] == [503, 503] and 500 in statuses[3:]
    assert report.rows_landed == expected.height and _landed(landing).equals(expected)
    assert sorted(m.batch_id for m in landing.manifests()) == clean


def test_a_timeout_mid_pagination_is_retried(serve, tmp_path, expected, clean, caplog):
    api = serve(Faults(delay_every=4, delay_seconds=1.0))
    started = time.monotonic()
    report, landing, _ = _run(api, tmp_path, timeout=(1, 0.5))
    assert time.monotonic() - started < 10 and "ReadTimeout" in caplog.text
    assert report.rows_landed == expected.height and _landed(landing).equals(expected)
    assert sorted(m.batch_id for m in landing.manifests()) == clean
    paths = [path for path, _ in api.requests]
    assert len(paths) == report.batches + len(paths) // 4  # every 4th answer came too late and was asked again
    assert paths[3] == paths[4] and paths[7] == paths[8]


def test_a_repeated_page_yields_no_duplicate_rows(serve, tmp_path, expected, clean):
    api = serve(Faults(repeat_page_every=3))
    source = _source(api)
    pulled = pl.concat([batch.records for batch in source.pull(api.unit, ENTITY, None)])
    assert pulled.equals(expected)
    paths = [path for path, _ in api.requests]
    assert paths[3] == paths[4]  # the 3rd next-page request got a repeated page and was asked for again
    report, landing, _ = _run(serve(Faults(repeat_page_every=2)), tmp_path)
    assert report.rows_landed == expected.height and _landed(landing).equals(expected)
    assert sorted(m.batch_id for m in landing.manifests()) == clean


def test_a_page_that_always_repeats_ends_in_an_error_not_a_loop(serve):
    api = serve(Faults(repeat_page_every=1))
    with pytest.raises(ApiError, match=r"重复页|repeating") as caught:
        list(_source(api, repeat_attempts=2).pull(api.unit, ENTITY, None))
    assert api.unit in str(caught.value) and len(api.requests) == 1 + 3


def test_a_wrong_token_fails_at_once_without_retrying(serve):
    api = serve()
    started = time.monotonic()
    with pytest.raises(ApiError, match="401") as caught:
        list(ApiSource(api.url, "wrong-token-123", backoff=1.0).pull(api.unit, ENTITY, None))
    assert time.monotonic() - started < 1
    assert [status for _, status in api.requests] == [401]
    assert caught.value.status == 401 and "wrong-token-123" not in str(caught.value)


def test_exhausted_retries_name_the_unit_and_entity_but_not_the_token(serve, exchange, unit):
    api = serve(Faults(fail_every=1))
    with pytest.raises(ApiError) as caught:
        list(_source(api, retries=2).pull(api.unit, ENTITY, None))
    message = str(caught.value)
    assert unit in message and ENTITY in message and "500" in message and TOKEN not in message
    assert len(api.requests) == 3
    api.stop()  # nothing listens any more: connection errors are retried too, then reported
    with pytest.raises(ApiError, match=r"连接|connection") as refused:
        list(_source(api, retries=1).pull(api.unit, ENTITY, None))
    assert TOKEN not in str(refused.value) and refused.value.__cause__ is None


def test_a_crash_between_landing_and_the_watermark_lands_nothing_twice(serve, tmp_path, expected, monkeypatch):
    api = serve()
    original, calls = WatermarkStore.advance, []

    def crash_once(self, key, position, batch_id):
        calls.append(position)
        if len(calls) == 3:
            raise OSError("simulated crash")
        return original(self, key, position, batch_id)

    monkeypatch.setattr(WatermarkStore, "advance", crash_once)
    with pytest.raises(OSError):
        _run(api, tmp_path)
    report, landing, _ = _run(api, tmp_path)
    assert report.new_batches == report.batches - 1  # the page landed before the crash lands nothing new
    assert sum(m.rows for m in landing.manifests()) == expected.height
    assert _landed(landing).equals(expected)


def test_the_token_is_never_logged_shown_or_landed(serve, tmp_path, caplog, expected):
    api = serve(Faults(fail_first=1, fail_every=4, repeat_page_every=3))
    caplog.set_level(logging.DEBUG)
    report, _, _ = _run(api, tmp_path)
    assert report.rows_landed == expected.height
    with pytest.raises(ApiError) as caught:
        list(ApiSource(api.url, TOKEN + "-expired").pull(api.unit, ENTITY, None))
    source = _source(api)
    assert "retrying" in caplog.text and "repeated page" in caplog.text  # the log was not empty
    texts = [caplog.text, repr(source), str(source.__dict__.get("_auth")), str(caught.value),
             *(r.getMessage() for r in caplog.records)]
    texts += [p.read_text(encoding="utf-8") for p in (tmp_path / "landing" / "manifests").glob("*.json")]
    assert texts and all(TOKEN not in text for text in texts)
    assert all(TOKEN.encode() not in p.read_bytes() for p in (tmp_path / "landing").rglob("*") if p.is_file())


def test_from_env(serve, monkeypatch, expected):
    api = serve()
    monkeypatch.setenv("ZFJD_EXCHANGE_URL", api.url)
    monkeypatch.setenv("ZFJD_EXCHANGE_TOKEN", TOKEN)
    source = ApiSource.from_env(page_size=PAGE)
    assert source.base_url == api.url and TOKEN not in repr(source)
    assert sum(b.records.height for b in source.pull(api.unit, ENTITY, None)) == expected.height
    monkeypatch.delenv("ZFJD_EXCHANGE_TOKEN")
    with pytest.raises(ApiError, match="ZFJD_EXCHANGE_TOKEN"):
        ApiSource.from_env()
