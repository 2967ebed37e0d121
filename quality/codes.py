"""Vectorised validity checks for 统一社会信用代码 (USCC) and 居民身份证号 (RIC).

Both functions take a string expression and return a boolean expression; no Python runs per row.
Null in gives null out, so callers decide what a missing code means.

The checks are pinned to python-stdnum 2.2 (`stdnum.cn.uscc.is_valid`, `stdnum.cn.ric.is_valid`);
`tests/quality/test_codes.py` compares them row for row. stdnum first normalises its input (`compact`:
drops separators and surrounding whitespace, maps full-width digits to ASCII, upper-cases); these
functions validate the string as stored, so such input is False here. The one exception is a RIC's final
lowercase 'x', accepted as stdnum does.

How they stay fast without per-row Python: every step is a native string/integer kernel or a
`replace_strict` against a small mapping built once (`functools.cache`), and only cheap
sub-expressions are repeated, so an eager `select` (no common-subexpression elimination) costs about
what a lazy query does. They also work inside `list.eval`: no step gathers from a literal Series,
which polars broadcasts to every list there (a 65,536-entry lookup table made that quadratic).
"""

from __future__ import annotations

from functools import cache

import polars as pl

__all__ = [
    "USCC_ALPHABET", "USCC_PLACEHOLDER", "ric_is_valid", "uscc_is_valid", "with_broken_check", "with_ric_check",
    "with_uscc_check",
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015 (no I, O, S, V, Z); a character's value is its index here."""

USCC_PLACEHOLDER = "00000000000000000X"
"""What a 个体工商户 without a code writes. Not a valid USCC (its check character would be '0');
callers treat it as "no code" rather than as a wrong one."""

_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
_BAD = 10_000  # what a pair not allowed at its position adds; nine allowed pairs add at most 9 × 30
_PAIRS = 9


def _pairs(expr: pl.Expr) -> pl.Expr:
    """The string's 18 bytes as nine UInt16 (first byte low); null unless exactly 18 bytes."""
    return expr.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt16, _PAIRS))


# GB 32100: 登记管理部门码 is a digit or A (中央军委改革和编制办公室), N (农业), Y (其他); 机构类别码 and
# the 6-digit division code are digits. (stdnum 2.2 demands digits for all 8 and so refuses the
# 农村集体经济组织 codes "N2…" that 农业农村 bodies issue; we follow the standard there.)
REGISTRATION_AUTHORITY_LETTERS = "ANY"


def _uscc_allowed_at(position: int) -> str:
    if position == 0:
        return USCC_ALPHABET[:10] + REGISTRATION_AUTHORITY_LETTERS
    return USCC_ALPHABET[:10] if position < 8 else USCC_ALPHABET


@cache
def _uscc_pair_maps() -> tuple[tuple[list[int], list[int]], ...]:
    """Per pair position p: every allowed pair b₀ + 256·b₁ → (w₂ₚ·v(b₀) + w₂ₚ₊₁·v(b₁)) mod 31, where the
    check character weighs 1, so that a valid code's pairs add up to a multiple of 31."""
    weights = (*_USCC_WEIGHTS, 1)
    maps = []
    for p in range(_PAIRS):
        first, second = (_uscc_allowed_at(i) for i in (2 * p, 2 * p + 1))
        keys, values = [], []
        for c0 in first:
            v0 = USCC_ALPHABET.index(c0)
            for c1 in second:
                v1 = USCC_ALPHABET.index(c1)
                keys.append(ord(c0) + 256 * ord(c1))
                values.append((weights[2 * p] * v0 + weights[2 * p + 1] * v1) % 31)
        maps.append((keys, values))
    return tuple(maps)


def uscc_is_valid(expr: pl.Expr) -> pl.Expr:
    """True when `expr` is a valid 统一社会信用代码 (GB 32100-2015) as stored; the same answer as stdnum
    2.2's `stdnum.cn.uscc.is_valid` on strings that stdnum's `compact` leaves unchanged, except that a
    登记管理部门码 of A, N or Y is accepted (stdnum insists on a digit; GB 32100 has those letters).

    18 characters: the 1st a digit or A/N/Y, the 2nd–8th digits, the rest from `USCC_ALPHABET`, and
    the 18th the check character: with weights 3**i mod 31 (1, 3, 9, 27, 19, …, 28) over the first 17
    values, check = (31 − Σ mod 31) mod 31.

    Lowercase, separators, spaces and full-width characters give False (stdnum would clean them up);
    normalise first if wanted. `USCC_PLACEHOLDER` is False. Null gives null.
    """
    pairs = _pairs(expr)
    total = pl.sum_horizontal(
        [
            pairs.arr.get(p).replace_strict(keys, values, default=_BAD, return_dtype=pl.Int32)
            for p, (keys, values) in enumerate(_uscc_pair_maps())
        ],
        ignore_nulls=False,
    )
    valid = ((total < _BAD) & (total % 31 == 0)).fill_null(False)
    return pl.when(expr.is_null()).then(None).otherwise(valid)


_RIC_FORMAT = r"^[0-9]{17}[0-9Xx]$"
_RIC_CHECK_VALUES = {**{str(d): d for d in range(10)}, "X": 10, "x": 10}


@cache
def _ric_dates() -> tuple[dict[int, int], list[int]]:
    """`year_kind`: YYYY → 1 common, 2 leap (year 0 is absent: Python has no year 0, nor has stdnum).
    `real_days`: kind·10,000 + MMDD for every real day of a year of that kind."""
    year_kind = {y: 2 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 1 for y in range(1, 10_000)}
    month_days = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    real_days = [
        kind * 10_000 + month * 100 + day
        for kind in (1, 2)
        for month, days in enumerate(month_days, start=1)
        for day in range(1, days + (kind == 2 and month == 2) + 1)
    ]
    return year_kind, real_days


