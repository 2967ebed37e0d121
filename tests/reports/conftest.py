"""One small simulated province, built once for the report tests: landed, validated, modelled, the month's
随机抽查 drawn, then copied to DIR/published (the publish step is tested elsewhere)."""

from __future__ import annotations

import pytest
from support import build_published_province

from zfjd import cycle
from zfjd.home import Home

SPEC = cycle.ProvinceSpec(units=12, days=40, seed=3, start="2025-01-01")
MONTH = "2025-01"


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    home = Home.at(tmp_path_factory.mktemp("reports"))
    return build_published_province(home, SPEC, MONTH)


@pytest.fixture(scope="session")
def as_of():
    """The cycle's day (the simulated province's last day)."""
    return SPEC.last_day


@pytest.fixture(scope="session")
def month():
    return MONTH
