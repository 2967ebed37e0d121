"""The province's read-only data service (zfjd/service) over the published copy of the session's province:
each scope sees its own rows and nothing of anyone else's (not in rows, totals, nor errors), no response
holds an unmasked 身份证号 or an officer's full name, paging walks a list exactly once, as_of / since
follow the SCD2 dates, tokens rotate and the daily swap of the copy is seen without a restart, and the
lookups answered from memory agree with the SQL the lists use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat

import duckdb
import pytest
from fastapi.testclient import TestClient
from personal_data_scan import valid_id_numbers

from zfjd import publish
from zfjd.home import Home
from zfjd.service import create_app, queries, tokens
from zfjd.service.published import PublishedCopy

UNKNOWN_UNIT = "11449900MB99999990"  # shaped like a unit code, in no table


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rows(database, query: str, params=()) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def walk(client: TestClient, path: str, token: str, **params) -> tuple[list[dict], list[dict]]:
    """Every page of a list: (all items, every response body)."""
    items, bodies, cursor = [], [], None
    while True:
        answer = client.get(path, headers=bearer(token), params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        bodies.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return items, bodies


@pytest.fixture(scope="module")
def served(duckdb_build, tmp_path_factory):
    """A home of its own holding a copy of the session's published warehouse (the swap test replaces it)."""
    source, spec = duckdb_build
    publish.publish(source, as_of=spec.last_day)
    home = Home.at(tmp_path_factory.mktemp("service"))
    home.published.parent.mkdir(parents=True)
    shutil.copyfile(source.published, home.published)
    database = home.published
    # a city with bodies of two or more reporting units, one unit in it, and a unit of another city
    city, _ = rows(
        database,
        "select city_code, count(distinct reporting_unit_id) n from marts.dim_enforcement_entity "
        "where city_code is not null group by 1 order by n desc, 1 limit 1",
    )[0]
    unit = rows(
        database,
        "select e.reporting_unit_id from marts.dim_enforcement_entity e join ops.ops_batch b on b.unit = "
        "e.reporting_unit_id where e.city_code = ? group by 1 order by count(*) desc, 1 limit 1",
        [city],
    )[0][0]
    elsewhere = rows(
        database,
        "select reporting_unit_id from marts.dim_enforcement_entity where city_code <> ? and reporting_unit_id in "
        "(select reporting_unit_id from marts.fct_finding) order by 1 limit 1",
        [city],
    )[0][0]
    issued = {
        "unit": tokens.issue(home, unit)[1],
        "city": tokens.issue(home, unit, city=city)[1],
        "province": tokens.issue(home, "11440000MB0000004Q", province=True)[1],
        "elsewhere": tokens.issue(home, elsewhere)[1],
        # a city instance whose own unit code is not one of the city's units: it sees the city, not its unit
        "city_by_outsider": tokens.issue(home, elsewhere, city=city)[1],
    }
    return home, TestClient(create_app(home)), issued, {"unit": unit, "city": city, "elsewhere": elsewhere}


def bodies_in_scope(database, scope: str, who: dict) -> set[str]:
    column, value = {"unit": ("reporting_unit_id", who["unit"]), "city": ("city_code", who["city"])}[scope]
    return {e for (e,) in rows(database, f"select entity_id from marts.dim_enforcement_entity where {column} = ?",
                               [value])}


REFERENCE_CODES = {"entities": "entity_id", "officers": "card_number", "matters": "matter_code"}


def test_each_scope_sees_the_three_libraries_of_its_own_bodies_only(served):
    home, client, issued, who = served
    for scope, token in (("unit", "unit"), ("city", "city"), ("city", "city_by_outsider")):
        bodies = bodies_in_scope(home.published, scope, who)
        entities, _ = walk(client, "/v1/entities", issued[token], limit=1000)
        assert entities and {e["entity_id"] for e in entities} == bodies
        officers, _ = walk(client, "/v1/officers", issued[token], limit=1000)
        expected = rows(home.published, "select count(*) from marts.dim_officer where is_current and entity_id in "
                        "(select unnest(?::varchar[]))", [sorted(bodies)])[0][0]
        assert officers and len(officers) == expected and all(o["entity_id"] in bodies for o in officers)
        matters, _ = walk(client, "/v1/matters", issued[token], limit=1000)
        assert matters and all(set(m["implementing_entity_ids"].split(";")) & bodies for m in matters)
        assert all(m["legal_basis"] for m in matters)  # 设定依据 as the warehouse holds it
    provincial, _ = walk(client, "/v1/entities", issued["province"], limit=1000)
    assert len(provincial) == rows(home.published, "select count(*) from marts.dim_enforcement_entity "
                                   "where is_current")[0][0]
    city_wide = {e["entity_id"] for e in walk(client, "/v1/entities", issued["city"], limit=1000)[0]}
    assert bodies_in_scope(home.published, "unit", who) <= city_wide  # equal when one unit reports for the city


