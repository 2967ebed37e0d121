"""The monthly 通报 (implementation plan task 29): one self-contained HTML file and its PDF, in Chinese.

Built from the published warehouse alone, opened read-only, so it can be rebuilt at any time from
the copy analysts read and never blocks the warehouse's writer. The same warehouse gives the same
HTML bytes: nothing depends on the clock, every query has a total order, and the charts are inline SVG
written reproducibly (charts.py). The HTML fetches nothing (no scripts, fonts or images from a
network), so it opens on an offline machine; the PDF is the HTML printed by headless Chromium.

Files: `通报-YYYY-MM.html` and `通报-YYYY-MM.pdf` in the output folder (by default
`DIR/reports/monthly/YYYY-MM/`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from zfjd.reports import charts, query_rows, template_environment
from zfjd.reports.browser import print_pdf

OPEN_TOO_LONG_RULES = ("finding.case_open_too_long", "finding.seizure_overdue")
PROVINCE_LEVEL = "省直"  # bodies without a city: the province's own departments
LIST_LIMIT = 200  # rows of a long list shown in the 通报; the rest are in the warehouse (the note says where)
ZERO_LIST_LIMIT = 100  # 零执法 lists run long early in a year; the table by city carries the full count
QUALITY_LIST_LIMIT = 30
# Why a finding is 暂定 (shown beside every provisional figure, in the 通报 and in each unit's feedback).
PROVISIONAL_NOTE = (
    "期限经过国务院尚未公布放假安排的年份，按法定节假日推算、调休未知，公布后将重新计算，暂不作为确定结论"
)
MONTH_SHAPE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def html_name(month: str) -> str:
    return f"通报-{month}.html"


def pdf_name(month: str) -> str:
    return f"通报-{month}.pdf"


def write_monthly_report(published_db: Path, month: str, out_dir: Path) -> list[Path]:
    """Writes the month's 通报 (HTML, then PDF) into out_dir; returns both paths.

    The HTML is written first: when Chromium is missing, `ChromiumMissing` (a RuntimeError with a
    Chinese message) is raised and the HTML stays."""
    html_path = write_monthly_html(published_db, month, out_dir)
    pdf_path = Path(out_dir) / pdf_name(month)
    print_pdf(html_path, pdf_path)
    return [html_path, pdf_path]


def write_monthly_html(published_db: Path, month: str, out_dir: Path) -> Path:
    data = load_month(Path(published_db), month)
    html = render(data)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / html_name(month)
    _write_if_changed(path, html)
    return path


def _write_if_changed(path: Path, text: str) -> None:
    # Same content → the file is left alone (its mtime too), so a re-run changes nothing.
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


# ---------------------------------------------------------------------------------------------------
# Months


def parse_month(month: str) -> dt.date:
    match = MONTH_SHAPE.match(month or "")
    if not match:
        raise ValueError(f"月份格式应为 YYYY-MM（例如 2025-01），收到的是：{month!r}")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月"


# ---------------------------------------------------------------------------------------------------
# Data: every number of the 通报, read from the published warehouse

INDICATOR_COLUMNS = (
    "entity_count", "penalty_case_count", "summary_procedure_count", "ordinary_procedure_count",
    "forfeiture_amount_wan", "filed_case_count", "closed_case_count", "coercion_measure_count",
    "coercion_execution_count", "inspection_count", "judicial_transfer_count", "officer_count",
    "certified_officer_count", "legal_review_required_count", "legal_review_done_count", "overdue_case_count",
    "publicity_due_count", "publicity_on_time_count", "finding_count", "certification_rate", "legal_review_rate",
    "overdue_rate", "publicity_timeliness_rate", "reconsideration_correction_rate", "review_pass_rate",
)


@dataclass
class MonthData:
    month: str
    month_start: dt.date
    data_as_of: str | None
    fingerprint: str | None
    province: dict | None
    previous: dict | None
    cities: list[dict]
    trend_months: list[dt.date]
    trend: dict[dt.date, dict]
    zero_year: int
    zero_year_complete: bool
    zero_by_city: list[dict]
    zero_bodies: list[dict]
    zero_total: int
    findings_by_kind: list[dict]
    findings_by_city: list[dict]
    finding_kinds: list[str]
    findings_total: int
    findings_provisional: int
    open_cases: list[dict]
    open_total: int
    open_provisional: int
    quality_total: dict
    quality_previous: dict
    quality_by_city: list[dict]
    quality_units: list[dict]
    quality_unit_count: int
    sample: list[dict]
    sample_total: int
    sample_strata: list[dict]
    sample_seed: int | None
    notes: list[str] = field(default_factory=list)



def _one(con, sql: str, params: list | None = None) -> dict | None:
    rows = query_rows(con, sql, params)
    return rows[0] if rows else None


def _has_table(con, schema: str, name: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchone()
    return bool(row and row[0])


def short_kind(message: str | None, rule_id: str) -> str:
    """A finding's name: the part of its message before the colon (超期办案, 无证执法 …)."""
    if not message:
        return rule_id
    return re.split(r"[：:]", message, maxsplit=1)[0]


