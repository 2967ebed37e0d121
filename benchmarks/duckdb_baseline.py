"""A plain DuckDB SQL validation pass over a penalty_case CSV: the baseline the engine is measured against,
and an independent oracle for the engine's field and row rules (tests/quality/test_sql_oracle.py).

    python benchmarks/duckdb_baseline.py FILE --as-of 2025-06-30

What it checks, as SQL generated from the standard (`standards.loader.standard()`):

- every **field rule** (kind `field` in rules.yaml) on the fields it targets (`Rule.targets`):
  required, max_length, uscc (GB 32100 check character; the 登记管理部门码 a digit or A/N/Y and the next
  7 characters digits, as quality/codes.py), ric (GB 11643 check character, a real birth date, and a
  birth place in python-stdnum's own division list that existed in the birth year), division, date,
  datetime, decimal, integer, yn, code / code_set (a code or a label, joined against a code-list table
  built from `standard().codelists`), not_future;
- every **row rule** (kind `row`, the `finding.*` ones included) of penalty_case, written by hand in
  `row_rules()`. 公示超期 counts working days in SQL: a calendar table whose working days come from
  `quality.workdays.WorkdayCalendar(standard().holidays).is_workday` (the holiday data: 调休 included),
  numbered with a window, so that the deadline is the working day numbered n + 7 (n + 3 for 撤回公示),
  and a period in days or years ends on the next working day (顺延: table `next_workday`); dates outside
  the table count Monday–Friday only, as the engine does.

Not checked (out of scope for a baseline): the 三库 reference rules, scope rules (越权报送) and batch rules
(keys within the file, malformed rows: DuckDB's strict reader refuses such a file).

Values are read as quality/normalise.py describes: free text trimmed of Unicode whitespace and of
invisible characters (zero-width spaces, byte-order marks …); structured values NFKC-normalised and
trimmed. DuckDB has `nfc_normalize` only, so NFKC is `translate()` over every
character whose NFKC form is one other character (full-width forms, ideographic spaces, circled digits,
mathematical letters, Kangxi radicals …), run only on values that hold one; NFKC's expansions into
several characters (⑩ → 10) are not made. A date in year 0000 is no date. 证件号码 is checked as a
身份证号 with its full-width digits made half-width.

How it is fast (2 cores): the file is read once into a table (all VARCHAR; insertion order is kept, so
`rowid + 1` is the data row). Each structured field is typed once per distinct value: fields typed alike
share one dictionary (all dates, all 统一社会信用代码, each code list …) that is hash-joined back on the
text as read — only 更新时间, distinct on nearly every row, is parsed row by row, through a strict
`YYYY-MM-DD hh:mm:ss` fast path first. Free text needs no trimming for its checks (blank = a regular
expression; the length only for values long enough to matter). One projection then gives a boolean per
(rule, field) check, and the violations are a UNION ALL of one filter per check. Expensive expressions
sit behind CASE, which evaluates a branch only for its rows (AND and OR in a projection evaluate every
operand); code lists are joined, never written as long `IN (…)` lists; no `x -> …` lambdas.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
import unicodedata
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from quality.read import BLANK_CHARACTERS  # noqa: E402
from quality.rules import FORMAT_RULES  # noqa: E402
from standards.loader import standard as load_standard  # noqa: E402
from standards.model import Entity, Field, Standard  # noqa: E402

ENTITY = "penalty_case"
RESULT_SCHEMA = {"row": pl.Int64, "rule": pl.String, "field": pl.String}

# What a person sees as blank: Unicode whitespace and the invisible characters a cell may hold — the
# engine's one definition; the same set as an RE2 class.
WHITESPACE = BLANK_CHARACTERS
_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):X}}}" for c in BLANK_CHARACTERS) + "]"
_FULL_WIDTH_ALNUM = "".join(chr(c) for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for c in range(*r))
_HALF_WIDTH_ALNUM = "".join(chr(ord(c) - 0xFEE0) for c in _FULL_WIDTH_ALNUM)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_PLACEHOLDER = "00000000000000000X"
PLACEHOLDER_FIELDS = frozenset({"CF_XDR_SHXYM", "XK_XDR_SHXYM"})
PUBLICITY_WORKING_DAYS = 7

_D = r"(\d{4})" + _WS_CLASS + r"*[-/.年]" + _WS_CLASS + r"*(\d{1,2})" + _WS_CLASS + r"*[-/.月]"
_DATE_SPELLED = "^" + _D + _WS_CLASS + r"*(\d{1,2})" + _WS_CLASS + r"*日?"
_DATE_ONLY = _DATE_SPELLED + r"(?:[ T]+0{1,2}:00(?::00(?:\.0+)?)?)?$"
_DATE_TIME = _DATE_SPELLED + r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?)?$"


def q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@cache
def _nfkc_maps() -> tuple[tuple[str, str], tuple[str, str]]:
    """(from, to) pairs for translate(): every character whose NFKC form is one other character, split
    into the full-width forms and spaces (common in Chinese text) and the rest (rare: circled and
    super/subscript digits, mathematical letters, Kangxi radicals, CJK compatibility ideographs…)."""
    common, rare = ([], []), ([], [])
    for code in range(0x80, 0x30000):  # no NFKC mapping lies above U+2FFFF
        char = chr(code)
        if unicodedata.category(char) in ("Cs", "Cn"):
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char and len(folded) == 1:
            tier = common if 0xFF01 <= code <= 0xFF64 or folded == " " else rare
            tier[0].append(char)
            tier[1].append(folded)
    return ("".join(common[0]), "".join(common[1])), ("".join(rare[0]), "".join(rare[1]))


def _char_class(chars: str) -> str:
    """An RE2 character class of `chars`, as ranges."""
    points = sorted({ord(c) for c in chars})
    ranges, start = [], 0
    for i in range(1, len(points) + 1):
        if i == len(points) or points[i] != points[i - 1] + 1:
            low, high = points[start], points[i - 1]
            ranges.append(f"\\x{{{low:x}}}" + ("" if low == high else f"-\\x{{{high:x}}}"))
            start = i
    return "[" + "".join(ranges) + "]"


def _nfkc(expr: str) -> str:
    """NFKC as far as structured values need it (`expr` a column). DuckDB's translate() builds its map
    for every row, so it runs only on values holding a character to map, found by a regular expression
    (cheap). The two maps are disjoint and map onto neither's characters, so their order is free."""
    (common, common_to), (rare, rare_to) = _nfkc_maps()
    return (
        f"CASE WHEN strlen({expr}) = length({expr}) THEN {expr}"
        f" WHEN regexp_matches({expr}, {q(_char_class(rare))})"
        f" THEN translate(translate({expr}, {q(rare)}, {q(rare_to)}), {q(common)}, {q(common_to)})"
        f" WHEN regexp_matches({expr}, {q(_char_class(common))})"
        f" THEN translate({expr}, {q(common)}, {q(common_to)}) ELSE {expr} END"
    )


