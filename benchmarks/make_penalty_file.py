"""Writes a large penalty-case CSV from the bundled sample's rows, with realistic variety.

Each output row copies a row of `samples/penalty_case.csv` (so every reject rule and every finding
occurs), with a fresh case number and 决定书文号, a counterparty drawn from 50,000 companies or
people, all its dates moved back by the same whole number of weeks (up to three years) and its
更新时间 to a distinct second. About 10% of rows come from the sample's defective rows, 90% from its
clean rows and rows with findings — so distinct values and the reject rate look like a real file.

With `--messy`, values are spelled as units' own systems write them: each date independently as
`2024-03-01` (half), `2024年3月1日`, `2024/3/1` or `２０２４-０３-０１` (full-width digits); 更新时间 a
third of the time as `2024/3/1 8:05:09`; a tenth of 罚款金额 and of 统一社会信用代码 in full-width
digits. The engine reads all of these as the same values, so they change no outcome. `--defects SHARE`
sets the share of rows copied from the sample's defective rows (default 0.10): with `--messy`, 0, 0.2
and 0.5 give 0 %, about 16 % and about 40 % of rows rejected (not every defective sample row is
rejected once copied: fresh case numbers and counterparties undo its in-file duplicates and
a wrong 身份证号).

`python benchmarks/make_penalty_file.py ROWS OUT.csv [--encoding gb18030] [--seed 7] [--messy] [--defects 0.5]`
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))
from build_samples import ric, sample_rows, uscc  # noqa: E402

from quality.normalise import parse_date  # noqa: E402
from standards.loader import standard  # noqa: E402

SAMPLE = ROOT / "samples" / "penalty_case.csv"
# The Chinese headers of penalty_case's date fields, from the standard.
DATE_COLUMNS = [f.name for f in standard().entity("penalty_case").fields if f.type == "date"]
DEFECT_SHARE = 0.10
PARTIES = 50_000
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _parties(rng: np.random.Generator, first_birth_year: int = 1950) -> tuple[list[str], list[str]]:
    """Companies and people; a 身份证号 whose 440106 (天河区, created 1985) predates its birth is
    invalid (GB 11643), so a file meant to have no defects draws births from 1985 on."""
    companies = [
        uscc("9144" + "".join(rng.choice(list("0123456789"), 4)) + "".join(rng.choice(list(_USCC_CHARS), 9)))
        for _ in range(PARTIES)
    ]
    people = []
    for _ in range(PARTIES):
        year, month, day = rng.integers(first_birth_year, 2004), rng.integers(1, 13), rng.integers(1, 29)
        people.append(ric(f"440106{year:04d}{month:02d}{day:02d}{rng.integers(0, 1000):03d}"))
    return companies, people


def make(
    rows: int,
    out: Path,
    encoding: str = "utf-8",
    seed: int = 7,
    messy: bool = False,
    defects: float = DEFECT_SHARE,
) -> Path:
    rng = np.random.default_rng(seed)
    sample = pl.read_csv(SAMPLE, infer_schema=False)
    defective = np.array(["reject" in expect for _, expect in sample_rows()])
    weights = np.where(defective, defects / defective.sum(), (1 - defects) / (~defective).sum())
    picks = rng.choice(sample.height, size=rows, p=weights)
    companies, people = _parties(rng, 1985 if messy else 1950)
    party = rng.integers(0, PARTIES, size=rows)
    weeks_back = rng.integers(0, 157, size=rows)
    big = sample[picks].with_columns(
        pl.Series("__i", np.arange(rows)).cast(pl.String),
        pl.Series("__company", np.array(companies)[party]),
        pl.Series("__person", np.array(people)[party]),
        pl.Series("__shift", weeks_back * 7).cast(pl.Int64),
        pl.Series("__second", rng.integers(0, 86_400 * 365, size=rows)).cast(pl.Int64),
    )
    shifted = []
    for column in [c for c in DATE_COLUMNS if c in big.columns]:  # the sample lacks the newest optional dates
        if messy:  # every spelling the engine reads moves with its row (the sample's odd ones included)
            day = parse_date(pl.col(column).str.normalize("NFKC").str.strip_chars())
        else:
            day = pl.col(column).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        moved = (day - pl.duration(days=pl.col("__shift"))).dt.strftime("%Y-%m-%d")
        # Spellings other than YYYY-MM-DD (the sample has a few on purpose) are kept as they are.
        shifted.append(pl.when(day.is_not_null()).then(moved).otherwise(pl.col(column)).alias(column))
    big = big.with_columns(
        *shifted,
        (pl.col("案件编号") + "-" + pl.col("__i")).alias("案件编号"),
        pl.when(pl.col("行政处罚决定书文号").is_not_null())
        .then(pl.col("行政处罚决定书文号") + "-" + pl.col("__i"))
        .alias("行政处罚决定书文号"),
        pl.when(pl.col("统一社会信用代码").str.starts_with("91"))
        .then(pl.col("__company"))
        .otherwise(pl.col("统一社会信用代码"))
        .alias("统一社会信用代码"),
        pl.when(pl.col("证件类型") == "身份证")
        .then(pl.col("__person"))
        .otherwise(pl.col("证件号码"))
        .alias("证件号码"),
        pl.when(pl.col("更新时间").str.starts_with("2099"))
        .then(pl.col("更新时间"))
        .otherwise((pl.datetime(2022, 1, 1) + pl.duration(seconds=pl.col("__second"))).dt.strftime("%Y-%m-%d %H:%M:%S"))
        .alias("更新时间"),
    ).drop("__i", "__company", "__person", "__shift", "__second")
    if messy:
        big = _spelled_as_units_do(big, np.random.default_rng(seed + 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "utf-8":
        big.write_csv(out)
    else:
        with out.open("wb") as handle:
            for start in range(0, big.height, 100_000):
                text = big.slice(start, 100_000).write_csv(include_header=start == 0)
                handle.write(text.encode(encoding))
    return out


_FULL_WIDTH = [chr(0xFF10 + digit) for digit in range(10)]
_DIGITS = list("0123456789")


def _spelled_as_units_do(big: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The same values in the spellings of units' own systems (see the module's docstring)."""
    rows = big.height
    respelled = []
    for column in [c for c in DATE_COLUMNS if c in big.columns]:
        day = pl.col(column).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        spelling = pl.Series(rng.choice(4, size=rows, p=[0.5, 0.2, 0.2, 0.1]))
        respelled.append(
            pl.when(day.is_null())
            .then(pl.col(column))  # the sample's own odd spellings and defects stay as they are
            .when(spelling == 1)
            .then(pl.format("{}年{}月{}日", day.dt.year(), day.dt.month(), day.dt.day()))
            .when(spelling == 2)
            .then(pl.format("{}/{}/{}", day.dt.year(), day.dt.month(), day.dt.day()))
            .when(spelling == 3)
            .then(pl.col(column).str.replace_many(_DIGITS, _FULL_WIDTH))
            .otherwise(pl.col(column))
            .alias(column)
        )
    stamp = pl.col("更新时间").str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False)
    slashed = pl.format(
        "{}/{}/{} {}:{}:{}",
        stamp.dt.year(),
        stamp.dt.month(),
        stamp.dt.day(),
        stamp.dt.hour(),
        stamp.dt.strftime("%M"),
        stamp.dt.strftime("%S"),
    )
    third = pl.Series(rng.random(rows) < 1 / 3)
    respelled.append(pl.when(stamp.is_not_null() & third).then(slashed).otherwise(pl.col("更新时间")).alias("更新时间"))
    for column in ("罚款金额（万元）", "统一社会信用代码"):
        tenth = pl.Series(rng.random(rows) < 0.1)
        wide = pl.col(column).str.replace_many(_DIGITS, _FULL_WIDTH)
        respelled.append(pl.when(tenth).then(wide).otherwise(pl.col(column)).alias(column))
    return big.with_columns(respelled)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--messy", action="store_true", help="mixed date spellings and full-width digits")
    parser.add_argument("--defects", type=float, default=DEFECT_SHARE, help="share of rows from defective rows")
    args = parser.parse_args()
    make(args.rows, args.out, args.encoding, args.seed, args.messy, args.defects)