def load_month(published_db: Path, month: str) -> MonthData:
    """Every figure of the month's 通报, each read from the mart that holds it (nothing is recomputed here
    but sums over rows of one mart, for the layout: by kind, by city)."""
    import duckdb

    month_start = parse_month(month)
    if not published_db.exists():
        raise FileNotFoundError(f"找不到已发布的主题库：{published_db}（请先运行 zfjd run 完成发布）")
    with duckdb.connect(str(published_db), read_only=True) as con:
        cities = _cities(con)
        sections = {
            **_indicators(con, month_start, cities),
            **_zero_enforcement(con, month_start, cities),
            **_findings(con, month_start, cities),
            **_open_cases(con, month_start, cities),
            **_data_quality(con, month_start, cities),
            **_review_sample(con, month, cities),
            **_publication(con),
        }
    return MonthData(month=month, month_start=month_start, **sections)


class _Cities(dict):
    """City code → name, in code order; a body without a city is the province's own (省直)."""

    def name(self, code: str | None) -> str:
        return self.get(code, code) if code else PROVINCE_LEVEL

    def name_rows(self, rows: list[dict]) -> list[dict]:
        """Adds each row's city_name (from its city_code), in place."""
        for row in rows:
            row["city_name"] = self.name(row["city_code"])
        return rows


def _cities(con) -> _Cities:
    return _Cities(
        (row["division_code"], row["division_name"])
        for row in query_rows(
            con,
            "select division_code, division_name from marts.dim_region where division_level = 'city' "
            "order by division_code",
        )
    )


def _indicators(con, month_start: dt.date, cities: _Cities) -> dict:
    """一、二、三: the province and its cities this month (mart_indicators_*), and the last 12 months."""
    columns = ", ".join(INDICATOR_COLUMNS)
    province_sql = f"select {columns} from marts.mart_indicators_province where month_start = ?"
    province = _one(con, province_sql, [month_start])
    previous = _one(con, province_sql, [add_months(month_start, -1)])
    city_rows = {
        row["city_code"]: row
        for row in query_rows(
            con, f"select city_code, {columns} from marts.mart_indicators_by_city where month_start = ?", [month_start]
        )
    }
    by_city = []
    for code, name in cities.items():
        row = dict(city_rows.get(code) or {c: None for c in INDICATOR_COLUMNS})
        for column in INDICATOR_COLUMNS:
            if column.endswith(("_count", "_wan")) and row.get(column) is None:
                row[column] = 0
        by_city.append({"city_code": code, "city_name": name, **row})
    # Ranking: most 处罚 first; ties by 罚没金额, then by the division code, so the order is total.
    by_city.sort(key=lambda r: (-r["penalty_case_count"], -(r["forfeiture_amount_wan"] or 0), r["city_code"]))
    for rank, row in enumerate(by_city, start=1):
        row["rank"] = rank

    trend_months = [add_months(month_start, offset) for offset in range(-11, 1)]
    trend = {
        row["month_start"]: row
        for row in query_rows(
            con,
            "select month_start, penalty_case_count, coercion_measure_count, coercion_execution_count, "
            "inspection_count, forfeiture_amount_wan, finding_count, certification_rate, legal_review_rate, "
            "overdue_rate, publicity_timeliness_rate from marts.mart_indicators_province "
            "where month_start between ? and ? order by month_start",
            [trend_months[0], month_start],
        )
    }
    return {"province": province, "previous": previous, "cities": by_city, "trend_months": trend_months,
            "trend": trend}


