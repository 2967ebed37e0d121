"""The 执法主体 of one published copy held in memory: every version by code, and the bodies of each unit
and each city. The table is small (one row per version of a body: thousands), every scope check reads
it, and the 三库 lookup by code — the service's most frequent call — is then answered without a query.
Built when a copy is opened, dropped with it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from zfjd.service.tokens import Scope


def in_force(version: dict, as_of: dt.date | None) -> bool:
    """The SQL of queries._time_filter, for one version: [valid_from, valid_to) holds as_of, or current."""
    if as_of is None:
        return bool(version["is_current"])
    return version["valid_from"] <= as_of and (version["valid_to"] is None or version["valid_to"] > as_of)


@dataclass(frozen=True)
class BodyIndex:
    versions: dict[str, list[dict]]
    of_unit: dict[str, frozenset[str]]
    of_city: dict[str, frozenset[str]]

    @classmethod
    def load(cls, connection, table: str, key: str) -> BodyIndex:
        cursor = connection.execute(f"select * from {table} order by {key}")
        names = [column[0] for column in cursor.description]
        versions: dict[str, list[dict]] = defaultdict(list)
        of_unit: dict[str, set[str]] = defaultdict(set)
        of_city: dict[str, set[str]] = defaultdict(set)
        for row in cursor.fetchall():
            version = dict(zip(names, row, strict=True))
            versions[version["entity_id"]].append(version)
            of_unit[version["reporting_unit_id"]].add(version["entity_id"])
            if version["city_code"]:
                of_city[version["city_code"]].add(version["entity_id"])
        return cls(
            dict(versions),
            {unit: frozenset(bodies) for unit, bodies in of_unit.items()},
            {city: frozenset(bodies) for city, bodies in of_city.items()},
        )

    def sees(self, scope: Scope, entity_id: str) -> bool:
        if scope.province:
            return True
        if scope.city:
            return entity_id in self.of_city.get(scope.city, frozenset())
        return entity_id in self.of_unit.get(scope.unit, frozenset())

    def lookup(self, scope: Scope, entity_id: str, as_of: dt.date | None) -> list[dict]:
        if not self.sees(scope, entity_id):
            return []
        return [version for version in self.versions.get(entity_id, ()) if in_force(version, as_of)]
