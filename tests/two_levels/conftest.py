"""The two levels' three simulated days, built once per session (tests/two_level_support.py)."""

from __future__ import annotations

import pytest
from two_level_support import build_two_levels


@pytest.fixture(scope="session")
def levels(tmp_path_factory) -> dict:
    return build_two_levels(tmp_path_factory.mktemp("two-levels"))
