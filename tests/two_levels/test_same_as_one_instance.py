"""Issue 12, "Done when": the province's warehouse equals a single instance's over the same records for the
indicators. The same simulated days (tests/two_level_support.py) are taken in once by a province with
广州 and 深圳 as city instances, and once by one instance that takes every unit directly; both
warehouses are built as the daily cycle builds them, as of the last day.

Data quality is compared where the same batches are judged at both: the units reporting to the province
directly, 省直 and the cities without a city instance. A city instance's units are not comparable by
design: the province judges only what their city accepted, batched under the city's 报送单位 (their
精准率 of what they sent is the city's figure, in the city's warehouse), which counts in its city.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from two_level_support import CITIES

pytestmark = pytest.mark.slow


def _tables(home, like: str) -> list[str]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' and table_name like ? "
            "order by 1", [like]
        ).fetchall()
    return [row[0] for row in rows]


def _frame(home, name: str, where: str = "true", params: list | None = None) -> pl.DataFrame:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        frame = con.sql(f"select * from marts.{name} where {where}", params=params or None).pl()
    return frame.sort(frame.columns, nulls_last=True)


def _differences(left: pl.DataFrame, right: pl.DataFrame) -> str:
    only_left = left.join(right, on=left.columns, how="anti", nulls_equal=True)
    only_right = right.join(left, on=right.columns, how="anti", nulls_equal=True)
    return f"province only:\n{only_left.head(5)}\nsingle instance only:\n{only_right.head(5)}"


def test_the_provinces_indicators_equal_a_single_instances(province_built, single_instance_built):
    names = _tables(province_built, "mart_indicators%")
    assert len(names) >= 8 and names == _tables(single_instance_built, "mart_indicators%")
    for name in [*names, "mart_supervision_indicators", "mart_penalty_kind_counts", "mart_zero_enforcement"]:
        province, single = _frame(province_built, name), _frame(single_instance_built, name)
        assert province.height > 0, f"{name}: empty, the comparison would prove nothing"
        assert province.equals(single), f"{name} differs\n{_differences(province, single)}"


def test_the_indicators_count_the_city_instances_records(province_built, levels):
    units = [unit for city_units in levels["levels"].units.values() for unit in city_units]
    cases = _frame(province_built, "fct_penalty_case", "reporting_unit_id in (select unnest(?))", [units])
    inspections = _frame(province_built, "fct_inspection", "reporting_unit_id in (select unnest(?))", [units])
    assert cases.height + inspections.height > 0, "no record of a city's unit reached the province's marts"


def test_data_quality_equals_where_the_same_batches_are_judged(province_built, single_instance_built, levels):
    two = levels["levels"]
    cities_units = [*CITIES.values(), *(unit for units in two.units.values() for unit in units)]
    unit_filter = "reporting_unit_id not in (select unnest(?))"
    province = _frame(province_built, "mart_unit_data_quality", unit_filter, [cities_units])
    single = _frame(single_instance_built, "mart_unit_data_quality", unit_filter, [cities_units])
    assert province.height >= 20 and province.equals(single), _differences(province, single)
    # 省直 (no city) included: a city instance is no body of the 三库, yet it counts in its city, not there
    city_filter = "city_code is null or city_code not in (select unnest(?))"
    province = _frame(province_built, "mart_data_quality_by_city", city_filter, [list(CITIES)])
    single = _frame(single_instance_built, "mart_data_quality_by_city", city_filter, [list(CITIES)])
    assert province.height >= 10 and province.equals(single), _differences(province, single)
    assert province.filter(pl.col("city_code").is_null()).height == 1
    cities = _frame(province_built, "mart_data_quality_by_city", "city_code in (select unnest(?))", [list(CITIES)])
    assert set(cities["city_code"]) == set(CITIES) and (cities["unit_count"] == 1).all(), "each city instance, there"