def _trim(expr: str) -> str:
    """Unicode whitespace trimmed, empty → null. trim() with a character list is slow, so it runs only
    when an end is blank (CASE evaluates a branch only for its rows; AND/OR in a projection do not
    short-circuit)."""
    return (
        f"NULLIF(CASE WHEN regexp_matches({expr}, {q('^' + _WS_CLASS + '|' + _WS_CLASS + '$')})"
        f" THEN trim({expr}, {q(WHITESPACE)}) ELSE {expr} END, '')"
    )


def _blank(expr: str) -> str:
    """Null, empty or whitespace only."""
    return f"({expr} IS NULL OR regexp_full_match({expr}, {q(_WS_CLASS + '*')}))"


# --- code checks as SQL expressions over an upper-cased, trimmed string `u` ----------------------------


def uscc_ok(u: str) -> str:
    """GB 32100: 18 characters of the alphabet, Σ wᵢ·vᵢ + v(check) ≡ 0 (mod 31); the 登记管理部门码 a
    digit or A, N, Y and the next 7 digits (as quality/codes.py: stdnum's digits, widened to GB 32100's
    letters)."""
    terms = " + ".join(f"{w} * (instr({q(USCC_ALPHABET)}, {u}[{i + 1}]) - 1)" for i, w in enumerate((*USCC_WEIGHTS, 1)))
    return (
        f"(strlen({u}) = 18 AND regexp_full_match({u}, '[0-9ANY][0-9]{{7}}[0-9A-HJ-NP-RTUWXY]{{10}}')"
        f" AND ({terms}) % 31 = 0)"
    )


def ric_format_ok(u: str) -> str:
    """GB 11643 without the birth place: 17 digits and the check character, a real birth date (year ≥ 1).
    (A CASE, not AND: a projection evaluates every operand of AND, and the casts need 18 digits.)"""
    digits = " + ".join(f"{w} * CAST({u}[{i + 1}] AS INTEGER)" for i, w in enumerate(RIC_WEIGHTS))
    birth = f"try_cast(substr({u}, 7, 4) || '-' || substr({u}, 11, 2) || '-' || substr({u}, 13, 2) AS DATE)"
    return (
        f"CASE WHEN strlen({u}) = 18 AND regexp_full_match({u}, '[0-9]{{17}}[0-9X]')"
        f" THEN substr('10X98765432', (({digits}) % 11) + 1, 1) = {u}[18]"
        f" AND substr({u}, 7, 4) <> '0000' AND {birth} IS NOT NULL ELSE false END"
    )


def _iso_date(y: str, m: str, d: str) -> str:
    """The date y-m-d, null unless it exists and its year is 1900–2199 (the engine's plausible years)."""
    iso = f"{y} || '-' || lpad({m}, 2, '0') || '-' || lpad({d}, 2, '0')"
    return f"CASE WHEN {y} BETWEEN '1900' AND '2199' THEN try_cast({iso} AS DATE) END"


_ISO_DATE = "regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
_ISO_DATETIME = "regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}')"
_COMPACT_DATE = "regexp_full_match({t}, '[0-9]{{8}}')"
_COMPACT_DATETIME = "regexp_full_match({t}, '[0-9]{{8}}([0-9]{{6}})?')"
_SERIAL_DATE = "regexp_full_match({t}, '[0-9]{{5}}')"
_SERIAL_DATETIME = "regexp_full_match({t}, '[0-9]{{5}}(\\.[0-9]+)?')"
_PART_NAMES = "['y', 'm', 'd', 'hh', 'mi', 'ss']"


def fast_value(field: Field, t: str) -> str | None:
    """Dates as most units write them, parsed without the regular expressions of the other forms."""
    if field.type == "date":
        return (
            f"CASE WHEN {_ISO_DATE.format(t=t)} AND substr({t}, 1, 4) BETWEEN '1900' AND '2199'"
            f" THEN try_cast({t} AS DATE) END"
        )
    if field.type == "datetime":
        return (
            f"CASE WHEN {_ISO_DATETIME.format(t=t)} AND substr({t}, 1, 4) BETWEEN '1900' AND '2199'"
            f" THEN try_strptime({t}, '%Y-%m-%d %H:%M:%S') END"
        )
    return None


def slow_parts(field: Field, t: str, fast: str) -> str | None:
    """The parts (y, m, d[, hh, mi, ss]) of a date written another way, from a regular expression;
    null where the fast form parsed, or where a compact form or Excel serial is parsed directly.
    (One WHEN per test: CASE stops at the first that holds, OR would evaluate them all.)"""
    if field.type == "date":
        skip = [f"{fast} IS NOT NULL", *(f.format(t=t) for f in (_ISO_DATE, _COMPACT_DATE, _SERIAL_DATE))]
        return (
            f"CASE WHEN {t} IS NULL THEN NULL{''.join(f' WHEN {x} THEN NULL' for x in skip)}"
            f" ELSE regexp_extract({t}, {q(_DATE_ONLY)}, ['y', 'm', 'd']) END"
        )
    if field.type == "datetime":
        compact = r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$"
        return (
            f"CASE WHEN {t} IS NULL THEN NULL WHEN {fast} IS NOT NULL THEN NULL"
            f" WHEN {_SERIAL_DATETIME.format(t=t)} THEN NULL"
            f" WHEN {_COMPACT_DATETIME.format(t=t)} THEN regexp_extract({t}, {q(compact)}, {_PART_NAMES})"
            f" ELSE regexp_extract({t}, {q(_DATE_TIME)}, {_PART_NAMES}) END"
        )
    return None


