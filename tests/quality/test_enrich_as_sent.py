"""The 三库 columns of a group of units' rows in one pass equal one `enrich` per unit (quality/reference.py)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from quality.read import ROW
from quality.reference import IN_SCOPE, SUBMITTER_MATCHES, Reference, enrich, enrich_as_sent

AS_OF = dt.date(2025, 3, 1)


def _entities() -> pl.DataFrame:
    # B1 was U1's, its latest version names U2; B2 is U1's; U1 is a body too, U2 is not (a unit answers
    # for itself all the same).
    rows = [
        ("B1", "U1", dt.datetime(2024, 1, 1)),
        ("B1", "U2", dt.datetime(2024, 6, 1)),
        ("B2", "U1", dt.datetime(2024, 1, 1)),
        ("U1", "U1", dt.datetime(2024, 1, 1)),
    ]
    return pl.DataFrame(
        {
            "TYSHXYDM": [r[0] for r in rows],
            "BSDWDM": [r[1] for r in rows],
            "GXSJ": [r[2] for r in rows],
            "SXRQ": [dt.date(2020, 1, 1)] * len(rows),
            "SHXRQ": pl.Series([None] * len(rows), dtype=pl.Date),
            "ZT": ["1"] * len(rows),
            "ZFLY": ["市场监管"] * len(rows),
        }
    )


def test_scope_columns_by_each_rows_sender_equal_one_enrich_per_unit():
    senders = ["U1", "U1", "U1", "U2", "U2", "U2", "U1", "U2"]
    frame = pl.DataFrame(
        {
            ROW: list(range(1, 9)),
            "ZTDM": ["U1", "B2", "B1", "B1", None, "B2", "NOT-KNOWN", "U2"],
            "BSDWDM": ["U1", "U2", None, "U2", "U2", "U1", "U1", "U2"],
            "JCRQ": [dt.date(2025, 2, 1)] * 8,
        },
        schema_overrides={ROW: pl.Int64},
    )
    reference = Reference(entities=_entities())
    together = enrich_as_sent(frame, "inspection", reference, pl.Series(senders), AS_OF)

    per_unit = pl.concat(
        enrich(frame.filter(pl.Series(senders) == unit), "inspection", reference, unit, AS_OF) for unit in ("U1", "U2")
    ).sort(ROW)
    assert together.columns == per_unit.columns
    assert together.equals(per_unit)
    # own body, a body it answers for, a body now answered for by U2 / by U2, no body, U1's body, unknown,
    # U2 itself (in no 三库 row)
    assert together[IN_SCOPE].to_list() == [True, True, False, True, True, False, False, True]
    assert together[SUBMITTER_MATCHES].to_list() == [True, False, True, True, True, False, True, True]
