"""The way back through the province's data service (the link between separate machines): with the
city's token, `ProvinceService` learns exactly what `ProvinceLedger` reads from the province's lake;
another city's token is refused; and at the city, the province's rejections are in the originating
unit's feedback files of the cycle that learnt them. Builds both warehouses (dbt): the slow part.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from two_level_support import CITIES, Loopback, build_warehouse

from zfjd import cycle
from zfjd.service import create_app, tokens
from zfjd.upward import Outbox, ProvinceLedger, ProvinceService, outbox_path

pytestmark = pytest.mark.slow
GUANGZHOU, SHENZHEN = "440100", "440300"


@pytest.fixture(scope="module")
def service(levels, province_built):
    two = levels["levels"]
    issued = {city: tokens.issue(two.province, unit, city=city)[1] for city, unit in CITIES.items()}
    return two, Loopback(TestClient(create_app(two.province))), issued


def _sent(home) -> set[str]:
    outbox = Outbox(outbox_path(home))
    try:
        return {row[0] for row in outbox.connection.execute("select upward_batch_id from upward_batch")}
    finally:
        outbox.close()


def test_the_service_tells_the_city_what_the_provinces_lake_holds(service):
    two, client, issued = service
    unit, sent = CITIES[GUANGZHOU], _sent(two.cities[GUANGZHOU])
    over_http = ProvinceService("http://testserver", issued[GUANGZHOU], session=client)
    from_lake = ProvinceLedger(two.province.root)
    assert over_http.judged(unit, sent) == from_lake.judged(unit, sent)
    assert set(over_http.judged(unit, sent)) == sent

    def rows(rejections):
        return sorted((r.batch_id, r.row_number, r.rule, r.field or "", r.message, r.hint) for r in rejections)

    assert rows(over_http.rejections(unit, sent)) == rows(from_lake.rejections(unit, sent))
    assert rows(over_http.rejections(unit, sent)), "the stale-三库 rejection must be among them"
    assert issued[GUANGZHOU] not in repr(over_http)


def test_another_citys_token_is_refused(service):
    two, client, issued = service
    shenzhen_token = ProvinceService("http://testserver", issued[SHENZHEN], session=client)
    with pytest.raises(RuntimeError, match="HTTP 403") as refused:
        shenzhen_token.judged(CITIES[GUANGZHOU], _sent(two.cities[GUANGZHOU]))
    assert issued[SHENZHEN] not in str(refused.value)


def test_the_provinces_rejections_are_in_the_originating_units_feedback_files(levels):
    two, day = levels["levels"], levels["days"][-1]
    home = two.cities[GUANGZHOU]
    build_warehouse(home, day)
    written = cycle.write_feedback(home, day)
    rejected = levels["rejections_day3"]
    unit = rejected[0]["unit"]
    workbook = next(path for path in written if f"/{unit}/" in path and path.endswith(".xlsx"))
    sheet = load_workbook(workbook, read_only=True)["退回明细"]
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert any(cell.startswith("省级复核退回：") for cell in cells)
    for row in rejected:
        assert row["batch_id"] in cells
    summary = load_workbook(workbook, read_only=True)["概况"]
    facts = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert facts["省级复核退回记录数"].startswith(str(len({(r["batch_id"], r["row_number"]) for r in rejected})))
