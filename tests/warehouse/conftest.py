"""One simulated province, landed, validated and built once per session: the warehouse tests share it.

Sizes from ZFJD_TEST_WAREHOUSE_UNITS / ZFJD_TEST_WAREHOUSE_DAYS (200 × 90 in CI): building it is the
expensive part, so every test file of this folder reads the same build instead of making its own.
"""

from __future__ import annotations

import os

import pytest

from zfjd import cycle, warehouse
from zfjd.home import Home

UNITS = int(os.environ.get("ZFJD_TEST_WAREHOUSE_UNITS", "200"))
DAYS = int(os.environ.get("ZFJD_TEST_WAREHOUSE_DAYS", "90"))


@pytest.fixture(scope="session")
def province(tmp_path_factory):
    home = Home.at(tmp_path_factory.mktemp("warehouse"))
    spec = cycle.ProvinceSpec(units=UNITS, days=DAYS, seed=11, start="2025-01-01")
    cycle.prepare_province(home, spec)
    cycle.land_reference(home, as_of=spec.last_day)
    outcome = cycle.intake_and_validate(home, cycle.discover_units(home), as_of=spec.last_day)
    assert not outcome.problems and outcome.received > 1_000
    return home, spec


@pytest.fixture(scope="session")
def duckdb_build(province):
    home, spec = province
    result = warehouse.build(home, as_of=spec.last_day)
    assert result.success, "\n".join(result.failures)
    return home, spec
