"""The first `zfjd run` has dbt parse the project in its own process, at a lower priority, from the start
until the first build (zfjd.warehouse.parsed_ahead): the build waits for it, a failed run stops it."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from zfjd import warehouse
from zfjd.home import Home

AS_OF = dt.date(2025, 3, 30)


def test_the_build_waits_for_the_parse_started_ahead_which_runs_below_the_rest(tmp_path):
    home = Home.at(tmp_path / "home").create()
    with warehouse.parsed_ahead(home, AS_OF):
        parsing = warehouse._parsing_ahead
        assert parsing is not None and parsing.poll() is None
        assert os.getpriority(os.PRIO_PROCESS, parsing.pid) >= warehouse.PARSE_AHEAD_NICENESS
        warehouse.wait_for_parse_ahead()  # what the DAG's dbt_build does first
        assert parsing.returncode == 0, (warehouse.daily_build_parse_cache(home) / "parse-ahead.log").read_text()
        assert (warehouse.daily_build_parse_cache(home) / "target" / "partial_parse.msgpack").exists()
    assert warehouse._parsing_ahead is None
    warehouse.wait_for_parse_ahead()  # nothing started ahead: returns at once


def test_a_run_that_fails_before_the_build_stops_the_parse(tmp_path):
    home = Home.at(tmp_path / "home").create()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="simulation failed"), warehouse.parsed_ahead(home, AS_OF):
        parsing = warehouse._parsing_ahead
        raise RuntimeError("simulation failed")
    assert parsing.poll() is not None and parsing.returncode != 0  # killed, not waited for to the end
    assert time.monotonic() - started < 5
    assert warehouse._parsing_ahead is None