def parse_date(t: str, fast: str, p: str) -> str:
    """YYYY-M-D with - / . or 年月日 (a midnight time allowed), YYYYMMDD, a 5-digit Excel serial, from
    the text `t`, its fast parse and its slow parts."""
    return (
        f"CASE WHEN {fast} IS NOT NULL THEN {fast}"
        f" WHEN {t} IS NULL OR {_ISO_DATE.format(t=t)} THEN NULL"
        f" WHEN {_COMPACT_DATE.format(t=t)}"
        f" THEN {_iso_date(f'substr({t}, 1, 4)', f'substr({t}, 5, 2)', f'substr({t}, 7, 2)')}"
        f" WHEN {_SERIAL_DATE.format(t=t)}"  # serial 2 is 1900-01-01, the first plausible day
        f" THEN CASE WHEN CAST({t} AS INTEGER) >= 2 THEN DATE '1899-12-30' + CAST({t} AS INTEGER) END"
        f" ELSE {_iso_date(f'{p}.y', f'{p}.m', f'{p}.d')} END"
    )


def _stamp(date: str, hour: str, minute: str, second: str) -> str:
    """date + h:m:s, null unless h ≤ 23, m ≤ 59, s ≤ 60 (a leap second rolls over, as chrono does)."""
    h, m, s = (f"coalesce(try_cast(NULLIF({x}, '') AS INTEGER), 0)" for x in (hour, minute, second))
    return (
        f"CASE WHEN {h} <= 23 AND {m} <= 59 AND {s} <= 60"
        f" THEN CAST({date} AS TIMESTAMP) + to_seconds({h} * 3600 + {m} * 60 + {s}) END"
    )


def parse_datetime(t: str, fast: str, p: str) -> str:
    """The date spellings with an optional time (h:m[:s], 时分秒), YYYYMMDD[hhmmss], an Excel serial
    (fractions of a day allowed)."""
    serial = f"TIMESTAMP '1899-12-30' + to_milliseconds(CAST(round(CAST({t} AS DOUBLE) * 86400000) AS BIGINT))"
    return (
        f"CASE WHEN {fast} IS NOT NULL THEN {fast}"
        f" WHEN {t} IS NULL THEN NULL"
        f" WHEN {_SERIAL_DATETIME.format(t=t)} THEN CASE WHEN CAST({t} AS DOUBLE) >= 2 THEN {serial} END"
        f" ELSE {_stamp(_iso_date(f'{p}.y', f'{p}.m', f'{p}.d'), f'{p}.hh', f'{p}.mi', f'{p}.ss')} END"
    )


# --- lookup tables ------------------------------------------------------------------------------------


def codelist_frame(std: Standard) -> pl.DataFrame:
    """(list_id, spelling, code): every accepted spelling (code or label) of every code list."""
    rows = {(cl.id, v.code, v.code) for cl in std.codelists.values() for v in cl.values}
    rows |= {(cl.id, v.label, v.code) for cl in std.codelists.values() for v in cl.values}
    list_id, spelling, code = zip(*sorted(rows), strict=True)
    return pl.DataFrame({"list_id": list_id, "spelling": spelling, "code": code})


@cache
def ric_region_frame() -> pl.DataFrame:
    """(code, year_from, year_to): the 6-digit birth places python-stdnum knows, and when (its
    `cn/loc` list: a county name without `[start-end]` is valid in every year)."""
    from stdnum import numdb

    rows = []

    def walk(parts, prefix: str, props: dict) -> None:
        for length, low, high, part_props, children in parts:
            for value in range(int(low), int(high) + 1):
                code = prefix + str(value).zfill(length)
                merged = {**props, **part_props}
                if len(code) == 6:
                    for name in merged.get("county", "").split(",") if "county" in merged else ():
                        if name.startswith("["):
                            start, end = name[1:].split("]")[0].split("-")
                            rows.append((code, int(start) if start else 0, int(end) if end else 9999))
                        else:
                            rows.append((code, 0, 9999))
                elif len(code) < 6:
                    walk(children, code, merged)

    walk(numdb.get("cn/loc").prefixes, "", {})
    code, year_from, year_to = zip(*sorted(set(rows)), strict=True)
    return pl.DataFrame({"code": code, "year_from": year_from, "year_to": year_to})


@cache
def workday_frame() -> tuple[pl.DataFrame, dt.date, dt.date]:
    """(day, is_workday) from a month before the first year whose holidays are known to a month after
    the last, and the first and last day of the known years."""
    from quality.workdays import TABLE_YEARS, WorkdayCalendar

    calendar = WorkdayCalendar(load_standard().holidays)
    # The engine's tables also span the years not announced yet (counted provisionally).
    first = dt.date(min(min(calendar.covered_years), TABLE_YEARS[0]), 1, 1)
    last = dt.date(max(max(calendar.covered_years), TABLE_YEARS[-1]), 12, 31)
    days = pl.date_range(first - dt.timedelta(days=31), last + dt.timedelta(days=31), eager=True)
    return pl.DataFrame({"day": days, "is_workday": [calendar.is_workday(d) for d in days]}), first, last


def _weekday_offsets(working_days: int) -> dict[int, int]:
    """ISO weekday (1 = Monday) → calendar days to the deadline when only Monday–Friday are working days."""
    offsets = {}
    for iso in range(1, 8):
        start = dt.date(2001, 1, iso)  # 2001-01-01 is a Monday
        day, counted = start, 0
        while counted < working_days:
            day += dt.timedelta(days=1)
            counted += day.isoweekday() <= 5
        offsets[iso] = (day - start).days
    return offsets


def deadline_of(date: str, working_days: int) -> str:
    """The same as `deadline`, for any date expression, by a lookup in `deadline_<n>`."""
    offsets = " ".join(f"WHEN {iso} THEN {days}" for iso, days in _weekday_offsets(working_days).items())
    found = f"(SELECT x.deadline FROM deadline_{working_days} x WHERE x.day = {date})"
    return f"coalesce({found}, {date} + CASE isodow({date}) {offsets} END)"


def rolled(date: str) -> str:
    """The day itself when a working day, else the next one (顺延); weekends only outside the table."""
    found = f"(SELECT x.next_day FROM next_workday x WHERE x.day = {date})"
    return f"coalesce({found}, {date} + CASE isodow({date}) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END)"