def test_a_unit_reads_its_own_batches_rejections_findings_and_data_quality(served):
    home, client, issued, who = served
    tables = {"batches": ("ops.ops_batch", "unit"), "rejections": ("ops.ops_rejection", "unit"),
              "findings": ("marts.fct_finding", "reporting_unit_id"),
              "data-quality": ("marts.mart_unit_data_quality", "reporting_unit_id")}
    for unit, token in ((who["unit"], issued["unit"]), (who["elsewhere"], issued["elsewhere"]),
                        (who["unit"], issued["city"]), (who["unit"], issued["city_by_outsider"]),
                        (who["elsewhere"], issued["city_by_outsider"]), (who["elsewhere"], issued["province"])):
        for name, (table, column) in tables.items():
            items, bodies = walk(client, f"/v1/units/{unit}/{name}", token, limit=1000)
            expected = rows(home.published, f"select count(*) from {table} where {column} = ?", [unit])[0][0]
            assert len(items) == expected == bodies[0]["total"], (unit, name)
            assert all(item[column] == unit for item in items)
    assert walk(client, f"/v1/units/{who['unit']}/batches", issued["unit"])[0], "the unit has batches to show"
    assert walk(client, f"/v1/units/{who['elsewhere']}/findings", issued["elsewhere"])[0]


def test_another_scope_is_refused_the_same_way_whether_the_row_exists_or_not(served):
    home, client, issued, who = served
    for name in ("batches", "rejections", "findings", "data-quality"):
        for token in (issued["unit"], issued["city"]):
            other = client.get(f"/v1/units/{who['elsewhere']}/{name}", headers=bearer(token))
            missing = client.get(f"/v1/units/{UNKNOWN_UNIT}/{name}", headers=bearer(token))
            assert other.status_code == missing.status_code == 403
            assert other.content == missing.content and "无权" in other.json()["detail"]
    foreign_body = rows(home.published, "select entity_id from marts.dim_enforcement_entity where city_code <> ? "
                        "limit 1", [who["city"]])[0][0]
    foreign_card = rows(home.published, "select card_number from marts.dim_officer where entity_id = ? limit 1",
                        [foreign_body])
    for path, known in (("entities", foreign_body), ("officers", foreign_card[0][0] if foreign_card else None)):
        if known is None:
            continue
        assert client.get(f"/v1/{path}/{known}", headers=bearer(issued["province"])).status_code == 200
        for token in (issued["unit"], issued["city"]):
            other = client.get(f"/v1/{path}/{known}", headers=bearer(token))
            missing = client.get(f"/v1/{path}/NO-SUCH-CODE", headers=bearer(token))
            assert other.status_code == missing.status_code == 404 and other.content == missing.content
    own = sorted(bodies_in_scope(home.published, "unit", who))[0]
    assert client.get(f"/v1/entities/{own}", headers=bearer(issued["unit"])).json()["items"][0]["entity_id"] == own
    # no token, a wrong one, or one in the query string: the same 401, in Chinese, saying nothing else
    refusals = [
        client.get("/v1/entities"),
        client.get("/v1/entities", headers=bearer("not-a-token")),
        client.get("/v1/entities", params={"token": issued["province"], "access_token": issued["province"]}),
        client.get(f"/v1/units/{who['unit']}/batches", headers={"Authorization": issued["unit"]}),
    ]
    assert {r.status_code for r in refusals} == {401} and len({r.content for r in refusals}) == 1
    assert "令牌" in refusals[0].json()["detail"] and refusals[0].headers["www-authenticate"] == "Bearer"


