"""What the data service answers, as plain functions over a DuckDB cursor on the published copy.

Every list is one page in a stable order (by the table's key), with the total of the rows the token
may see under the same filters and, while more remain, an opaque cursor for the next page. A cursor
holds the offset and the fingerprint of the copy it was made on: after the daily swap it is refused
(read from the first page again) instead of skipping or repeating rows silently.

Scope is part of every query's WHERE clause, never a filter applied afterwards: a row outside the
token's scope is not read, so it cannot show in a page, a total or a lookup.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field

from zfjd.service.libraries import BODIES_OF_CITY, BODIES_OF_UNIT, CATALOG, REFERENCES, UNITS_OF_CITY
from zfjd.service.published import Snapshot
from zfjd.service.tokens import Scope

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


@dataclass(frozen=True)
class UnitTable:
    table: str
    key: str
    unit: str  # the column naming the 报送单位


UNIT_TABLES = {
    "batches": UnitTable(f"{CATALOG}.ops.ops_batch", "batch_id", "unit"),
    "rejections": UnitTable(f"{CATALOG}.ops.ops_rejection", "rejection_id", "unit"),
    "findings": UnitTable(f"{CATALOG}.marts.fct_finding", "finding_id", "reporting_unit_id"),
    "data-quality": UnitTable(f"{CATALOG}.marts.mart_unit_data_quality", "unit_month_id", "reporting_unit_id"),
}


class BadCursor(ValueError):
    pass


class StaleCursor(ValueError):
    pass


@dataclass
class Page:
    items: list[dict]
    total: int
    limit: int
    next_cursor: str | None
    published_as_of: str | None
    next_watermark: str | None = None
    extra: dict = field(default_factory=dict)


def encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "p": fingerprint[:16]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, made_on = int(data["o"]), str(data["p"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise BadCursor from exc
    if offset < 0:
        raise BadCursor
    if made_on != fingerprint[:16]:
        raise StaleCursor
    return offset


def _bodies(scope: Scope) -> tuple[str, list] | None:
    """The bodies a token sees, as a subquery with its parameters; None for the whole province."""
    if scope.province:
        return None
    if scope.city:
        return BODIES_OF_CITY, [scope.city]
    return BODIES_OF_UNIT, [scope.unit]


def _rows(cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# When the province took a version in; a version snapshotted before the dims carried it counts from its
# own date (it was taken in by then).
TAKEN_IN = "coalesce(taken_in_at, cast(valid_from as timestamp))"


def _time_filter(as_of: dt.date | None, since: dt.date | None, taken_since: dt.datetime | None = None
                 ) -> tuple[str, list]:
    if as_of is not None:
        # valid_to is the day the next version took over: the half-open [valid_from, valid_to)
        return "valid_from <= ? and (valid_to is null or valid_to > ?)", [as_of, as_of]
    if since is not None:
        return "(valid_from > ? or valid_to > ?)", [since, since]
    if taken_since is not None:
        return f"{TAKEN_IN} > ?", [taken_since]
    return "is_current", []


def _page(
    cursor,
    snapshot: Snapshot,
    select: str,
    source: str,
    where: list[str],
    params: list,
    key: str,
    limit: int,
    cursor_text: str | None,
) -> Page:
    offset = decode_cursor(cursor_text, snapshot.fingerprint)
    condition = " and ".join(f"({part})" for part in where) or "true"
    total = cursor.execute(f"select count(*) from {source} where {condition}", params).fetchone()[0]
    cursor.execute(
        f"select {select} from {source} where {condition} order by {key} limit ? offset ?", [*params, limit, offset]
    )
    items = _rows(cursor)
    following = offset + len(items)
    more = following < total and len(items) == limit
    return Page(items, total, limit, encode_cursor(following, snapshot.fingerprint) if more else None, snapshot.as_of)


def reference_page(
    cursor,
    snapshot: Snapshot,
    scope: Scope,
    name: str,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    taken_since: dt.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor_text: str | None = None,
) -> Page:
    """A page of one of the 三库: the versions in force on `as_of`, those changed after `since` (by their
    dates), those the province took in after `taken_since`, or the current ones; with `since` or
    `taken_since`, the watermark to ask with next time (the last change, or intake, the scope holds)."""
    reference = REFERENCES[name]
    where, params = [], []
    bodies = _bodies(scope)
    if bodies is not None:
        where.append(reference.scope.format(bodies=bodies[0]))
        params += bodies[1]
    scope_where, scope_params = list(where), list(params)
    condition, values = _time_filter(as_of, since, taken_since)
    where.append(condition)
    params += values
    page = _page(cursor, snapshot, reference.columns, reference.table, where, params, reference.key, limit, cursor_text)
    in_scope = " and ".join(f"({p})" for p in scope_where) or "true"
    if since is not None:
        latest = cursor.execute(
            f"select max(greatest(valid_from, coalesce(valid_to, valid_from))) from {reference.table} where {in_scope}",
            scope_params,
        ).fetchone()[0]
        page.next_watermark = max(latest, since).isoformat() if latest else since.isoformat()
    if taken_since is not None:
        query = f"select max({TAKEN_IN}) from {reference.table} where {in_scope}"
        latest = cursor.execute(query, scope_params).fetchone()[0]
        page.next_watermark = max(latest, taken_since).isoformat() if latest else taken_since.isoformat()
    return page


def reference_lookup(cursor, scope: Scope, name: str, code: str, *, as_of: dt.date | None = None) -> list[dict]:
    """The version(s) of one body, officer or matter in force on `as_of` (current without it); empty when
    it does not exist or is outside the scope — the caller cannot tell which. The service answers this
    from memory (in_memory.py); this SQL is what that answer is tested against."""
    reference = REFERENCES[name]
    where, params = [f"{reference.code} = ?"], [code]
    bodies = _bodies(scope)
    if bodies is not None:
        where.append(reference.scope.format(bodies=bodies[0]))
        params += bodies[1]
    condition, values = _time_filter(as_of, None)
    where.append(condition)
    params += values
    cursor.execute(
        f"select {reference.columns} from {reference.table} where {' and '.join(f'({p})' for p in where)} "
        f"order by {reference.key}",
        params,
    )
    return _rows(cursor)


def unit_in_scope(cursor, scope: Scope, unit: str) -> bool:
    if scope.province or unit == scope.unit:
        return True
    if scope.city:
        found = cursor.execute(
            f"select 1 from ({UNITS_OF_CITY}) where reporting_unit_id = ? limit 1", [scope.city, unit]
        ).fetchone()
        return found is not None
    return False


def unit_page(
    cursor, snapshot: Snapshot, name: str, unit: str, *, limit: int = DEFAULT_LIMIT, cursor_text: str | None = None
) -> Page:
    """A page of one unit's batches, rejections, findings or data-quality figures (scope checked by the
    caller with `unit_in_scope`: the unit is the whole filter)."""
    table = UNIT_TABLES[name]
    return _page(cursor, snapshot, "*", table.table, [f"{table.unit} = ?"], [unit], table.key, limit, cursor_text)