def last_complete_year(con, month_start: dt.date) -> tuple[int, bool]:
    """The last whole year that had ended by the end of the reported month, and whether the warehouse holds
    it complete.

    零执法 is judged by whole year only (standard.md §6): the mart never lists a year in progress. The
    year is fixed by the month, not by the build day, so a 通报 rebuilt later names the same year: the
    year before, or the month's own year for December (once the build day is past it)."""
    latest = month_start.year if month_start.month == 12 else month_start.year - 1
    row = con.execute(
        "select max(report_year) from marts.mart_indicators_province_yearly "
        "where is_year_complete and report_year <= ?",
        [latest],
    ).fetchone()
    if row and row[0] is not None:
        return int(row[0]), True
    return latest, False


def _zero_enforcement(con, month_start: dt.date, cities: _Cities) -> dict:
    """四: 零执法 of the last complete year (mart_zero_enforcement), by city and kind, and the bodies."""
    zero_year, complete = last_complete_year(con, month_start)
    zero = query_rows(
        con,
        "select city_code, matter_kind, count(distinct entity_id) as bodies from marts.mart_zero_enforcement "
        "where report_year = ? group by city_code, matter_kind order by city_code, matter_kind",
        [zero_year],
    )
    zero_any = {
        row["city_code"]: row["bodies"]
        for row in query_rows(
            con,
            "select city_code, count(distinct entity_id) as bodies from marts.mart_zero_enforcement "
            "where report_year = ? group by city_code",
            [zero_year],
        )
    }
    zero_by_city = []
    for code in [*cities, None]:
        counts = {r["matter_kind"]: r["bodies"] for r in zero if r["city_code"] == code}
        if code is None and not counts:
            continue
        zero_by_city.append({
            "city_code": code, "city_name": cities.name(code), "CF": counts.get("CF", 0),
            "QZ": counts.get("QZ", 0), "JC": counts.get("JC", 0), "any": zero_any.get(code, 0),
        })
    zero_bodies = query_rows(
        con,
        "select city_code, entity_id, entity_name, enforcement_domain, "
        "string_agg(coalesce(matter_kind_name, matter_kind), '、' order by matter_kind = 'JC', matter_kind) "
        "as kinds, sum(matters_held) as matters_held "
        "from marts.mart_zero_enforcement where report_year = ? "
        "group by city_code, entity_id, entity_name, enforcement_domain "
        "order by count(*) desc, city_code nulls first, entity_id limit ?",
        [zero_year, ZERO_LIST_LIMIT],
    )
    cities.name_rows(zero_bodies)
    return {"zero_year": zero_year, "zero_year_complete": complete, "zero_by_city": zero_by_city,
            "zero_bodies": zero_bodies, "zero_total": sum(zero_any.values())}