def deadline(date: str, working_days: int = PUBLICITY_WORKING_DAYS) -> str:
    """`working_days` working days after `date`: the `deadline_7` table inside the calendar, weekends
    only outside it. `dl` is the joined deadline_7 row."""
    offsets = " ".join(f"WHEN {iso} THEN {days}" for iso, days in _weekday_offsets(working_days).items())
    return f"coalesce(dl.deadline, {date} + CASE isodow({date}) {offsets} END)"


# --- the SQL, generated ---------------------------------------------------------------------------------
#
# Stages: `r` the rows as read (`row`, and for fields parsed row by row their normalised text, fast
# parse and slow parts); `d_F` one row per distinct text of each other structured field (normalised,
# typed, and any per-value facts the row rules need), joined back on the text as read; `t` the typed
# values with `v_F` (value), `m_F` (missing) and `b_F` (given but invalid) per field.

_LIST_TYPES = ("code_set", "text_list", "uscc_list")
SQL_TYPES = {
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "decimal": "DOUBLE",
    "integer": "BIGINT",
    "code_set": "VARCHAR[]",
    "uscc_list": "VARCHAR[]",
}  # typed values; the others are VARCHAR
PER_ROW_TYPES = ("datetime",)  # 更新时间 is distinct on nearly every row: a dictionary would not pay
DEADLINE_FIELDS = ("CF_JDRQ",)  # the 公示 deadline is looked up once per distinct decision date
# Facts about one 处罚类别 value that the row rules ask, computed once per distinct value.
VALUE_FACTS = {
    "CF_CFLB": {
        "fine": "list_contains(v, '罚款')",
        "confiscation": "list_has_any(v, ['没收违法所得', '没收非法财物'])",
        "license": "list_has_any(v, ['暂扣许可证件', '吊销许可证件'])",
        "beyond_summary": "len(list_filter(v, lambda k: k NOT IN ('警告', '罚款'))) > 0",
        "warning_only": "len(v) = 1 AND list_contains(v, '警告')",
    }
}


def _normalised(field: Field, x: str) -> str:
    """The text of a field as quality/normalise.py sees it: trimmed; structured values NFKC first."""
    return _trim(x) if field.type == "text" else _trim(_nfkc(x))


def _zjhm(text: str) -> str:
    """证件号码 as the 身份证 check sees it: a text field (trimmed, full-width letters and digits made
    half-width, no NFKC), upper-cased."""
    return f"upper(translate({text}, {q(_FULL_WIDTH_ALNUM)}, {q(_HALF_WIDTH_ALNUM)}))"


def _ric_valid(source: str) -> str:
    """(x, t, v) from `source`(x, t, u): v = u where u is a valid 居民身份证号, as python-stdnum 2.2
    judges it: the format, and a birth place in stdnum's list that existed in the birth year."""
    year = "try_cast(substr(n.u, 7, 4) AS INTEGER)"
    return (
        f"SELECT n.x, n.t, CASE WHEN bool_or({ric_format_ok('n.u')} AND r.code IS NOT NULL) THEN n.u END AS v"
        f" FROM ({source}) n LEFT JOIN ric_region r"
        f" ON r.code = substr(n.u, 1, 6) AND {year} BETWEEN r.year_from AND r.year_to GROUP BY n.x, n.t, n.u"
    )


def _list_items(field: Field, source: str) -> str:
    """(x, t, v, …) from `source`(x, t): a list field's items. code_set: split on `;` or `、`, each a code
    or label (v = the codes, sorted, each once; null unless every item is known); uscc_list: split on
    `;`, each a valid code; text_list: split on `;` (n_items, n_distinct). Empty items are dropped."""
    separator = "[;、]" if field.type == "code_set" else ";"
    exploded = (
        f"SELECT x, t, trim(unnest(string_split_regex(coalesce(t, ''), {q(separator)})), {q(WHITESPACE)}) AS item"
        f" FROM ({source})"
    )
    given = "count(*) FILTER (WHERE item <> '')"
    if field.type == "code_set":
        return (
            f"SELECT e.x, e.t, CASE WHEN {given} > 0 AND count(*) FILTER (WHERE item <> '' AND m.code IS NULL) = 0"
            f" THEN list_sort(list_distinct(list(m.code) FILTER (WHERE item <> ''))) END AS v FROM ({exploded}) e"
            f" LEFT JOIN codelist m ON m.list_id = {q(field.codelist)} AND m.spelling = e.item GROUP BY e.x, e.t"
        )
    if field.type == "uscc_list":
        return (
            f"SELECT x, t, CASE WHEN {given} > 0 AND bool_and({uscc_ok('upper(item)')}) FILTER (WHERE item <> '')"
            f" THEN list(upper(item)) FILTER (WHERE item <> '') END AS v FROM ({exploded}) GROUP BY x, t"
        )
    return (
        f"SELECT x, t, t AS v, {given} AS n_items, count(DISTINCT item) FILTER (WHERE item <> '') AS n_distinct"
        f" FROM ({exploded}) GROUP BY x, t"
    )


