"""Looks for personal data where analysts can read it: valid 身份证号, mobile numbers and the natural persons'
full names the restricted `raw` schema knows about, in every text column of the analyst-facing tables of a
warehouse (or of the published copy). Independent of the dbt masking: plain Python, python-stdnum."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from stdnum.cn import ric

from zfjd.publish import is_private

ID_18 = re.compile(r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")


def valid_id_numbers(text: str | None) -> list[str]:
    return [m for m in ID_18.findall(text or "") if ric.is_valid(m)]


def mobile_numbers(text: str | None) -> list[str]:
    return MOBILE.findall(text or "")


@dataclass
class People:
    """What `raw` says about people: the natural persons' names (each record's own, with the organisation
    names of the same record that may contain them) and their 证件号码."""

    names: set[str] = field(default_factory=set)
    organisations: set[str] = field(default_factory=set)
    id_numbers: set[str] = field(default_factory=set)
    by_case: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # case_id -> (names, organisations)


def people(warehouse: Path) -> People:
    found = People()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for entity in ("penalty_case", "coercion_case"):
            legal = '"CF_FRDB"' if entity == "penalty_case" else "null"
            key = '"AJBH"' if entity == "penalty_case" else '"QZBH"'
            rows = con.execute(
                f'select "ZTDM" || \'|\' || {key}, "CF_XDR_MC", "CF_XDR_LB", {legal}, "CF_XDR_ZJHM" from raw."{entity}"'
            ).fetchall()
            for case_id, name, kind, legal_representative, id_number in rows:
                names = {n for n in ((name if kind == "自然人" else None), legal_representative) if n and len(n) >= 2}
                organisations = {name} if name and kind != "自然人" else set()
                found.names |= names
                found.organisations |= organisations
                if id_number:
                    found.id_numbers.add(id_number)
                if entity == "penalty_case":
                    found.by_case[case_id] = (names, organisations)
        # 行政许可 (from the 政务服务网) name their people as the 双公示 does, under XK_* codes.
        for name, kind, legal_representative, id_number in con.execute(
            'select "XK_XDR_MC", "XK_XDR_LB", "XK_FRDB", "XK_XDR_ZJHM" from raw."license"'
        ).fetchall():
            person = name if kind == "自然人" else None
            found.names |= {n for n in (person, legal_representative) if n and len(n) >= 2}
            found.organisations |= {name} if name and kind != "自然人" else set()
            if id_number:
                found.id_numbers.add(id_number)
        for (name,) in con.execute('select "XM" from raw."officer" where "XM" is not null').fetchall():
            if len(name) >= 2:
                found.names.add(name)
        # An inspected party with a 统一社会信用代码 is an organisation (one without is masked whole).
        for (name,) in con.execute(
            'select "JCDXMC" from raw."inspection" where "JCDXDM" is not null and "JCDXMC" is not null'
        ).fetchall():
            found.organisations.add(name)
        for (id_number,) in con.execute('select "SFZH" from raw."officer" where "SFZH" is not null').fetchall():
            found.id_numbers.add(id_number)
        # Names of bodies, places, matters and laws: a name read inside one (高明 in 高明区) is no leak.
        for query in (
            'select "ZTMC" from raw."enforcement_entity"',
            'select "SXMC" from raw."matter"',
            'select "FGMC" from raw."law"',
            "select division_name from reference.region",
            'select "CF_CFJG" from raw."penalty_case" union select "CF_SJLY" from raw."penalty_case"',
        ):
            found.organisations |= {value for (value,) in con.execute(query).fetchall() if value}
    return found


def analyst_text(database: Path) -> dict[str, dict[str, list]]:
    """Every text column of every analyst-facing table: {"schema.table": {column: [(case_id, value), …]}}
    (case_id None when the table has none)."""
    found: dict[str, dict[str, list]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal order by 1, 2"
        ).fetchall()
        for schema, name in relations:
            if is_private(schema):
                continue
            columns = [
                column
                for column, kind in con.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ?",
                    [schema, name],
                ).fetchall()
                if kind == "VARCHAR"
            ]
            has_case = "case_id" in columns
            for column in columns:
                key = "case_id" if has_case else "null"
                values = con.execute(
                    f'select distinct {key}, "{column}" from "{schema}"."{name}" where "{column}" is not null'
                ).fetchall()
                found.setdefault(f"{schema}.{name}", {})[column] = values
    return found


def _without(text: str, organisations: set[str]) -> str:
    for organisation in sorted(organisations, key=len, reverse=True):
        if organisation:
            text = text.replace(organisation, "\x00")
    return text


class _Names:
    """Which of many names occur in a text, without testing every name against every text (a province's
    warehouse holds ~10⁴ organisation names and ~10⁵ texts): names indexed by their first two characters,
    then each position of the text looked up. Finds exactly the names `name in text` finds."""

    def __init__(self, names: set[str]):
        self.short = {n for n in names if len(n) == 1}
        self.by_start: dict[str, list[str]] = {}
        for name in names:
            if len(name) >= 2:
                self.by_start.setdefault(name[:2], []).append(name)

    def within(self, text: str) -> set[str]:
        found = {n for n in self.short if n in text}
        for i in range(len(text) - 1):
            for name in self.by_start.get(text[i : i + 2], ()):
                if text.startswith(name, i):
                    found.add(name)
        return found


def leaks(database: Path, who: People) -> list[str]:
    """Each place where an analyst-facing value holds a valid 身份证号, a known 证件号码, a mobile number, or a
    known natural person's full name (outside an organisation's name): "table.column: kind value"."""
    found = []
    lengths = sorted({len(n) for n in who.names})
    known_organisations = _Names(who.organisations)
    for relation, columns in analyst_text(database).items():
        for column, values in columns.items():
            if column.endswith("_id") or column == "fingerprint":
                # keys and the publication's content digest (zfjd_publication.fingerprint, SHA-256): codes
                # and hex digests, whose digits may look like anything (a digest once held "18160209517")
                continue
            for case_id, value in values:
                if valid_id_numbers(value):
                    found.append(f"{relation}.{column}: 身份证号 {value}")
                if value in who.id_numbers:
                    found.append(f"{relation}.{column}: 证件号码 {value}")
                if mobile_numbers(value):
                    found.append(f"{relation}.{column}: 手机号码 {value}")
                own, organisations = who.by_case.get(case_id, (set(), set())) if case_id else (set(), set())
                named = {name for name in own if name in value}
                if _is_a_name_column(column) or value in who.names:
                    named |= {value[i : i + n] for n in lengths for i in range(len(value) - n + 1)} & who.names
                if not named:
                    continue
                text = _without(value, {o for o in organisations if o in value} | known_organisations.within(value))
                if any(name in text for name in named):
                    found.append(f"{relation}.{column}: 自然人姓名 {value}")
    return found


def _is_a_name_column(column: str) -> bool:
    """Where a full name would be a leak by itself wherever it appears in the value: the columns that carry
    names, and every free text. (A short name read inside any text column of the reference tables — 高明 in
    佛山市高明区 — would be a false alarm.)"""
    words = (
        "name",
        "mc",
        "frdb",
        "facts",
        "sy",
        "remarks",
        "content",
        "nr",
        "basis",
        "yj",
        "violation",
        "wfxw",
        "value",
        "detail",
        "reason",
    )
    return any(word in column.lower().split("_") or column.lower().endswith(word) for word in words)
