"""The dbt project's seeds, limits and source definitions are generated from standards/ and current."""

from __future__ import annotations

import csv
import io
import json
import re

from zfjd.dbt_artifacts import artifacts


def test_committed_dbt_artifacts_are_current():
    stale = [str(path) for path, text in artifacts().items() if path.read_text(encoding="utf-8") != text]
    assert not stale, f"regenerate with `uv run python -m zfjd.dbt_artifacts`: {stale}"


def test_the_workday_seed_knows_the_national_day_adjustments():
    rows = {
        r["calendar_date"]: r
        for r in csv.DictReader(io.StringIO(next(t for p, t in artifacts().items() if p.name == "workday.csv")))
    }
    assert rows["2024-09-29"]["is_workday"] == "true"  # a Sunday worked for 国庆
    assert rows["2024-10-12"]["is_workday"] == "true"  # a Saturday worked for 国庆
    assert rows["2024-10-07"]["is_workday"] == "false"  # a Monday of the holiday
    assert rows["2030-06-03"]["is_guessed"] == "true"  # beyond the calendar package: provisional, flagged
    # A year not announced yet still has its statutory holidays fixed in advance (元旦, 国庆 1–3 Oct).
    assert rows["2027-01-01"]["is_workday"] == "false" and rows["2027-01-01"]["is_guessed"] == "true"
    assert rows["2027-10-01"]["is_workday"] == "false"
    assert rows["2027-01-04"]["is_workday"] == "true"  # Monday after 元旦: its 调休 is not known yet


def test_the_code_macro_resolves_every_label_of_every_code_list_to_its_code():
    from standards.loader import standard

    macro = next(t for p, t in artifacts().items() if p.name == "codes.sql")
    table = json.loads(re.search(r"set codes = (\{.*\}) -%\}", macro).group(1))
    spec = standard()
    assert table["case_status"]["已撤销"] == "9" and table["review_outcome"]["确认违法"] == "4"
    assert table == {cl.id: {v.label: v.code for v in cl.values} for cl in spec.codelists.values()}


def test_staging_columns_are_read_by_duckdbs_parser_not_a_pattern():
    from zfjd.dbt_artifacts import staging_columns

    sql = """
    with latest as (
        {{ latest_versions(source('lake', 'penalty_case'), ['ZTDM', 'AJBH']) }}
    ),
    history as (select max("GXSJ") as last_active_at from {{ source('lake', 'penalty_case') }})
    select
        latest."ZTDM" || '|' || latest."AJBH" as case_id,
        cast("CF_NR_FK"
             as decimal(18, 6)) as fine_amount_wan,
        coalesce("SFTZ" = 'Y', false) as had_hearing,
        "AJZT" = {{ code('case_status', '已撤销') }} as is_withdrawn,
        {{ lake_provenance() }},
        version_count
    from latest cross join history
    """
    assert staging_columns(sql) == [
        ("case_id", ("ZTDM", "AJBH"), False),
        ("fine_amount_wan", ("CF_NR_FK",), True),
        ("had_hearing", ("SFTZ",), False),
        ("is_withdrawn", ("AJZT",), False),
        ("version_count", ("version_count",), True),
    ]


def test_every_staging_column_made_from_a_standard_field_is_documented():
    import yaml

    from standards.loader import standard
    from zfjd.dbt_artifacts import STAGED_ENTITIES, staging_columns
    from zfjd.warehouse import PROJECT_DIR

    text = next(t for p, t in artifacts().items() if p.name == "_staging.yml")
    models = yaml.safe_load(text)["models"]
    documented = {m["name"]: {c["name"]: c["description"] for c in m["columns"]} for m in models}
    spec = standard()
    for model, (entity_code, _key) in STAGED_ENTITIES.items():
        entity = spec.entity(entity_code)
        sql = (PROJECT_DIR / "models" / "staging" / f"{model}.sql").read_text(encoding="utf-8")
        for name, codes, _renamed in staging_columns(sql, model):
            if any(entity.has_field(code) for code in codes):
                assert name in documented[model], f"{model}.{name}"
        # every field the model's output reads is named in some column's description
        read = {code for _, codes, _ in staging_columns(sql, model) for code in codes if entity.has_field(code)}
        described = " ".join(documented[model].values())
        assert all(f"（{code}）" in described for code in read - set(entity.key)), model
    penalty = documented["stg_lake__penalty_cases"]
    assert penalty["fine_amount_wan"] == "罚款金额（万元）（CF_NR_FK）"
    assert penalty["had_hearing"] == "由是否听证（SFTZ）得出"
    assert "last_active_at" not in penalty  # a CTE's column, not the model's


def test_every_dbt_unit_test_name_fits_a_postgresql_relation_name():
    # dbt names a relation after each unit test; PostgreSQL refuses identifiers over 63 bytes, so a longer
    # name passes on DuckDB and fails only in the PostgreSQL build.
    from pathlib import Path

    import yaml

    too_long = [
        (path.name, test["name"])
        for path in Path("dbt_project/models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
        if len(test["name"].encode()) > 63
    ]
    assert not too_long, too_long