def _findings(con, month_start: dt.date, cities: _Cities) -> dict:
    """五: the month's findings (fct_finding) by kind and city; provisional ones (暂定) counted apart."""
    findings = query_rows(
        con,
        "select f.rule_id, any_value(coalesce(r.message, f.message)) as message, "
        "any_value(f.legal_basis) as legal_basis, f.city_code, count(*) as findings, "
        "count(*) filter (where f.is_provisional) as provisional "
        "from marts.fct_finding f left join reference.rule r on r.rule_id = f.rule_id "
        "where f.finding_month = ? group by f.rule_id, f.city_code order by f.rule_id, f.city_code",
        [month_start],
    )
    kinds: dict[str, dict] = {}
    for row in findings:
        kind = kinds.setdefault(row["rule_id"], {
            "rule_id": row["rule_id"], "kind": short_kind(row["message"], row["rule_id"]),
            "message": row["message"], "legal_basis": row["legal_basis"], "findings": 0, "provisional": 0,
        })
        kind["findings"] += row["findings"]
        kind["provisional"] += row["provisional"]
    findings_by_kind = sorted(kinds.values(), key=lambda r: (-r["findings"], r["rule_id"]))
    finding_kinds = [k["rule_id"] for k in findings_by_kind]
    findings_by_city = []
    for code in [*cities, None]:
        counts = {r["rule_id"]: r["findings"] for r in findings if r["city_code"] == code}
        if code is None and not counts:
            continue
        findings_by_city.append({
            "city_code": code, "city_name": cities.name(code), "counts": [counts.get(k, 0) for k in finding_kinds],
            "total": sum(counts.values()),
            "provisional": sum(r["provisional"] for r in findings if r["city_code"] == code),
        })
    findings_by_city.sort(key=lambda r: (-r["total"], r["city_code"] or ""))
    return {"findings_by_kind": findings_by_kind, "findings_by_city": findings_by_city,
            "finding_kinds": finding_kinds, "findings_total": sum(k["findings"] for k in findings_by_kind),
            "findings_provisional": sum(k["provisional"] for k in findings_by_kind)}


def _open_cases(con, month_start: dt.date, cities: _Cities) -> dict:
    """六: cases still open too long (and seizures overdue) as of the month's end, recomputed each build."""
    open_cases = query_rows(
        con,
        "select f.rule_id, f.record_kind, f.record_id, f.entity_id, f.city_code, f.finding_date, f.is_provisional, "
        "coalesce(e.entity_name, f.entity_id) as entity_name, coalesce(r.message, f.message) as message, "
        "coalesce(p.case_number, c.coercion_number, split_part(f.record_id, '|', 2)) as record_number, "
        "coalesce(p.filing_date, c.measure_start_date) as started_on, f.legal_basis "
        "from marts.fct_finding f "
        "left join reference.rule r on r.rule_id = f.rule_id "
        "left join marts.dim_enforcement_entity e on e.entity_id = f.entity_id and e.is_current "
        "left join marts.fct_penalty_case p on f.record_kind = 'penalty_case' and p.case_id = f.record_id "
        "left join marts.fct_coercion_case c on f.record_kind = 'coercion_case' and c.coercion_id = f.record_id "
        "where f.rule_id in (?, ?) and f.finding_source = 'recomputed' and f.finding_date < ? "
        "order by f.city_code nulls first, started_on nulls last, f.record_id, f.rule_id",
        [*OPEN_TOO_LONG_RULES, add_months(month_start, 1)],
    )
    for row in cities.name_rows(open_cases):
        row["kind"] = short_kind(row["message"], row["rule_id"])
        row["days_open"] = (row["finding_date"] - row["started_on"]).days if row["started_on"] else None
    return {"open_cases": open_cases[:LIST_LIMIT], "open_total": len(open_cases),
            "open_provisional": sum(1 for r in open_cases if r["is_provisional"])}


QUALITY_COUNTS = ("unit_count as units, batch_count as batches, received_count as received, "
                  "accepted_count as accepted, rejected_count as rejected, accuracy_rate as accuracy, "
                  "timeliness_rate as timeliness")
