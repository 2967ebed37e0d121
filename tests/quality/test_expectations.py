from __future__ import annotations

import duckdb

from quality.expectations import check_warehouse, suite_for


def test_suites_follow_the_naming_conventions():
    columns = {"case_id": "VARCHAR", "on_time_rate": "DOUBLE", "n_cases": "BIGINT"}
    kinds = {(e.kind, e.column) for e in suite_for("fct_penalty_case", columns)}
    expected = {("unique", "case_id"), ("not_null", "case_id"), ("between", "on_time_rate"), ("min_zero", "n_cases")}
    assert expected <= kinds


def test_unmasked_id_numbers_and_unbalanced_batches_fail(tmp_path):
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema marts; create schema ops; create schema raw")
        con.execute("create table marts.dim_officer as select 'o' || range as officer_id, case when range = 3 "
                    "then '440106199206151234' else '440106********1234' end as id_number from range(5)")
        con.execute("create table ops.ops_batch as select 'b' || range as batch_id, 10 as received, 7 as accepted, "
                    "case when range = 1 then 2 else 3 end as rejected from range(4)")
        con.execute("create table raw.dim_secret as select '440106199206151234' as id_number")
    report = check_warehouse(database, tmp_path / "docs")
    # how many values failed is kept (the checks ask GX for its BASIC result)
    assert any("dim_officer" in f and "id_number" in f and "unexpected=1" in f for f in report.failed)
    assert any("ops_batch" in f and "unexpected=1" in f for f in report.failed)
    assert not any("dim_secret" in f for f in report.failed)
    assert (tmp_path / "docs" / "index.html").exists()
