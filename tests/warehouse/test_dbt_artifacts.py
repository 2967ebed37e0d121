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
