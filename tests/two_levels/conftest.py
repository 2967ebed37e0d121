"""The two levels' three simulated days, built once per session (tests/two_level_support.py), and the
warehouses the slower tests read: the province's, and a single instance's over the same records."""

from __future__ import annotations

import pytest
from two_level_support import build_single_instance, build_two_levels, build_warehouse


@pytest.fixture(scope="session")
def levels(tmp_path_factory) -> dict:
    return build_two_levels(tmp_path_factory.mktemp("two-levels"))


@pytest.fixture(scope="session")
def province_built(levels):
    """The province's warehouse after the last day, built and published (dbt: the slow part)."""
    two = levels["levels"]
    build_warehouse(two.province, levels["days"][-1])
    return two.province


@pytest.fixture(scope="session")
def single_instance_built(levels, tmp_path_factory):
    """One instance that took in every record the two levels took in, its warehouse built the same day."""
    home = build_single_instance(tmp_path_factory.mktemp("single-instance"), levels["levels"])
    build_warehouse(home, levels["days"][-1])
    return home