NO_QUALITY = {"units": 0, "batches": 0, "received": 0, "accepted": 0, "rejected": 0, "accuracy": None,
              "timeliness": None}


def _data_quality(con, month_start: dt.date, cities: _Cities) -> dict:
    """七: 数据精准率 and 报送及时率 of the province and each city (mart_data_quality_*), and the units lowest."""
    province_sql = f"select {QUALITY_COUNTS} from marts.mart_data_quality_province where month_start = ?"
    total = _one(con, province_sql, [month_start]) or dict(NO_QUALITY)
    previous = _one(con, province_sql, [add_months(month_start, -1)]) or dict(NO_QUALITY)
    by_city = query_rows(
        con, f"select city_code, {QUALITY_COUNTS} from marts.mart_data_quality_by_city where month_start = ?",
        [month_start],
    )
    cities.name_rows(by_city)
    by_city.sort(key=lambda r: (r["accuracy"] if r["accuracy"] is not None else -1, r["city_code"] or ""))
    units = query_rows(
        con,
        "select q.reporting_unit_id, coalesce(e.entity_name, q.reporting_unit_id) as unit_name, e.city_code, "
        "q.batch_count, q.received_count, q.accepted_count, q.rejected_count, q.accuracy_rate, "
        "q.accepted_version_count, q.on_time_version_count, q.timeliness_rate "
        "from marts.mart_unit_data_quality q "
        "left join marts.dim_enforcement_entity e on e.entity_id = q.reporting_unit_id and e.is_current "
        "where q.month_start = ? order by q.accuracy_rate nulls first, q.rejected_count desc, q.reporting_unit_id "
        "limit ?",
        [month_start, QUALITY_LIST_LIMIT],
    )
    cities.name_rows(units)
    return {"quality_total": total, "quality_previous": previous, "quality_by_city": by_city,
            "quality_units": units, "quality_unit_count": total["units"]}


def _review_sample(con, month: str, cities: _Cities) -> dict:
    """八: the month's 随机抽查 (mart_review_sample)."""
    sample_sql_from = (
        "from marts.mart_review_sample s "
        "left join marts.fct_penalty_case p on p.case_id = s.case_id "
        "left join marts.dim_enforcement_entity e on e.entity_id = s.entity_id and e.is_current "
        "where s.draw_month = ?"
    )
    sample_total = con.execute(f"select count(*) {sample_sql_from}", [month]).fetchone()[0]
    sample = query_rows(
        con,
        "select s.case_id, s.city_code, s.enforcement_domain, s.closing_date, s.draw_seed, "
        "coalesce(e.entity_name, s.entity_id) as entity_name, "
        "coalesce(p.case_number, split_part(s.case_id, '|', 2)) as case_number "
        f"{sample_sql_from} order by s.city_code nulls first, s.enforcement_domain, s.stratum_rank, s.case_id "
        "limit ?",
        [month, LIST_LIMIT],
    )
    sample_strata = query_rows(
        con,
        "select city_code, enforcement_domain, count(*) as drawn, max(stratum_size) as stratum_size "
        "from marts.mart_review_sample where draw_month = ? "
        "group by city_code, enforcement_domain order by city_code nulls first, enforcement_domain",
        [month],
    )
    cities.name_rows([*sample, *sample_strata])
    seed = con.execute("select min(draw_seed) from marts.mart_review_sample where draw_month = ?",
                       [month]).fetchone()[0]
    return {"sample": sample, "sample_total": sample_total, "sample_strata": sample_strata, "sample_seed": seed}


def _publication(con) -> dict:
    """The data's cut-off day and fingerprint, from the publish step's stamp (else the last validation)."""
    data_as_of, fingerprint = None, None
    if _has_table(con, "main", "zfjd_publication"):
        publication = _one(con, "select * from main.zfjd_publication")
        if publication:
            data_as_of = str(publication.get("as_of") or "") or None
            fingerprint = publication.get("fingerprint")
    if data_as_of is None and _has_table(con, "ops", "ops_batch"):
        latest = con.execute("select max(validated_as_of) from ops.ops_batch").fetchone()[0]
        data_as_of = latest.isoformat() if latest else None
    return {"data_as_of": data_as_of, "fingerprint": fingerprint}


