"""The monthly 通报 from the published warehouse: self-contained, reproducible, every section filled from
the warehouse (numbers checked against SQL run here)."""

from __future__ import annotations

import re

import duckdb
import pytest

from zfjd.reports.monthly import write_monthly_html, write_monthly_report

SECTIONS = ["一、总体情况", "二、各地市执法情况排名", "三、近12个月趋势", "四、零执法情况", "五、监督发现",
            "六、超期未结案件", "七、数据报送质量", "八、随机抽查", "九、口径说明"]


@pytest.fixture(scope="module")
def report(published, month, tmp_path_factory):
    out = tmp_path_factory.mktemp("monthly")
    paths = write_monthly_report(published.published, month, out)
    return published, paths, out


def _query(home, sql, params=()):
    with duckdb.connect(str(home.published), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_writes_the_html_and_a_pdf(report, month):
    _, paths, _ = report
    assert [p.name for p in paths] == [f"通报-{month}.html", f"通报-{month}.pdf"]
    assert paths[1].read_bytes().startswith(b"%PDF") and paths[1].stat().st_size > 20_000


def test_the_html_is_self_contained(report):
    page = report[1][0].read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", page, re.I)
    assert not re.search(r"@import", page, re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower()


def test_the_same_warehouse_gives_the_same_bytes(report, month, tmp_path):
    home, paths, _ = report
    again = write_monthly_html(home.published, month, tmp_path)
    assert again.read_bytes() == paths[0].read_bytes()


def test_every_section_is_there_with_charts(report, month):
    home, paths, _ = report
    page = paths[0].read_text(encoding="utf-8")
    assert "<h1>广东省行政执法监督月度通报</h1>" in page and "2025年1月" in page
    positions = [page.index(f"<h2>{title}</h2>") for title in SECTIONS]
    assert positions == sorted(positions)
    # Data quality is kept by month of receipt: its chart shows only when batches were received that month.
    (quality_units,), = _query(home, "select count(*) from marts.mart_unit_data_quality "
                                     "where month_start = date '2025-01-01'")
    charts = re.findall(r'<svg class="chart"[^>]*>.*?</svg>', page, re.S)
    assert len(charts) == (7 if quality_units else 6)
    assert all(re.search(r"<path|<rect|<use", chart) for chart in charts)


def test_the_summary_and_the_city_ranking_come_from_the_warehouse(report):
    home, paths, _ = report
    page = paths[0].read_text(encoding="utf-8")
    text = _text(page)
    (penalties, inspections, entities), = _query(
        home, "select penalty_case_count, inspection_count, entity_count from marts.mart_indicators_province "
              "where month_start = date '2025-01-01'")
    assert f"全省 {entities:,} 个执法主体共作出行政处罚决定 {penalties:,} 件" in text
    assert f"开展行政检查 {inspections:,} 次" in text

    top_city, top_count = _query(
        home, "select r.division_name, c.penalty_case_count from marts.mart_indicators_by_city c "
              "join marts.dim_region r on r.division_code = c.city_code "
              "where c.month_start = date '2025-01-01' "
              "order by c.penalty_case_count desc, c.forfeiture_amount_wan desc, c.city_code limit 1")[0]
    ranking = page[page.index('id="city-ranking"'):]
    first_row = re.search(r"<tr data-city=[^>]*>(.*?)</tr>", ranking).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", first_row)
    assert cells[:3] == ["1", top_city, f"{top_count:,}"]
    assert f"处罚案件数居首的是{top_city}（{top_count:,} 件）" in text
    assert ranking.count("<tr data-city=") == 21  # every city, with or without cases


def test_findings_open_cases_zero_enforcement_quality_and_sample_match_the_warehouse(report, month):
    home, paths, _ = report
    text = _text(paths[0].read_text(encoding="utf-8"))
    (findings,), = _query(home, "select count(*) from marts.fct_finding where finding_month = date '2025-01-01'")
    assert f"本月记录监督发现 {findings:,} 条" in text
    (open_cases,), = _query(
        home, "select count(*) from marts.fct_finding where rule_id in ('finding.case_open_too_long', "
              "'finding.seizure_overdue') and finding_source = 'recomputed' and finding_date < date '2025-02-01'")
    assert f"共 {open_cases:,} 件，请所属地市督促办结" in text
    (drawn,), = _query(home, "select count(*) from marts.mart_review_sample where draw_month = ?", [month])
    assert drawn > 0 and f"分层随机抽取案卷 {drawn:,} 件" in text
    quality = _query(home, "select sum(received_count), sum(accepted_count) from marts.mart_unit_data_quality "
                           "where month_start = date '2025-01-01'")[0]
    if quality[0]:
        assert f"数据精准率 {quality[1] / quality[0] * 100:.1f}%" in text
    else:
        assert "本月没有接收批次的记录" in text


def test_data_quality_by_city_and_province_are_the_marts_and_sum_the_units(report, tmp_path):
    home, _, _ = report
    # The simulated province's batches are all taken in on its last cycle day (February): that month's 通报.
    page = write_monthly_html(home.published, "2025-02", tmp_path).read_text(encoding="utf-8")
    units = _query(home, "select sum(received_count), sum(accepted_count), sum(accepted_version_count), "
                         "sum(on_time_version_count) from marts.mart_unit_data_quality "
                         "where month_start = date '2025-02-01'")[0]
    province = _query(home, "select received_count, accepted_count, accepted_version_count, on_time_version_count, "
                            "accuracy_rate, timeliness_rate from marts.mart_data_quality_province "
                            "where month_start = date '2025-02-01'")
    assert units[0], "the small province received batches in February"
    assert province[0][:4] == units
    assert province[0][4] == units[1] / units[0] and province[0][5] == units[3] / units[2]
    text = _text(page)
    assert f"数据精准率 {province[0][4] * 100:.1f}%" in text and f"报送及时率 {province[0][5] * 100:.1f}%" in text
    cities = _query(home, "select coalesce(r.division_name, '省直'), q.received_count, q.accepted_count, "
                          "q.accuracy_rate from marts.mart_data_quality_by_city q "
                          "left join marts.dim_region r on r.division_code = q.city_code "
                          "where q.month_start = date '2025-02-01'")
    assert sum(c[1] for c in cities) == units[0]
    table = page[page.index('id="quality-by-city"'):]
    table = table[:table.index("</table>")]
    for name, received, _accepted, rate in cities:
        row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", table).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert cells[1] == f"{received:,}" and cells[4] == f"{rate * 100:.1f}%"


def test_zero_enforcement_is_the_last_complete_year_named_in_the_text(report):
    home, paths, _ = report
    page = paths[0].read_text(encoding="utf-8")
    text = _text(page)
    (complete,), = _query(home, "select max(report_year) from marts.mart_indicators_province_yearly "
                                "where is_year_complete and report_year <= 2025")
    # The province's data run to 2025-02-09: 2025 is in progress and never listed; the 通报 of 2025-01
    # shows the last whole year the warehouse holds.
    (in_progress,), = _query(home, "select count(*) from marts.mart_zero_enforcement where report_year = 2025")
    assert in_progress == 0
    assert complete == 2024
    (zero,), = _query(
        home, "select count(distinct entity_id) from marts.mart_zero_enforcement where report_year = ?", [complete])
    assert f"{complete}年全年，持有某类执法事项但未报送该类执法记录的执法主体共 {zero:,} 个" in text
    assert f"{complete}年（最近一个完整年度）零执法的执法主体 {zero:,} 个" in text
    table = page[page.index('id="zero-by-city"'):]
    shown = [int(n.replace(",", "")) for n in
             re.findall(r"<tr><td>[^<]*</td><td class=\"num\">([\d,]+)</td>", table[:table.index("</table>")])]
    assert sum(shown) == zero


def test_provisional_findings_are_counted_apart_and_never_shown_as_firm(report):
    home, paths, _ = report
    page = paths[0].read_text(encoding="utf-8")
    text = _text(page)
    (total, provisional), = _query(
        home, "select count(*), count(*) filter (where is_provisional) from marts.fct_finding "
              "where finding_month = date '2025-01-01'")
    assert f"本月记录监督发现 {total:,} 条" in text
    if provisional:
        assert f"其中暂定 {provisional:,} 条" in text
    else:
        assert "其中暂定" not in text.split("五、监督发现")[1].split("按规则类型")[0]
    kinds = page[page.index('id="findings-by-kind"'):]
    kinds = kinds[:kinds.index("</table>")]
    shown = sum(int(n.replace(",", "")) for n in re.findall(r"<tr><td>[^<]*</td><td class=\"num\">[\d,]+</td>"
                                                            r"<td class=\"num[^\"]*\">([\d,]+)</td>", kinds))
    assert shown == provisional


def test_a_bad_month_is_refused_in_chinese(published, tmp_path):
    with pytest.raises(ValueError, match="月份格式应为 YYYY-MM"):
        write_monthly_html(published.published, "2025-13", tmp_path)


@pytest.mark.parametrize(
    ("month", "years", "expected"),
    [
        ("2026-06", {2024: True, 2025: True, 2026: False}, (2025, True)),
        # rebuilt after 2025 ended, the 通报 of June 2025 still names 2024
        ("2025-06", {2024: True, 2025: True, 2026: False}, (2024, True)),
        ("2025-12", {2024: True, 2025: True}, (2025, True)),
        # December's 通报 built before the year is over: 2025 is in progress, never shown
        ("2025-12", {2024: True, 2025: False}, (2024, True)),
        ("2025-03", {2025: False}, (2024, False)),
    ],
)
def test_the_zero_enforcement_year_is_the_last_complete_one_by_the_reported_month(month, years, expected):
    from zfjd.reports.monthly import last_complete_year, parse_month

    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.mart_indicators_province_yearly "
                    "(report_year integer, is_year_complete boolean)")
        con.executemany("insert into marts.mart_indicators_province_yearly values (?, ?)", list(years.items()))
        assert last_complete_year(con, parse_month(month)) == expected