def _value_sql(field: Field, std: Standard, source: str) -> str:
    """(x, t, v, …) from `source`(x, t): the typed value v of each normalised text t."""
    kind = field.type
    if kind in _LIST_TYPES:
        return _list_items(field, source)
    if kind == "ric":
        return _ric_valid(f"SELECT x, t, upper(t) AS u FROM ({source})")
    if kind == "code":
        codelist = std.codelists[field.codelist]
        value = "cl.code"
        if codelist.open_prefix:  # `其他-…`: a value outside the list, kept as written
            prefix = q(codelist.open_prefix)
            is_open = f"starts_with(n.t, {prefix}) AND length(n.t) > {len(codelist.open_prefix)}"
            value = f"CASE WHEN {is_open} THEN n.t ELSE cl.code END"
        return (
            f"SELECT n.x, n.t, {value} AS v FROM ({source}) n"
            f" LEFT JOIN codelist cl ON cl.list_id = {q(codelist.id)} AND cl.spelling = n.t"
        )
    if kind == "division":
        return f"SELECT n.x, n.t, dv.code AS v FROM ({source}) n LEFT JOIN division dv ON dv.code = n.t"
    if kind in ("date", "datetime"):
        fast = f"SELECT x, t, {fast_value(field, 't')} AS f FROM ({source})"
        parts = f"SELECT x, t, f, {slow_parts(field, 't', 'f')} AS p FROM ({fast})"
        parse = parse_date if kind == "date" else parse_datetime
        return f"SELECT x, t, {parse('t', 'f', 'p')} AS v FROM ({parts})"
    if kind == "uscc":  # v, and v_placeholder for the fields where a 个体工商户 may write the placeholder
        checked = f"SELECT x, t, upper(t) AS u, {uscc_ok('upper(t)')} AS ok FROM ({source})"
        return (
            f"SELECT x, t, CASE WHEN ok THEN u END AS v,"
            f" CASE WHEN ok OR u = {q(USCC_PLACEHOLDER)} THEN u END AS v_placeholder FROM ({checked})"
        )
    t = "t"
    if kind == "decimal":
        value = f"CASE WHEN regexp_full_match({t}, '[0-9]+(\\.[0-9]+)?|\\.[0-9]+') THEN try_cast({t} AS DOUBLE) END"
    elif kind == "integer":
        number = f"try_cast({t} AS BIGINT)"
        value = f"CASE WHEN regexp_full_match({t}, '[0-9]{{1,15}}') AND {number} >= 1 THEN {number} END"
    elif kind == "yn":
        value = f"CASE upper({t}) WHEN 'Y' THEN 'Y' WHEN '是' THEN 'Y' WHEN 'N' THEN 'N' WHEN '否' THEN 'N' END"
    else:
        raise ValueError(f"{field.code}: type {kind} not handled")
    return f"SELECT x, t, {value} AS v FROM ({source})"


def dictionary_group(field: Field) -> str:
    """Fields whose texts are typed alike share one dictionary (all dates, all codes of one list …)."""
    if field.type in _LIST_TYPES:
        return field.code
    if field.type == "code":
        return f"code_{field.codelist}"
    return field.type


def _dictionary(group: str, fields: list[Field], std: Standard) -> str:
    """CTE d_<group>: each distinct text of the group's fields as read (x), normalised (t) and typed (v),
    with the per-value facts the row rules ask for."""
    distinct = " UNION ALL ".join(f"SELECT DISTINCT {f.code} AS x FROM raw WHERE {f.code} IS NOT NULL" for f in fields)
    source = f"SELECT x, {_normalised(fields[0], 'x')} AS t FROM (SELECT DISTINCT x FROM ({distinct}))"
    typed = _value_sql(fields[0], std, source)
    extra, join = [], ""
    for field in fields:
        extra += [f"{sql} AS {name}" for name, sql in VALUE_FACTS.get(field.code, {}).items()]
    if any(f.code in DEADLINE_FIELDS for f in fields):
        extra.append(f"{deadline('d.v')} AS deadline")
        join = "LEFT JOIN deadline_7 dl ON dl.day = d.v"
    columns = "".join(f", {x}" for x in extra)
    return f"d_{group} AS (SELECT d.*{columns} FROM ({typed}) d {join})"


def field_checks(entity: Entity, std: Standard, as_of: dt.date) -> list[tuple[str, str, str]]:
    """(rule id, field code, violation SQL over the typed columns) for every field rule and target."""
    checks = []
    day = f"DATE '{as_of.isoformat()}'"
    for rule in std.rules.values():
        if rule.kind != "field":
            continue
        for field in rule.targets(entity):
            c = field.code
            if rule.id == "field.required":
                sql = f"m_{c}"
            elif rule.id == "field.max_length":
                if field.type != "text":
                    raise NotImplementedError(f"max_length on {field.type} field {c}")
                n = field.max_length  # strlen ≥ length: the cheap test first, trim only for the long ones
                sql = (
                    f"CASE WHEN strlen(v_{c}) <= {n} OR length(v_{c}) <= {n} THEN false"
                    f" ELSE length(trim(v_{c}, {q(WHITESPACE)})) > {n} END"
                )
            elif rule.id == "field.not_future":
                sql = f"CAST(v_{c} AS DATE) > {day}" if field.type == "datetime" else f"v_{c} > {day}"
            elif rule.id in FORMAT_RULES:
                sql = f"b_{c}"
            else:
                raise NotImplementedError(f"field rule {rule.id} has no SQL")
            checks.append((rule.id, c, sql))
    return checks



# Row rules of penalty_case, by hand: {rule id: [(field, violation SQL)]} over the typed columns v_F
# (value), m_F (missing), b_F (given but invalid), and per-value facts such as CF_CFLB_fine.
# Facts about a list value are columns `<F>_<fact>` (VALUE_FACTS, `CBRY_n_distinct`).
_ORG, _PERSON, _SOLE = "'法人及非法人组织'", "'自然人'", "'个体工商户'"
_DECIDED = "v_AJZT IN ('3', '4', '5', '6')"  # 已决定、已送达、执行中、已结案
_FINE, _CONFISCATION, _LICENSE = "CF_CFLB_fine", "CF_CFLB_confiscation", "CF_CFLB_license"
_FINE_YUAN = "round(v_CF_NR_FK * 10000, 2)"
_NINETIETH = rolled("v_LARQ + 90")
# Art 60: 90 days from 立案 (顺延), or the approved extension when it is later.
_HANDLING_DEADLINE = f"CASE WHEN v_YCQXZ > {_NINETIETH} THEN v_YCQXZ ELSE {_NINETIETH} END"
_WITHDRAWN_SINCE = (
    "CASE WHEN v_FYSS IN ('2', '3', '4') THEN v_FYSSRQ WHEN v_AJZT = '9' THEN CAST(v_GXSJ AS DATE) END"
)


_WITHDRAWAL_DEADLINE = deadline_of(_WITHDRAWN_SINCE, 3)