def test_no_response_holds_an_unmasked_id_number_or_an_officers_full_name(served, duckdb_build):
    _, client, issued, who = served
    source, _ = duckdb_build
    texts = []
    for scope in ("unit", "province"):
        for name in ("entities", "officers", "matters"):
            texts += [json.dumps(b, ensure_ascii=False) for b in walk(client, f"/v1/{name}", issued[scope],
                                                                      limit=1000)[1]]
    for unit in (who["unit"], who["elsewhere"]):
        for name in ("batches", "rejections", "findings", "data-quality"):
            texts += [json.dumps(b, ensure_ascii=False) for b in walk(client, f"/v1/units/{unit}/{name}",
                                                                      issued["province"], limit=1000)[1]]
    assert len(texts) > 10
    assert not [found for text in texts for found in valid_id_numbers(text)]
    # the scan would see one: the warehouse's restricted schema holds plenty
    raw_ids = [i for (i,) in rows(source.warehouse, 'select "SFZH" from raw."officer" limit 20')]
    assert raw_ids and all(valid_id_numbers(json.dumps({"x": i})) for i in raw_ids)
    full_names = dict(rows(source.warehouse, 'select "ZFZH", "XM" from raw."officer"'))
    officers, _ = walk(client, "/v1/officers", issued["province"], limit=1000)
    assert officers and set(officers[0]) >= {"officer_name_masked", "id_number_masked"}
    assert not {"officer_name", "id_number"} & set(officers[0])
    for officer in officers:
        full = full_names.get(officer["card_number"])
        assert full and full not in json.dumps(officer, ensure_ascii=False), officer["card_number"]


