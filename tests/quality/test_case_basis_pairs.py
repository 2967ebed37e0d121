"""`finding.case_basis_not_in_matter` is judged once per distinct (处罚依据, 事项 bases) pair and spread back to
the rows: each row must get what judging it alone gives, whatever repeats, nulls and empty lists it holds."""

from __future__ import annotations

import random

import polars as pl

from quality.read import ROW
from quality.reference import (
    CASE_BASIS_OUTSIDE_MATTER,
    MATTER_BASIS,
    _case_basis_outside_matter,
    _case_basis_outside_matter_by_row,
)

LAWS = pl.DataFrame({
    "FGBH": ["FL-0001", "FL-0002", "FG-0201"],
    "FGMC": ["中华人民共和国产品质量法", "中华人民共和国行政处罚法", "广东省食品安全条例"],
    "GXSJ": ["2024-01-01 00:00:00"] * 3,
})
TEXTS = [
    "依据《中华人民共和国产品质量法》第四十九条、第五十条",
    "依据《产品质量法》第四十九条第一款、《中华人民共和国行政处罚法》第三十二条",
    "《广东省食品安全条例》第十三条",
    "依据有关规定",
    "",
    None,
]
BASES = [
    ["FL-0001:第四十九条"],
    ["FL-0001:第四十九条第二款", "FG-0201:第十三条"],
    ["FG-0201:第九条"],
    [],
    None,
]


def test_judging_distinct_pairs_gives_every_row_what_judging_it_alone_gives():
    rng = random.Random(4)
    rows = 2_000
    frame = pl.DataFrame(
        {
            ROW: list(range(1, rows + 1)),
            "CF_YJ": [rng.choice(TEXTS) for _ in range(rows)],
            MATTER_BASIS: [rng.choice(BASES) for _ in range(rows)],
            "other": [rng.random() for _ in range(rows)],
        },
        schema_overrides={MATTER_BASIS: pl.List(pl.String)},
    )
    by_pairs = _case_basis_outside_matter(frame, LAWS)
    alone = _case_basis_outside_matter_by_row(frame, LAWS)
    assert by_pairs.columns == alone.columns and by_pairs.height == rows
    assert by_pairs.equals(alone)  # same rows, same order, same flags
    flagged = by_pairs.filter(CASE_BASIS_OUTSIDE_MATTER)
    assert 0 < flagged.height < rows
    # 第五十条 of the 事项's 产品质量法, or 第十三条 of a 条例 whose 第九条 only the 事项 lists
    assert set(flagged["CF_YJ"]) == {TEXTS[0], TEXTS[2]}