def row_rules(as_of: dt.date) -> dict[str, list[tuple[str, str]]]:
    day = f"DATE '{as_of.isoformat()}'"
    return {
        "counterparty.credit_code_required": [("CF_XDR_SHXYM", f"v_CF_XDR_LB IN ({_ORG}, {_SOLE}) AND m_CF_XDR_SHXYM")],
        "counterparty.registration_number_required": [
            ("CF_XDR_GSZC", f"v_CF_XDR_SHXYM = {q(USCC_PLACEHOLDER)} AND m_CF_XDR_GSZC")
        ],
        "counterparty.placeholder_only_for_sole_trader": [
            ("CF_XDR_SHXYM", f"v_CF_XDR_SHXYM = {q(USCC_PLACEHOLDER)} AND v_CF_XDR_LB <> {_SOLE}")
        ],
        "counterparty.legal_representative_required": [("CF_FRDB", f"v_CF_XDR_LB = {_ORG} AND m_CF_FRDB")],
        "counterparty.id_document_required": [
            ("CF_XDR_ZJLX", f"v_CF_XDR_LB = {_PERSON} AND m_CF_XDR_ZJLX"),
            ("CF_XDR_ZJHM", f"v_CF_XDR_LB = {_PERSON} AND m_CF_XDR_ZJHM"),
        ],
        "counterparty.id_number_invalid": [
            ("CF_XDR_ZJHM", "v_CF_XDR_ZJLX = '身份证' AND NOT m_CF_XDR_ZJHM AND NOT id_number_ok")
        ],
        "penalty.filing_date_required": [("LARQ", "v_CXLX = '2' AND m_LARQ")],
        "penalty.decision_fields_required": [
            (c, f"{_DECIDED} AND m_{c}") for c in ("CF_JDRQ", "CF_WSH", "CF_CFLB", "CF_NR", "CF_YJ", "CF_YXQ")
        ],
        "penalty.fine_amount_missing": [
            ("CF_NR_FK", f"{_FINE} AND (v_CF_NR_FK IS NULL OR v_CF_NR_FK <= 0) AND NOT b_CF_NR_FK")
        ],
        "penalty.fine_amount_without_fine": [
            ("CF_NR_FK", f"v_CF_NR_FK > 0 AND NOT coalesce({_FINE}, false) AND NOT b_CF_CFLB")
        ],
        "penalty.confiscation_amount_missing": [
            ("CF_NR_WFFF", f"{_CONFISCATION} AND (v_CF_NR_WFFF IS NULL OR v_CF_NR_WFFF <= 0) AND NOT b_CF_NR_WFFF")
        ],
        "penalty.license_missing": [("CF_NR_ZKDX", f"{_LICENSE} AND m_CF_NR_ZKDX")],
        "penalty.decision_before_filing": [("CF_JDRQ", "v_CF_JDRQ < v_LARQ")],
        "penalty.validity_before_decision": [("CF_YXQ", "v_CF_YXQ < v_CF_JDRQ")],
        "penalty.publicity_end_before_decision": [("CF_GSJZQ", "v_CF_GSJZQ < v_CF_JDRQ")],
        "penalty.publicity_before_decision": [("GSRQ", "v_GSRQ < v_CF_JDRQ")],
        "penalty.act_after_filing": [("WFRQ", "v_LARQ < v_WFRQ")],
        "penalty.act_after_decision": [("WFRQ", "v_CF_JDRQ < v_WFRQ")],
        "penalty.act_end_before_start": [("WFZLRQ", "v_WFZLRQ < v_WFRQ")],
        "penalty.review_result_date_required": [("FYSSRQ", "v_FYSS IN ('1', '2', '3', '4') AND m_FYSSRQ")],
        "penalty.review_result_before_decision": [("FYSSRQ", "v_FYSSRQ < v_CF_JDRQ")],
        "penalty.withdrawal_before_publicity": [("CHGSRQ", "v_CHGSRQ < v_GSRQ")],
        "penalty.service_before_decision": [("SDRQ", "v_SDRQ < v_CF_JDRQ")],
        "penalty.payment_before_decision": [("JKRQ", "v_JKRQ < v_CF_JDRQ")],
        "penalty.closing_date_required": [("JARQ", "v_AJZT = '6' AND m_JARQ")],
        "penalty.closing_before_other_dates": [
            ("JARQ", "v_JARQ < greatest(v_LARQ, v_CF_JDRQ, v_FZSHRQ, v_SDRQ, v_JKRQ)")
        ],
        "penalty.authority_code_mismatch": [("CF_CFJGDM", "v_CF_CFJGDM <> v_ZTDM")],
        "penalty.transfer_result_date_required": [("LAJGRQ", "v_GALAJG IN ('1', '2') AND m_LAJGRQ")],
        "penalty.transfer_result_before_transfer": [("LAJGRQ", "v_LAJGRQ < v_YSRQ")],
        # findings
        "finding.overdue_handling": [("CF_JDRQ", f"v_CF_JDRQ > {_HANDLING_DEADLINE}")],
        "finding.too_few_officers": [("CBRY", "NOT m_CBRY AND CBRY_n_distinct < 2")],
        "finding.summary_procedure_exceeded": [
            (
                "CXLX",
                f"v_CXLX = '1' AND ({_FINE_YUAN} > CASE WHEN v_CF_XDR_LB IN ({_PERSON}, {_SOLE}) THEN 200 ELSE 3000 END"
                " OR CF_CFLB_beyond_summary)",
            )
        ],
        "finding.missing_legal_review": [
            (
                "FZSHRQ",
                "(v_SFZD = 'Y' OR coalesce(v_SFTZ = 'Y', false)) AND v_CF_JDRQ IS NOT NULL"
                " AND NOT coalesce(v_FZSHRQ <= v_CF_JDRQ, false)",
            )
        ],
        "finding.late_service": [("SDRQ", "v_SDRQ > CF_JDRQ_deadline")],
        "finding.time_barred": [
            (
                "LARQ",
                "v_LARQ > "
                + rolled(
                    "CAST(coalesce(v_WFZLRQ, v_WFRQ)"
                    " + CASE WHEN v_WHHG = 'Y' THEN INTERVAL 5 YEAR ELSE INTERVAL 2 YEAR END AS DATE)"
                ),
            )
        ],
        "finding.late_publicity": [
            (
                "GSRQ",
                "v_CF_JDRQ IS NOT NULL AND CASE WHEN v_GSRQ IS NOT NULL THEN v_GSRQ > CF_JDRQ_deadline"
                " ELSE coalesce(CASE WHEN v_FYSS = '2' THEN v_FYSSRQ WHEN v_AJZT = '9' THEN CAST(v_GXSJ AS DATE) END,"
                f" {day}) > CF_JDRQ_deadline END"
                # §8: a 市场监管 body does not publish a 警告-only case; this oracle has no 三库, so the body's
                # 执法领域 is unknown and such a case is not judged (as in the engine).
                " AND NOT coalesce(CF_CFLB_warning_only, false)",
            )
        ],
        "finding.late_withdrawal": [
            (
                "CHGSRQ",
                f"v_GSRQ IS NOT NULL AND {_WITHDRAWN_SINCE} IS NOT NULL AND CASE WHEN v_CHGSRQ IS NOT NULL"
                f" THEN v_CHGSRQ > {_WITHDRAWAL_DEADLINE} ELSE {day} > {_WITHDRAWAL_DEADLINE} END",
            )
        ],
        "finding.fine_collection_not_separated": [
            (
                "SJFS",
                f"v_SJFS = '2' AND (v_CXLX <> '1' OR (coalesce({_FINE_YUAN} > 100, false) AND NOT coalesce("
                "v_BZ LIKE '%边远%' OR v_BZ LIKE '%水上%' OR v_BZ LIKE '%交通不便%', false)))",
            )
        ],
        # 移送规定 Art 8: 3 days from the transfer, the last day moved on to a working day.
        "finding.late_police_filing_decision": [
            ("LAJGRQ", "v_LAJGRQ > " + rolled("v_YSRQ + 3"))
        ],
        "finding.case_open_too_long": [
            ("LARQ", f"v_AJZT IN ('1', '2') AND v_CF_JDRQ IS NULL AND {day} > {_HANDLING_DEADLINE}")
        ],
    }


