"""One small simulated province, built once for the report tests: landed, validated, modelled, the month's
随机抽查 drawn, then copied to DIR/published (the publish step is tested elsewhere)."""

from __future__ import annotations

import json
import shutil

import pytest

from zfjd import cycle, warehouse
from zfjd.home import Home

SPEC = cycle.ProvinceSpec(units=12, days=40, seed=3, start="2025-01-01")
MONTH = "2025-01"


@pytest.fixture(scope="session")
def published(tmp_path_factory):
    home = Home.at(tmp_path_factory.mktemp("reports"))
    cycle.prepare_province(home, SPEC)
    cycle.land_reference(home, as_of=SPEC.last_day)
    outcome = cycle.intake_and_validate(home, cycle.discover_units(home), as_of=SPEC.last_day)
    assert not outcome.problems and outcome.rejected > 0
    result = warehouse.build(home, as_of=SPEC.last_day)
    assert result.success, "\n".join(result.failures)
    variables = {**warehouse.dbt_vars(SPEC.last_day), "review_month": MONTH}
    drawn = warehouse.run_dbt(["build", "--select", "mart_review_sample", "--vars", json.dumps(variables)], home)
    assert drawn.success, "\n".join(drawn.failures)
    home.published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(home.warehouse, home.published)
    return home


@pytest.fixture(scope="session")
def as_of():
    """The cycle's day (the simulated province's last day)."""
    return SPEC.last_day


@pytest.fixture(scope="session")
def month():
    return MONTH
