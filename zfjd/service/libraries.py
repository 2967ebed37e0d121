"""The 三库 as the service serves them: which table, key, code and columns, and how a row belongs to
the bodies a token sees (in SQL for the lists, in Python for the lookups held in memory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CATALOG = "published"  # the published copy, attached under this name (published.py)


@dataclass(frozen=True)
class Reference:
    """One of the 三库: an SCD2 dimension (valid_from / valid_to / is_current) looked up by its code."""

    table: str
    key: str
    code: str
    columns: str
    scope: str  # the predicate tying a row to the bodies in scope; `{bodies}` is their entity_id list
    bodies_of: Callable[[dict], list[str]]  # the same tie for one row held in memory


def _own_body(row: dict) -> list[str]:
    return [row["entity_id"]]


def _implementing_bodies(row: dict) -> list[str]:
    return (row["implementing_entity_ids"] or "").split(";")


BODIES_OF_UNIT = f"select entity_id from {CATALOG}.marts.dim_enforcement_entity where reporting_unit_id = ?"
BODIES_OF_CITY = f"select entity_id from {CATALOG}.marts.dim_enforcement_entity where city_code = ?"
UNITS_OF_CITY = f"select reporting_unit_id from {CATALOG}.marts.dim_enforcement_entity where city_code = ?"

REFERENCES = {
    "entities": Reference(
        f"{CATALOG}.marts.dim_enforcement_entity",
        "entity_version_id",
        "entity_id",
        "*",
        "entity_id in ({bodies})",
        _own_body,
    ),
    # Named columns, not *: an unmasked name or 身份证号 added to the dim one day is still not served.
    "officers": Reference(
        f"{CATALOG}.marts.dim_officer",
        "officer_version_id",
        "card_number",
        "officer_version_id, card_number, officer_name_masked, id_number_masked, entity_id, enforcement_domain, "
        "card_valid_from, card_valid_to, card_status, taken_in_at, valid_from, valid_to, is_current",
        "entity_id in ({bodies})",
        _own_body,
    ),
    # A matter is in scope when one of its 实施主体 (held as "code;code;…") is.
    "matters": Reference(
        f"{CATALOG}.marts.dim_matter",
        "matter_history_id",
        "matter_code",
        "*",
        "list_has_any(string_split(implementing_entity_ids, ';'),"
        " (select coalesce(list(entity_id), []) from ({bodies})))",
        _implementing_bodies,
    ),
}