def implemented_rule_ids(entity_code: str = ENTITY, std: Standard | None = None) -> set[str]:
    """The rule ids this baseline checks for the entity (the set the oracle test compares on)."""
    std = std or load_standard()
    entity = std.entity(entity_code)
    ids = {rule.id for rule in std.rules.values() if rule.kind == "field" and rule.targets(entity)}
    return ids | set(row_rules(dt.date.today()))


def build_sql(entity: Entity, std: Standard, as_of: dt.date, present: set[str]) -> tuple[str, list[tuple[str, str]]]:
    """The CREATE TABLE of the checks (one boolean column per check, from table `raw`), and the
    (rule, field) of each check column in order."""
    wanted_rows = {r.id for r in std.rules.values() if r.kind == "row" and r.applies(entity.code)}
    rules = row_rules(as_of) if entity.code == ENTITY else {}
    if wanted_rows != set(rules):
        raise NotImplementedError(f"row rules without SQL: {sorted(wanted_rows - set(rules))}")
    given = [f for f in entity.fields if f.code in present]
    per_row = [f for f in given if f.type in PER_ROW_TYPES]
    by_value = [f for f in given if f.type != "text" and f.type not in PER_ROW_TYPES]

    # r: the rows; fields parsed row by row get their normalised text, fast parse and slow parts
    r0 = ", ".join(
        ["rowid + 1 AS row", *(f.code for f in given), *(f"{_normalised(f, f.code)} AS t_{f.code}" for f in per_row)]
    )
    r1 = "".join(f", {fast_value(f, f't_{f.code}')} AS f_{f.code}" for f in per_row)
    r2 = "".join(f", {slow_parts(f, f't_{f.code}', f'f_{f.code}')} AS p_{f.code}" for f in per_row)
    ctes = [f"r AS (SELECT *{r2} FROM (SELECT *{r1} FROM (SELECT {r0} FROM raw)))"]
    groups: dict[str, list[Field]] = {}
    for field in by_value:
        groups.setdefault(dictionary_group(field), []).append(field)
    ctes += [_dictionary(group, fields, std) for group, fields in groups.items()]
    if entity.code == ENTITY and "CF_XDR_ZJHM" in present:  # counterparty.id_number_invalid
        source = (
            f"SELECT x, NULL AS t, {_zjhm(_trim('x'))} AS u FROM (SELECT DISTINCT CF_XDR_ZJHM AS x FROM raw"
            " WHERE CF_XDR_ZJHM IS NOT NULL)"
        )
        ctes.append(f"d_zjhm AS ({_ric_valid(source)})")

    typed, joins = [], []
    for field in entity.fields:
        c = field.code
        if field.code not in present:  # an optional column the file does not have
            typed.append(f"NULL::{SQL_TYPES.get(field.type, 'VARCHAR')} AS v_{c}, true AS m_{c}, false AS b_{c}")
            typed += [f"NULL::BOOLEAN AS {c}_{name}" for name in VALUE_FACTS.get(c, {})]
            typed += [f"NULL::BIGINT AS {c}_n_distinct"] if field.type == "text_list" else []
            typed += [f"NULL::DATE AS {c}_deadline"] if c in DEADLINE_FIELDS else []
        elif field.type == "text":
            typed.append(f"r.{c} AS v_{c}, {_blank(f'r.{c}')} AS m_{c}, false AS b_{c}")
        elif field.type in PER_ROW_TYPES:
            parse = parse_datetime if field.type == "datetime" else parse_date
            typed.append(f"r.t_{c} IS NULL AS m_{c}, {parse(f'r.t_{c}', f'r.f_{c}', f'r.p_{c}')} AS v_{c}")
        else:
            j = f"j_{c}"
            joins.append(f"LEFT JOIN d_{dictionary_group(field)} {j} ON {j}.x = r.{c}")
            value = f"{j}.v_placeholder" if field.type == "uscc" and c in PLACEHOLDER_FIELDS else f"{j}.v"
            if field.type == "text_list":
                typed.append(f"{value} AS v_{c}, ({j}.t IS NULL OR {j}.n_items = 0) AS m_{c}, false AS b_{c}")
                typed.append(f"{j}.n_distinct AS {c}_n_distinct")
            else:
                typed.append(
                    f"{value} AS v_{c}, {j}.t IS NULL AS m_{c}, {j}.t IS NOT NULL AND {value} IS NULL AS b_{c}"
                )
            typed += [f"{j}.{name} AS {c}_{name}" for name in VALUE_FACTS.get(c, {})]
            if c in DEADLINE_FIELDS:
                typed.append(f"{j}.deadline AS {c}_deadline")
    if entity.code == ENTITY:
        if "CF_XDR_ZJHM" in present:
            joins.append("LEFT JOIN d_zjhm ON d_zjhm.x = r.CF_XDR_ZJHM")
            typed.append("d_zjhm.v IS NOT NULL AS id_number_ok")
        else:
            typed.append("false AS id_number_ok")
    ctes.append(f"t1 AS (SELECT r.row, {', '.join(typed)} FROM r {' '.join(joins)})")
    bad = "".join(f", m_{f.code} = false AND v_{f.code} IS NULL AS b_{f.code}" for f in per_row)
    ctes.append(f"t AS (SELECT *{bad} FROM t1)")

    checks = field_checks(entity, std, as_of)
    for rule_id, items in rules.items():
        checks.extend((rule_id, field, sql) for field, sql in items)
    columns = ", ".join(f"coalesce({sql}, false) AS c{i}" for i, (_, _, sql) in enumerate(checks))
    create = f"CREATE OR REPLACE TEMP TABLE checks AS WITH {', '.join(ctes)} SELECT row, {columns} FROM t"
    return create, [(rule_id, field) for rule_id, field, _ in checks]