# ---------------------------------------------------------------------------------------------------
# Presentation


def fmt_int(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def fmt_wan(value) -> str:
    return "—" if value is None else f"{float(value):,.2f}"


def fmt_rate(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def change(current, previous, *, rate: bool = False) -> str:
    """环比 in words: a count's relative change, or a rate's change in percentage points."""
    if current is None or previous is None:
        return "上月无可比数据"
    if rate:
        points = (float(current) - float(previous)) * 100
        if abs(points) < 0.05:
            return "与上月持平"
        return f"较上月{'上升' if points > 0 else '下降'} {abs(points):.1f} 个百分点"
    if not previous:
        return "上月为 0" if current else "与上月均为 0"
    ratio = (float(current) - float(previous)) / float(previous) * 100
    if abs(ratio) < 0.05:
        return "与上月持平"
    return f"环比{'增长' if ratio > 0 else '下降'} {abs(ratio):.1f}%"


def provisional_part(count: int, unit: str = "条") -> str:
    return f"（其中暂定 {fmt_int(count)} {unit}）" if count else ""


def summary_paragraphs(data: MonthData) -> list[str]:
    label = month_label(data.month_start)
    p, q = data.province, data.previous or {}
    if not p:
        return [f"主题库中没有{label}的执法数据（该月不在数据范围内，或尚未完成归集），本期通报仅列出可得部分。"]
    first = (
        f"{label}，全省 {fmt_int(p['entity_count'])} 个执法主体共作出行政处罚决定 {fmt_int(p['penalty_case_count'])} 件"
        f"（{change(p['penalty_case_count'], q.get('penalty_case_count'))}），其中简易程序 "
        f"{fmt_int(p['summary_procedure_count'])} 件、普通程序 {fmt_int(p['ordinary_procedure_count'])} 件，"
        f"罚没金额 {fmt_wan(p['forfeiture_amount_wan'])} 万元；"
        f"实施行政强制措施 {fmt_int(p['coercion_measure_count'])} 件、"
        f"行政强制执行 {fmt_int(p['coercion_execution_count'])} 件；开展行政检查 {fmt_int(p['inspection_count'])} 次"
        f"（{change(p['inspection_count'], q.get('inspection_count'))}）。"
    )
    second = (
        f"执法规范方面，持证率 {fmt_rate(p['certification_rate'])}，法制审核率 {fmt_rate(p['legal_review_rate'])}，"
        f"超期办案率 {fmt_rate(p['overdue_rate'])}（{change(p['overdue_rate'], q.get('overdue_rate'), rate=True)}），"
        f"公示及时率 {fmt_rate(p['publicity_timeliness_rate'])}。本月记录监督发现 {fmt_int(data.findings_total)} 条"
        f"{provisional_part(data.findings_provisional)}，"
        f"截至月末超期未结的案件 {fmt_int(data.open_total)} 件{provisional_part(data.open_provisional, '件')}。"
    )
    if data.cities and data.cities[0]["penalty_case_count"]:
        top = data.cities[0]
        second += f"处罚案件数居首的是{top['city_name']}（{fmt_int(top['penalty_case_count'])} 件）。"
    quality = data.quality_total
    if quality["units"]:
        third = (
            f"数据报送方面，{fmt_int(quality['units'])} 个报送单位本月报送记录 {fmt_int(quality['received'])} 条，"
            f"通过 {fmt_int(quality['accepted'])} 条、退回 {fmt_int(quality['rejected'])} 条，数据精准率 "
            f"{fmt_rate(quality['accuracy'])}（"
            f"{change(quality['accuracy'], data.quality_previous['accuracy'], rate=True)}）。"
        )
    else:
        third = "数据报送方面，本月没有接收批次的记录（数据精准率按收进批次的周期日所在月份统计）。"
    if data.zero_year_complete:
        third += f"{data.zero_year}年（最近一个完整年度）零执法的执法主体 {fmt_int(data.zero_total)} 个；"
    else:
        third += f"零执法按完整年度统计，主题库尚无{data.zero_year}年的全年数据；"
    third += f"本月随机抽取案卷 {fmt_int(data.sample_total)} 件待评查。"
    return [first, second, third]


def build_charts(data: MonthData) -> dict[str, str]:
    month_labels = [f"{d.year % 100:02d}/{d.month:02d}" for d in data.trend_months]

    def trend(column: str) -> list:
        return [data.trend[d][column] if d in data.trend else None for d in data.trend_months]

    ranked = data.cities
    kinds = data.findings_by_kind
    quality = data.quality_by_city
    strata_by_city: dict[str, int] = {}
    for row in data.sample_strata:
        strata_by_city[row["city_name"]] = strata_by_city.get(row["city_name"], 0) + row["drawn"]
    return {
        "ranking": charts.barh(
            "ranking", [c["city_name"] for c in ranked], [c["penalty_case_count"] for c in ranked],
            title=f"{month_label(data.month_start)}各地市行政处罚案件数", unit="件", highlight_top=3,
        ),
        "trend_cases": charts.lines(
            "trend-cases", month_labels,
            {"行政处罚": trend("penalty_case_count"), "强制措施": trend("coercion_measure_count"),
             "强制执行": trend("coercion_execution_count")},
            title="近12个月全省处罚、强制案件数", unit="件",
        ),
        "trend_inspections": charts.lines(
            "trend-inspections", month_labels, {"行政检查": trend("inspection_count"),
                                                "监督发现": trend("finding_count")},
            title="近12个月全省行政检查次数与监督发现条数", unit="次 / 条",
        ),
        "zero": charts.stacked_bars(
            "zero", [r["city_name"] for r in data.zero_by_city],
            {"处罚": [r["CF"] for r in data.zero_by_city], "强制": [r["QZ"] for r in data.zero_by_city],
             "检查": [r["JC"] for r in data.zero_by_city]},
            title=f"{data.zero_year}年（完整年度）各地市零执法主体数（按事项类别）", unit="个",
        ),
        "findings": charts.barh(
            "findings", [k["kind"] for k in kinds], [k["findings"] for k in kinds],
            title=f"{month_label(data.month_start)}监督发现（按类型）", unit="条",
        ),
        "quality": charts.barh(
            "quality", [r["city_name"] for r in quality], [round((r["accuracy"] or 0) * 100, 1) for r in quality],
            title="各地市报送单位数据精准率（由低到高）", unit="%", value_format="{:.1f}%",
        ),
        "sample": charts.barh(
            "sample", list(strata_by_city), list(strata_by_city.values()),
            title=f"{month_label(data.month_start)}随机抽查案卷数（按地市）", unit="件",
        ),
    }


_environment = template_environment()
_environment.filters.update(int=fmt_int, wan=fmt_wan, rate=fmt_rate)


def render(data: MonthData) -> str:
    return _environment.get_template("monthly.html").render(
        data=data,
        title=f"广东省行政执法监督月度通报（{month_label(data.month_start)}）",
        month_label=month_label(data.month_start),
        summary=summary_paragraphs(data),
        charts=build_charts(data),
        kind_names=[k["kind"] for k in data.findings_by_kind],
        list_limit=LIST_LIMIT,
        provisional_note=PROVISIONAL_NOTE,
        zero_list_limit=ZERO_LIST_LIMIT,
        quality_list_limit=QUALITY_LIST_LIMIT,
    )
