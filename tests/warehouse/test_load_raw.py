"""Loading the lake into `raw`: the ledger as the lake commits it, batches without rejections or issues
(which leave no rejected/issues file), and accepted files of an older lake — on lakes written by hand,
no dbt."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import duckdb
import polars as pl

from zfjd.lake import LedgerEntry
from zfjd.warehouse import _POLARS_TYPES, LEDGER_COLUMNS, _read_lake_table, load_lake_duckdb, raw_tables


def _entry(batch_id: str, **counts) -> LedgerEntry:
    return LedgerEntry(
        batch_id=batch_id, unit="11440106MB2C3D4E5D", entity="penalty_case", channel="file_drop",
        received_at="2025-03-01T02:00:00+08:00", window_start=None, window_end=None, source_name="a.csv",
        validated_as_of="2025-03-01", **{"received": 3, "accepted": 3, "rejected": 0, "findings": 0, **counts},
    )


def test_the_ledger_loads_committed_entries_only_and_no_issue_file_is_an_empty_table(tmp_path):
    lake = tmp_path / "lake"
    (lake / "ledger").mkdir(parents=True)
    entries = [_entry("b1"), _entry("b2", accepted=1, rejected=2, unusable_reason="缺少列")]
    for entry in entries:
        (lake / "ledger" / f"{entry.batch_id}.json").write_text(
            json.dumps(dataclasses.asdict(entry), ensure_ascii=False), encoding="utf-8"
        )
    # Cut short by a power loss before its commit's flush: no commit, so no row (and no failed load).
    (lake / "ledger" / "b3.json").write_bytes(b"")
    (lake / "ledger" / "b4.json").write_bytes(b'{"batch_id": "b4", "unit"')

    report = load_lake_duckdb(lake, tmp_path / "warehouse.duckdb")

    assert report.rows["ledger"] == 2 and report.rows["issue"] == 0 and report.rows["penalty_case"] == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                                 "where schema_name = 'raw' and table_name = 'ledger'").fetchall())
        rows = con.execute("select batch_id, rejected, unusable_reason, window_start from raw.ledger "
                           "order by batch_id").fetchall()
    assert types == {name: kind.upper() for name, kind in LEDGER_COLUMNS.items()}
    assert rows == [("b1", 0, None, None), ("b2", 2, "缺少列", None)]
    # PostgreSQL's load reads the same rows.
    frame = _read_lake_table(lake, "ledger", LEDGER_COLUMNS)
    assert frame.columns == list(LEDGER_COLUMNS)
    assert frame.sort("batch_id").select("batch_id", "rejected", "unusable_reason").rows() == [
        ("b1", 0, None), ("b2", 2, "缺少列")
    ]
    assert frame.schema["received"] == pl.Int64


def _accepted(lake, name: str, frame: pl.DataFrame) -> None:
    folder = lake / "accepted" / "penalty_case"
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(folder / f"{name}.parquet")


def _penalty_rows(batch_id: str, rows: int) -> pl.DataFrame:
    columns = raw_tables()["penalty_case"]
    frame = pl.DataFrame({name: [None] * rows for name in columns},
                         schema={name: _POLARS_TYPES[kind] for name, kind in columns.items()})
    return frame.with_columns(
        pl.lit(batch_id).alias("batch_id"), pl.int_range(1, rows + 1, dtype=pl.Int64).alias("row_number"),
        pl.lit(dt.date(2025, 3, 1)).alias("WFRQ"), pl.lit(1500.0).alias("CF_NR_FK"),
    )


def _loaded(lake, tmp_path, name: str) -> list[tuple]:
    load_lake_duckdb(lake, tmp_path / f"{name}.duckdb")
    with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as con:
        return con.execute('select batch_id, row_number, "WFRQ", "CF_NR_FK", "WFZLRQ" from raw.penalty_case '
                           "order by batch_id, row_number").fetchall()


def test_accepted_files_load_whole_whatever_columns_an_older_lake_wrote(tmp_path):
    lake = tmp_path / "lake"
    _accepted(lake, "a", _penalty_rows("a", 2))
    # written before a field was added to the standard, and with a column since dropped
    _accepted(lake, "b", _penalty_rows("b", 1).drop("WFZLRQ").with_columns(pl.lit("x").alias("OLD_FIELD")))
    expected = [("a", 1, dt.date(2025, 3, 1), 1500.0, None), ("a", 2, dt.date(2025, 3, 1), 1500.0, None),
                ("b", 1, dt.date(2025, 3, 1), 1500.0, None)]
    assert _loaded(lake, tmp_path, "fast") == expected
    # a file with a column in another type than the standard's is read on its own, cast on insert
    _accepted(lake, "c", _penalty_rows("c", 1).with_columns(pl.lit("2025-03-01").alias("WFRQ")))
    assert _loaded(lake, tmp_path, "careful") == [*expected, ("c", 1, dt.date(2025, 3, 1), 1500.0, None)]


def test_a_nul_character_kept_in_the_lake_cannot_stop_the_postgresql_load():
    import psycopg

    from zfjd.warehouse import copy_csv, postgres_dsn

    frame = pl.DataFrame({"value": ["广州\x00某某", None, "普通"], "n": [1, 2, 3]})
    admin = postgres_dsn().replace("dbname=zfjd", "dbname=postgres")
    with psycopg.connect(admin) as con, con.cursor() as cur:
        cur.execute("create temporary table nul_copy (value text, n integer)")
        with cur.copy("copy nul_copy (value, n) from stdin with (format csv)") as copy:
            copy.write(copy_csv(frame))
        cur.execute("select value, n from nul_copy order by n")
        assert cur.fetchall() == [("广州\ufffd某某", 1), (None, 2), ("普通", 3)]