def _fold(header: str) -> str:
    return "".join(unicodedata.normalize("NFKC", header).replace("\ufeff", "").split()).upper()


def header_columns(csv_path: Path, entity: Entity) -> list[str]:
    """The field code of each column of the file, by Chinese name or code (`__skip<i>` if neither)."""
    with Path(csv_path).open(encoding="utf-8-sig", newline="") as handle:
        headers = next(csv.reader(handle))
    spellings = {_fold(f.name): f.code for f in entity.fields} | {_fold(f.code): f.code for f in entity.fields}
    return [spellings.get(_fold(h), f"__skip{i}") for i, h in enumerate(headers)]


def _load_lookups(con: duckdb.DuckDBPyConnection, std: Standard) -> None:
    """Tables codelist, ric_region, division and deadline_7 (day → the 7th working day after it)."""
    workdays, _first, last = workday_frame()
    frames = {
        "codelist": codelist_frame(std),
        "ric_region": ric_region_frame(),
        "division": pl.DataFrame({"code": list(std.divisions)}, schema={"code": pl.String}),
        "workday": workdays,
    }
    for name, frame in frames.items():
        con.register(f"{name}_frame", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
        con.unregister(f"{name}_frame")
    # Working days numbered in order; the deadline of a day is the working day numbered n + 7.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE deadline_7 AS
        WITH numbered AS (
            SELECT day, is_workday, sum(CAST(is_workday AS INTEGER)) OVER (ORDER BY day) AS n FROM workday
        )
        SELECT d.day, w.day AS deadline
        FROM numbered d JOIN numbered w ON w.is_workday AND w.n = d.n + {PUBLICITY_WORKING_DAYS}
        WHERE d.day <= DATE '{last.isoformat()}'
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE deadline_3 AS
        WITH numbered AS (
            SELECT day, is_workday, sum(CAST(is_workday AS INTEGER)) OVER (ORDER BY day) AS n FROM workday
        )
        SELECT d.day, w.day AS deadline
        FROM numbered d JOIN numbered w ON w.is_workday AND w.n = d.n + 3
        WHERE d.day <= DATE '{last.isoformat()}'
        """
    )
    # 顺延: a working day is its own end; any other day ends on the next working day.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE next_workday AS
        WITH numbered AS (
            SELECT day, is_workday, sum(CAST(is_workday AS INTEGER)) OVER (ORDER BY day) AS n FROM workday
        )
        SELECT d.day, w.day AS next_day
        FROM numbered d JOIN numbered w
            ON w.is_workday AND w.n = d.n + CASE WHEN d.is_workday THEN 0 ELSE 1 END
        WHERE d.day <= DATE '{last.isoformat()}'
        """
    )


def run_baseline(
    csv_path: Path | str,
    as_of: dt.date,
    *,
    entity_code: str = ENTITY,
    threads: int | None = None,
    timings: dict[str, float] | None = None,
    info: dict | None = None,
) -> pl.DataFrame:
    """(row, rule, field) for every field- and row-rule violation in the CSV (UTF-8, with a header
    row of Chinese names or field codes), findings included, sorted; `row` is the 1-based data row.
    `timings`, if given, receives the seconds spent per stage; `info` the number of rows read."""
    clock = _Clock(timings)
    std = load_standard()
    entity = std.entity(entity_code)
    columns = header_columns(Path(csv_path), entity)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _load_lookups(con, std)
        clock.lap("lookup tables")
        spec = "{" + ", ".join(f"{q(c)}: 'VARCHAR'" for c in columns) + "}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv({q(str(csv_path))}, header = true,"
            f" auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {spec})"
        )
        clock.lap("read csv")
        if info is not None:
            info["rows"] = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        create, checks = build_sql(entity, std, as_of, {c for c in columns if not c.startswith("__skip")})
        con.execute(create)
        clock.lap("checks")
        union = " UNION ALL ".join(f"SELECT row, {i} AS k FROM checks WHERE c{i}" for i in range(len(checks)))
        hits = con.sql(f"SELECT CAST(row AS BIGINT) AS row, CAST(k AS UINT32) AS k FROM ({union}) ORDER BY row, k").pl()
    finally:
        con.close()
    rules = pl.Series([rule for rule, _ in checks], dtype=pl.String)
    fields = pl.Series([field for _, field in checks], dtype=pl.String)
    result = pl.DataFrame({"row": hits["row"], "rule": rules.gather(hits["k"]), "field": fields.gather(hits["k"])})
    clock.lap("violations")
    return result.select(pl.col(c).cast(t) for c, t in RESULT_SCHEMA.items())


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def rejected_rows(violations: pl.DataFrame, std: Standard | None = None) -> pl.Series:
    std = std or load_standard()
    rejects = [r.id for r in std.rules.values() if r.severity == "reject"]
    return violations.filter(pl.col("rule").is_in(rejects))["row"].unique().sort()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    info: dict = {}
    violations = run_baseline(args.file, args.as_of, threads=args.threads, timings=timings, info=info)
    wall = time.perf_counter() - started
    print(f"rows: {info['rows']}")
    print(f"violations: {violations.height}")
    print(f"distinct rejected rows: {rejected_rows(violations).len()}")
    print(f"wall: {wall:.2f} s ({', '.join(f'{name} {sec:.2f}' for name, sec in timings.items())})")


if __name__ == "__main__":
    main()
