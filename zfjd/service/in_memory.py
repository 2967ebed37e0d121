"""The 三库 of one published copy held in memory: every version of every body, officer and matter by its
code, and the bodies of each unit and each city (which every scope check reads). A lookup by code — the
call a city instance makes most — is then answered without a query or a worker thread; 50 concurrent
lookups on 2 cores wait for nothing but Python (docs/benchmarks.md, service-benchmark). Built when a
copy is opened, dropped with it; the lists stay queries (they page, count and filter by date)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from zfjd.service.libraries import REFERENCES
from zfjd.service.tokens import Scope


def in_force(version: dict, as_of: dt.date | None) -> bool:
    """The SQL of queries._time_filter, for one version: [valid_from, valid_to) holds as_of, or current."""
    if as_of is None:
        return bool(version["is_current"])
    return version["valid_from"] <= as_of and (version["valid_to"] is None or version["valid_to"] > as_of)


def _by_code(connection, name: str) -> dict[str, list[dict]]:
    reference = REFERENCES[name]
    cursor = connection.execute(f"select {reference.columns} from {reference.table} order by {reference.key}")
    names = [column[0] for column in cursor.description]
    versions: dict[str, list[dict]] = defaultdict(list)
    for row in cursor.fetchall():
        version = dict(zip(names, row, strict=True))
        versions[version[reference.code]].append(version)
    return dict(versions)


@dataclass(frozen=True)
class LibrariesInMemory:
    versions: dict[str, dict[str, list[dict]]]  # library -> code -> versions, in key order
    of_unit: dict[str, frozenset[str]]
    of_city: dict[str, frozenset[str]]

    @classmethod
    def load(cls, connection) -> LibrariesInMemory:
        versions = {name: _by_code(connection, name) for name in REFERENCES}
        of_unit: dict[str, set[str]] = defaultdict(set)
        of_city: dict[str, set[str]] = defaultdict(set)
        for body, body_versions in versions["entities"].items():
            for version in body_versions:
                of_unit[version["reporting_unit_id"]].add(body)
                if version["city_code"]:
                    of_city[version["city_code"]].add(body)
        return cls(
            versions,
            {unit: frozenset(bodies) for unit, bodies in of_unit.items()},
            {city: frozenset(bodies) for city, bodies in of_city.items()},
        )

    def sees(self, scope: Scope, entity_id: str) -> bool:
        if scope.province:
            return True
        if scope.city:
            return entity_id in self.of_city.get(scope.city, frozenset())
        return entity_id in self.of_unit.get(scope.unit, frozenset())

    def lookup(self, scope: Scope, name: str, code: str, as_of: dt.date | None) -> list[dict]:
        """As queries.reference_lookup answers it: the versions in force, empty when the code does not
        exist or none of its bodies is in the scope."""
        bodies_of = REFERENCES[name].bodies_of
        return [
            version
            for version in self.versions[name].get(code, ())
            if in_force(version, as_of) and any(self.sees(scope, body) for body in bodies_of(version))
        ]