@cache
def _ric_regions() -> tuple[dict[int, int], int, int, list[int]]:
    """The division codes stdnum accepts, and for which birth years.

    From stdnum's own list (`numdb.get('cn/loc')`: the 6-digit codes of zh.wikipedia's
    中华人民共和国行政区划代码 pages). stdnum accepts code C for birth year Y when one of the names it
    lists for C has no year range, or a range `[start-end]` (either end open) containing Y.

    Returns `profile` (code → the number of its set of allowed years; few codes differ), the clamp
    range [low, high] outside which the answer no longer changes with the year, and `allowed`, the keys
    profile·(high − low + 1) + (clamped year − low) that are accepted.
    """
    from stdnum import numdb

    counties: dict[int, str] = {}

    def walk(prefixes, code: str) -> None:
        for length, low, high, props, children in prefixes:
            for value in range(int(low), int(high) + 1):
                part = code + str(value).zfill(length)
                if len(part) == 6 and "county" in props:
                    counties[int(part)] = props["county"]
                elif len(part) < 6:
                    walk(children, part)

    walk(numdb.get("cn/loc").prefixes, "")

    code_intervals: dict[int, tuple[tuple[int, int], ...]] = {}
    for code, names in counties.items():
        intervals: list[tuple[int, int]] = []
        for name in names.split(","):
            if not name.startswith("["):
                intervals = [(0, 9999)]
                break
            start, end = name[1:].split("]")[0].split("-")
            intervals.append((int(start) if start else 0, int(end) if end else 9999))
        code_intervals[code] = tuple(sorted(intervals))
    # Every finite start s and end e lies in [low + 1, high - 1], so years below low + 1 (above
    # high - 1) are all judged alike, and clamping the year to [low, high] keeps every answer.
    bounds = [b for ivs in code_intervals.values() for iv in ivs for b in iv if b not in (0, 9999)]
    low, high = (min(bounds) - 1, max(bounds) + 1) if bounds else (0, 0)
    span = high - low + 1
    profiles: dict[tuple[tuple[int, int], ...], int] = {}
    profile = {code: profiles.setdefault(ivs, len(profiles)) for code, ivs in code_intervals.items()}
    allowed = [
        number * span + year - low
        for ivs, number in profiles.items()
        for year in range(low, high + 1)
        if any(start <= year <= end for start, end in ivs)
    ]
    return profile, low, high, allowed


def ric_is_valid(expr: pl.Expr) -> pl.Expr:
    """True when `expr` is a valid 18-character 居民身份证号 (GB 11643-1999), as stdnum 2.2 judges it.

    - 17 ASCII digits and a check character: '10X98765432'[Σ dᵢ·wᵢ mod 11], weights 7, 9, 10, 5, 8, 4,
      2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2. A final lowercase 'x' is accepted (stdnum upper-cases).
    - Positions 7–14 are a real date YYYYMMDD (year 0001–9999; nothing checks it is in the past).
    - Positions 1–6 are a division code in stdnum's own list (`stdnum/cn/loc.dat`, from zh.wikipedia),
      and the code existed in the birth year: 110103 (崇文区, abolished 2010) passes for a 1985 birth and
      fails for 2015. A code missing from that list fails, so a real number whose code is newer than
      stdnum's list, or just absent from it, is False.
    - Old 15-digit numbers are False, as in stdnum (no 15→18 conversion).

    Exactly `stdnum.cn.ric.is_valid` on every 18-character ASCII string, except that stdnum raises
    KeyError instead of returning False when the province is in its list but the county code is not
    (e.g. 119999…); that is False here. Where stdnum would first normalise the input (full-width or
    other look-alike digits, surrounding whitespace), this validates the string as stored: False.
    Null gives null.
    """
    body = expr.str.slice(0, 17)
    # GB 11643's weights are 2**(17-i) mod 11, so Σ dᵢ·wᵢ ≡ 2·int(body, 13) (mod 11); stdnum's form is
    # check = (1 − 2·int(body, 13)) mod 11. 13**17 < 2**63, so the base-13 reading fits an Int64.
    check = (1 - 2 * (body.str.to_integer(base=13, strict=False) % 11)) % 11  # % 11 first: 2·13**17 > 2**63
    given = expr.str.slice(17).replace_strict(_RIC_CHECK_VALUES, default=None, return_dtype=pl.Int64)
    checksum_ok = expr.str.contains(_RIC_FORMAT) & (given == check)

    def number(offset: int, length: int) -> pl.Expr:  # rows that are not all digits fail checksum_ok
        return expr.str.slice(offset, length).str.to_integer(strict=False)

    year_kind, real_days = _ric_dates()
    kind = number(6, 4).replace_strict(year_kind, default=0, return_dtype=pl.Int32)
    date_ok = (kind * 10_000 + number(10, 4)).is_in(real_days)

    profile, low, high, allowed = _ric_regions()
    region_profile = number(0, 6).replace_strict(profile, default=None, return_dtype=pl.Int32)
    region_ok = (region_profile * (high - low + 1) + number(6, 4).clip(low, high) - low).is_in(allowed)

    valid = (checksum_ok & date_ok & region_ok).fill_null(False)
    return pl.when(expr.is_null()).then(None).otherwise(valid)


def with_uscc_check(first17: str) -> str:
    """The code with its GB 32100 check character appended (for making valid codes: samples, simulator)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def with_ric_check(first17: str) -> str:
    """The number with its GB 11643 check character appended."""
    total = sum(int(c) * w for c, w in zip(first17, _RIC_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def with_broken_check(code: str) -> str:
    """The same code with a wrong check character (for making invalid ones)."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")