def test_paging_caps_the_limit_and_the_cursor_walks_the_list_exactly_once(served):
    _, client, issued, _ = served
    for bad in ({"limit": 1001}, {"limit": 0}, {"limit": "many"}, {"as_of": "2025-02-30"}, {"cursor": "nonsense"},
                {"as_of": "2025-01-01", "since": "2025-01-01"}):
        answer = client.get("/v1/officers", headers=bearer(issued["province"]), params=bad)
        assert answer.status_code == 422 and "参数" in answer.json()["detail"], (bad, answer.text)
    default = client.get("/v1/officers", headers=bearer(issued["province"])).json()
    assert len(default["items"]) == 100 == default["limit"] and default["total"] > 100
    items, bodies = walk(client, "/v1/officers", issued["province"], limit=37)
    ids = [o["officer_version_id"] for o in items]
    assert len(ids) == len(set(ids)) == default["total"] and all(len(b["items"]) <= 37 for b in bodies)
    assert ids == sorted(ids) and len(bodies) == -(-default["total"] // 37)


@pytest.fixture(scope="module")
def history(served, tmp_path_factory):
    """A hand-made history on a copy: one body renamed on 2030-01-10, its old version in force from
    2029-06-01 (later than any change of the simulated province, which has few or none)."""
    home, *_ = served
    copy = tmp_path_factory.mktemp("history") / "warehouse.duckdb"
    shutil.copyfile(home.published, copy)
    os.chmod(copy, 0o600)
    body = rows(copy, "select entity_id from marts.dim_enforcement_entity order by entity_id limit 1")[0][0]
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into marts.dim_enforcement_entity select * replace ('old-' || entity_version_id as "
                    "entity_version_id, '旧名称' as entity_name, date '2029-06-01' as valid_from, date '2030-01-10' "
                    "as valid_to, false as is_current) from marts.dim_enforcement_entity where entity_id = ?", [body])
        con.execute("update marts.dim_enforcement_entity set valid_from = date '2030-01-10' "
                    "where entity_id = ? and is_current", [body])
        con.execute("update main.zfjd_publication set fingerprint = 'hand-made history'")
    return copy, body


@pytest.fixture
def history_client(history, served, tmp_path):
    copy, body = history
    _, _, issued, _ = served
    home = Home.at(tmp_path)
    home.published.parent.mkdir(parents=True)
    shutil.copyfile(copy, home.published)
    shutil.copytree(tokens.token_path(served[0]).parent, home.state)
    return home, TestClient(create_app(home)), issued["province"], body


def test_as_of_gives_the_version_in_force_that_day(history_client):
    _, client, token, body = history_client

    def name(**params):
        answer = client.get(f"/v1/entities/{body}", headers=bearer(token), params=params)
        return answer.json()["items"][0]["entity_name"] if answer.status_code == 200 else answer.status_code

    current = name()
    assert current != "旧名称"
    assert name(as_of="2029-06-01") == name(as_of="2030-01-09") == "旧名称"
    assert name(as_of="2030-01-10") == name(as_of="2031-06-01") == current
    assert name(as_of="2029-05-31") == 404
    listed = walk(client, "/v1/entities", token, as_of="2029-07-01", limit=1000)[0]
    assert [e["entity_name"] for e in listed if e["entity_id"] == body] == ["旧名称"]
    assert len({e["entity_id"] for e in listed}) == len(listed), "one version of each body on one day"


def test_since_gives_the_versions_changed_after_the_watermark_and_the_next_one(history_client):
    _, client, token, body = history_client
    every, pages = walk(client, "/v1/entities", token, since="2024-01-01", limit=1000)
    assert pages[0]["total"] == len(every) > 2, "every version changed since the watermark, over all pages"
    assert {page["next_watermark"] for page in pages} == {"2030-01-10"}
    changed = client.get("/v1/entities", headers=bearer(token), params={"since": "2029-01-01"}).json()
    assert sorted(e["entity_name"] == "旧名称" for e in changed["items"]) == [False, True]
    assert {e["entity_id"] for e in changed["items"]} == {body} and changed["next_watermark"] == "2030-01-10"
    caught_up = client.get("/v1/entities", headers=bearer(token), params={"since": "2030-01-10"}).json()
    assert caught_up["items"] == [] and caught_up["total"] == 0 and caught_up["next_watermark"] == "2030-01-10"


def test_the_next_request_reads_the_copy_swapped_in_and_an_older_cursor_is_refused(history, served, tmp_path):
    copy, body = history
    source_home, _, issued, _ = served
    home = Home.at(tmp_path)
    home.published.parent.mkdir(parents=True)
    shutil.copyfile(source_home.published, home.published)
    shutil.copytree(tokens.token_path(source_home).parent, home.state)
    client = TestClient(create_app(home))
    token = bearer(issued["province"])
    before = client.get("/v1/entities", headers=token, params={"limit": 5}).json()
    in_force = client.get(f"/v1/entities/{body}", headers=token, params={"as_of": "2029-07-01"}).json()
    assert in_force["items"][0]["entity_name"] != "旧名称"
    building = home.published.with_name("building.duckdb")
    shutil.copyfile(copy, building)
    os.replace(building, home.published)  # what zfjd/publish.py does
    after = client.get(f"/v1/entities/{body}", headers=token, params={"as_of": "2029-07-01"})
    assert after.status_code == 200 and after.json()["items"][0]["entity_name"] == "旧名称"
    stale = client.get("/v1/entities", headers=token, params={"limit": 5, "cursor": before["next_cursor"]})
    assert stale.status_code == 409 and "重新" in stale.json()["detail"]


def test_the_token_file_holds_digests_only_and_rotation_needs_no_restart(served, tmp_path):
    source_home, *_ = served
    home = Home.at(tmp_path)
    home.published.parent.mkdir(parents=True)
    shutil.copyfile(source_home.published, home.published)
    unit = "11440100MB00000064"
    client = TestClient(create_app(home))
    old_record, old = tokens.issue(home, unit)
    assert client.get("/v1/me", headers=bearer(old)).json()["unit"] == unit
    new_record, new = tokens.issue(home, unit)
    assert {client.get("/v1/me", headers=bearer(t)).status_code for t in (old, new)} == {200}
    tokens.revoke(home, old_record.token_id)
    assert client.get("/v1/me", headers=bearer(old)).status_code == 401
    assert client.get("/v1/me", headers=bearer(new)).status_code == 200
    path = tokens.token_path(home)
    text = path.read_text(encoding="utf-8")
    assert new not in text and old not in text and tokens.digest_of(new) in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [r.token_id for r in tokens.listed(home)] == [new_record.token_id]


def test_before_the_first_publication_the_service_says_so_in_chinese(tmp_path):
    home = Home.at(tmp_path)
    _, token = tokens.issue(home, "11440100MB00000064")
    client = TestClient(create_app(home))
    for path in ("/v1/entities", "/v1/entities/11440100MB000000G3", "/v1/units/11440100MB00000064/batches"):
        answer = client.get(path, headers=bearer(token))
        assert answer.status_code == 503 and "尚未发布" in answer.json()["detail"], path
    assert client.get("/v1/entities").status_code == 401  # the token is checked first


def test_a_lookup_from_memory_answers_what_the_query_answers(served, history):
    """Lookups are served from memory (zfjd/service/in_memory.py); the SQL of the lists is the reference."""
    home, _, _, who = served
    copy_path, body = history
    scopes = [
        tokens.Scope(who["unit"]),
        tokens.Scope(who["elsewhere"], city=who["city"]),
        tokens.Scope("11440000MB0000004Q", province=True),
    ]
    for database in (home.published, copy_path):
        copy = PublishedCopy(database)
        libraries = copy.snapshot().libraries
        compared = 0
        for name, versions in libraries.versions.items():
            codes = [*sorted(versions)[:25], body, "NO-SUCH-CODE"]
            for code in codes:
                for scope in scopes:
                    for as_of in (None, dt.date(2025, 1, 15), dt.date(2029, 7, 1)):
                        cursor, _ = copy.cursor()
                        with cursor:
                            expected = queries.reference_lookup(cursor, scope, name, code, as_of=as_of)
                        assert libraries.lookup(scope, name, code, as_of) == expected, (name, code, scope, as_of)
                        compared += bool(expected)
        assert compared > 50
