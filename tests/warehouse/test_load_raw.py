"""Loading the lake into `raw`: the ledger as the lake commits it, and batches without rejections or issues
(which leave no rejected/issues file) — on a lake written by hand, no dbt."""

from __future__ import annotations

import dataclasses
import json

import duckdb
import polars as pl

from zfjd.lake import LedgerEntry
from zfjd.warehouse import LEDGER_COLUMNS, _read_lake_table, load_lake_duckdb


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
