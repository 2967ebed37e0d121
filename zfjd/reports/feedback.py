"""Per-unit feedback after each cycle (谁提供、谁负责): what each 报送单位 sent, what was sent back and why,
and what supervision will see in what was accepted.

Read from the published warehouse only: `ops.ops_batch` / `ops.ops_rejection` (this cycle's batches
are those validated as of the cycle's day), `marts.fct_finding` (findings on the unit's accepted
records) and `marts.mart_unit_data_quality` (数据精准率 this month against last). Personal fields'
values are already blank in `ops_rejection`. Files: `DIR/reports/feedback/<unit>/<YYYY-MM-DD>.xlsx`
and `.html`; the same warehouse and day give the same bytes, so re-running overwrites with identical
content. Values are shown exactly as sent: formula-shaped ones (`=1+1`, `+86…`, `@x`) are written as
quoted text in the XLSX (never evaluated) and escaped in the HTML.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from quality.report import TextCells
from standards.model import REFERENCE_UNIT  # the province's 三库 extract: not a unit to give feedback to
from zfjd.home import Home
from zfjd.reports import query_rows, template_environment
from zfjd.reports.monthly import PROVINCE_LEVEL, PROVISIONAL_NOTE, add_months, fmt_rate, month_label, short_kind

HTML_ROWS_PER_RULE = 500
ENTITY_NAMES = {  # the standard's names of what units report; others fall back to the standard, then the code
    "penalty_case": "行政处罚案件",
    "coercion_case": "行政强制",
    "inspection": "行政检查",
    "case_event": "案件环节",
    "review_result": "案卷评查结果",
}
CHANNEL_NAMES = {"api": "交换接口", "sql": "前置库", "file_drop": "文件报送", "platform_push": "平台推送",
                 "reference": "三库目录"}
FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # zip entry time: the workbook's bytes must not depend on today


def feedback_dir(home: Home) -> Path:
    return home.reports / "feedback"


@dataclass
class UnitFeedback:
    unit: str
    unit_name: str
    city_name: str
    as_of: dt.date
    batches: list[dict]
    rejections: list[dict]
    findings: list[dict]
    quality_month: dt.date
    quality: dict | None
    quality_previous: dict | None
    province_rejected: int = 0  # at a city instance: rows the province rejected after the city accepted them

    @property
    def received(self) -> int:
        return sum(b["received"] or 0 for b in self.batches)

    @property
    def accepted(self) -> int:
        return sum(b["accepted"] or 0 for b in self.batches)

    @property
    def rejected(self) -> int:
        return sum(b["rejected"] or 0 for b in self.batches)

    @property
    def provisional(self) -> int:
        return sum(1 for f in self.findings if f["is_provisional"])

    @property
    def unusable(self) -> list[dict]:
        return [b for b in self.batches if b["unusable_reason"]]

    def accuracy_text(self, row: dict | None) -> str:
        return fmt_rate(row["accuracy_rate"]) if row else "（该月无报送）"


def entity_name(code: str | None) -> str:
    if not code:
        return ""
    if code in ENTITY_NAMES:
        return ENTITY_NAMES[code]
    try:
        from standards.loader import standard

        return standard().entity(code).name
    except Exception:  # an entity the standard does not know: show its code rather than fail the report
        return code



def load_feedback(published_db: Path, as_of: dt.date) -> list[UnitFeedback]:
    """Every unit with a batch validated as of `as_of` (this cycle's batches), in unit order."""
    import duckdb

    if not Path(published_db).exists():
        raise FileNotFoundError(f"找不到已发布的主题库：{published_db}（请先完成发布）")
    with duckdb.connect(str(published_db), read_only=True) as con:
        batches = query_rows(
            con,
            "select batch_id, unit, entity, channel, received_at, received, accepted, rejected, findings, "
            "unusable_reason, source_name from ops.ops_batch "
            "where validated_as_of = ? and unit <> ? order by unit, received_at, entity, batch_id",
            [as_of, REFERENCE_UNIT],
        )
        if not batches:
            return []
        units = sorted({b["unit"] for b in batches})
        cities = dict(con.execute(
            "select division_code, division_name from marts.dim_region where division_level = 'city'"
        ).fetchall())
        names = {
            row[0]: (row[1], row[2])
            for row in con.execute(
                "select entity_id, entity_name, city_code from marts.dim_enforcement_entity where is_current"
            ).fetchall()
        }
        rejections = query_rows(
            con,
            "select r.batch_id, r.unit, r.entity, r.row_number, r.rule, r.field, r.field_name, r.message, r.hint, "
            "r.value, r.detail, b.source_name, b.channel "
            "from ops.ops_rejection r join ops.ops_batch b on b.batch_id = r.batch_id "
            "where b.validated_as_of = ? and b.unit <> ? "
            "order by r.unit, b.received_at, r.batch_id, r.row_number, r.rule, r.field nulls first, r.rejection_id",
            [as_of, REFERENCE_UNIT],
        )
        # Findings on the records of this cycle's batches, plus the standing alerts recomputed each day
        # (open too long, seizure overdue): what supervision sees of this unit today.
        findings = query_rows(
            con,
            "with records as ("
            "  select case_id as record_id, batch_id, case_number as record_number from marts.fct_penalty_case"
            "  union all select coercion_id, batch_id, coercion_number from marts.fct_coercion_case"
            "  union all select inspection_id, batch_id, inspection_number from marts.fct_inspection"
            ") "
            "select f.reporting_unit_id as unit, f.rule_id, coalesce(r.message, f.message) as message, "
            "coalesce(r.legal_basis, f.legal_basis) as legal_basis, f.record_kind, f.record_id, "
            "coalesce(rec.record_number, split_part(f.record_id, '|', 2)) as record_number, f.entity_id, "
            "f.field_code, fld.field_name, f.finding_date, f.finding_source, f.is_provisional, b.source_name "
            "from marts.fct_finding f "
            "left join reference.rule r on r.rule_id = f.rule_id "
            "left join records rec on rec.record_id = f.record_id "
            "left join ops.ops_batch b on b.batch_id = rec.batch_id "
            "left join reference.field fld on fld.entity = f.record_kind and fld.field_code = f.field_code "
            "where f.finding_date <= ? and (b.validated_as_of = ? or f.finding_source = 'recomputed') "
            "order by f.reporting_unit_id, f.rule_id, f.record_id, f.field_code nulls first, f.finding_id",
            [as_of, as_of],
        )
        quality = query_rows(
            con,
            "select reporting_unit_id, month_start, batch_count, received_count, accepted_count, rejected_count, "
            "accuracy_rate, timeliness_rate from marts.mart_unit_data_quality order by reporting_unit_id, month_start",
        )

    # Each unit's rows picked out in one pass over each list (a scan per unit grew with units × rows).
    batches_of, rejections_of, findings_of = _by_unit(batches), _by_unit(rejections), _by_unit(findings)
    quality_of = _by_unit(quality, "reporting_unit_id")
    result = []
    for unit in units:
        unit_batches = batches_of.get(unit, [])
        name, city = names.get(unit, (unit, None))
        # 数据精准率 is kept by the month of the cycle day that took the batches in (the mart's month).
        this_month = as_of.replace(day=1)
        by_month = {q["month_start"]: q for q in quality_of.get(unit, [])}
        result.append(UnitFeedback(
            unit=unit, unit_name=name or unit, city_name=cities.get(city, city) if city else PROVINCE_LEVEL,
            as_of=as_of, batches=unit_batches, rejections=rejections_of.get(unit, []),
            findings=findings_of.get(unit, []), quality_month=this_month,
            quality=by_month.get(this_month), quality_previous=by_month.get(add_months(this_month, -1)),
        ))
    return result


def _by_unit(rows: list[dict], key: str = "unit") -> dict[str, list[dict]]:
    """Rows by their unit, each unit's in the order given."""
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def with_province_rejections(feedbacks: list[UnitFeedback], rows: list[dict], as_of: dt.date) -> list[UnitFeedback]:
    """A city instance's feedback with the province's rejections of records it had accepted and sent up
    (zfjd/upward.py `province_rejections`: learnt this cycle, each on its originating unit, batch and
    row): added to the unit's 退回明细 and counted apart; a unit with only those gets a feedback too."""
    if not rows:
        return feedbacks
    by_unit = _by_unit(rows)
    result = []
    for feedback in feedbacks:
        extra = by_unit.pop(feedback.unit, [])
        feedback.rejections = [*feedback.rejections, *extra]
        feedback.province_rejected = len({(r["batch_id"], r["row_number"]) for r in extra})
        result.append(feedback)
    for unit, extra in sorted(by_unit.items()):
        result.append(UnitFeedback(
            unit=unit, unit_name=unit, city_name="", as_of=as_of, batches=[], rejections=extra, findings=[],
            quality_month=as_of.replace(day=1), quality=None, quality_previous=None,
            province_rejected=len({(r["batch_id"], r["row_number"]) for r in extra}),
        ))
    return sorted(result, key=lambda feedback: feedback.unit)


def write_unit_feedback(home: Home, as_of: dt.date, province_rows: list[dict] | None = None) -> list[Path]:
    """Writes each unit's feedback for the cycle of `as_of`; returns the files written (XLSX, HTML per unit).
    `province_rows`: at a city instance, the province's rejections learnt this cycle."""
    written = []
    for feedback in with_province_rejections(load_feedback(home.published, as_of), province_rows or [], as_of):
        folder = feedback_dir(home) / feedback.unit
        folder.mkdir(parents=True, exist_ok=True)
        xlsx = folder / f"{as_of.isoformat()}.xlsx"
        html = folder / f"{as_of.isoformat()}.html"
        _write_bytes(xlsx, workbook_bytes(feedback))
        _write_bytes(html, render_html(feedback).encode("utf-8"))
        written += [xlsx, html]
    return written


def _write_bytes(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


# ---------------------------------------------------------------------------------------------------
# Grouping shared by both formats


def rule_groups(records: list[dict], key: str = "rule") -> list[dict]:
    """Records grouped by rule, the most frequent first (ties by rule id)."""
    groups: dict[str, dict] = {}
    for record in records:
        # The message is the rule seed's (reference.rule); a rule the seed lacks is named, not worded here.
        message = record["message"] or f"{record[key]}（规则目录未收录此规则的说明）"
        group = groups.setdefault(record[key], {"rule": record[key], "message": message,
                                                "hint": record.get("hint"), "basis": record.get("legal_basis"),
                                                "rows": []})
        group["rows"].append(record)
    ordered = sorted(groups.values(), key=lambda g: (-len(g["rows"]), g["rule"]))
    for group in ordered:
        group["count"] = len(group["rows"])
        group["provisional"] = sum(1 for r in group["rows"] if r.get("is_provisional"))
        group["kind"] = short_kind(group["message"], group["rule"])
    return ordered


def summary_facts(feedback: UnitFeedback) -> list[tuple[str, str]]:
    quality_label = month_label(feedback.quality_month)
    previous_label = month_label(add_months(feedback.quality_month, -1))
    return [
        ("报送单位", feedback.unit_name),
        ("统一社会信用代码", feedback.unit),
        ("所属地市", feedback.city_name),
        ("校验日期", feedback.as_of.isoformat()),
        ("本次批次数", str(len(feedback.batches))),
        ("收到记录数", str(feedback.received)),
        ("通过记录数", str(feedback.accepted)),
        ("退回记录数", str(feedback.rejected)),
        *([("省级复核退回记录数", f"{feedback.province_rejected}（本市已通过、报送省级后被省级退回，见退回明细）")]
          if feedback.province_rejected else []),
        ("监督发现数", str(len(feedback.findings))),
        ("其中暂定", str(feedback.provisional) + (f"（{PROVISIONAL_NOTE}）" if feedback.provisional else "")),
        ("整批无法读取的批次", str(len(feedback.unusable))),
        (f"数据精准率（{quality_label}）", feedback.accuracy_text(feedback.quality)),
        (f"数据精准率（{previous_label}）", feedback.accuracy_text(feedback.quality_previous)),
    ]


# ---------------------------------------------------------------------------------------------------
# XLSX


HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1}
WRAP = {"text_wrap": True, "valign": "top"}
TITLE = {"bold": True, "font_size": 14}


def workbook_bytes(feedback: UnitFeedback) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    # No "now" in the file: fixed document dates, so the same feedback gives the same bytes.
    workbook.set_properties({"title": f"{feedback.unit_name}数据报送反馈", "created": dt.datetime(2000, 1, 1),
                             "author": "zfjd"})
    cells = TextCells(workbook)

    summary = workbook.add_worksheet("概况")
    summary.set_column(0, 0, 26)
    summary.set_column(1, 1, 70)
    cells.text(summary, 0, 0, f"{feedback.unit_name} 数据报送反馈（{feedback.as_of.isoformat()}）", TITLE)
    facts = summary_facts(feedback)
    for offset, (name, value) in enumerate(facts, start=2):
        cells.text(summary, offset, 0, name, HEADER)
        cells.text(summary, offset, 1, value)
    row = len(facts) + 3
    cells.text(summary, row, 0, "退回原因", HEADER)
    cells.text(summary, row, 1, "条数 · 说明", HEADER)
    for group in rule_groups(feedback.rejections):
        row += 1
        cells.text(summary, row, 0, group["rule"])
        cells.text(summary, row, 1, f"{group['count']} 条 · {group['message']}", WRAP)
    for batch in feedback.unusable:
        row += 1
        cells.text(summary, row, 0, "整批无法读取")
        cells.text(summary, row, 1, f"{batch['source_name'] or batch['batch_id']}：{batch['unusable_reason']}"
                   f"（{batch['received'] or 0} 条全部退回，请修正后重新报送整批）", WRAP)
    row += 2
    cells.text(summary, row, 0, "说明", HEADER)
    cells.text(summary, row, 1, "“退回明细”中的记录未入库，请按修改建议改正后重新报送；“监督发现”中的记录已入库，"
               "不需要重新报送，但将纳入执法监督。", WRAP)

    _table(cells, "批次", feedback.batches, [
        ("entity", "数据类别", 16, lambda b: entity_name(b["entity"])),
        ("channel", "报送渠道", 12, lambda b: CHANNEL_NAMES.get(b["channel"], b["channel"])),
        ("source_name", "来源", 40, None),
        ("received_at", "接收时间", 20, lambda b: b["received_at"].isoformat(sep=" ") if b["received_at"] else ""),
        ("received", "收到", 8, None),
        ("accepted", "通过", 8, None),
        ("rejected", "退回", 8, None),
        ("unusable_reason", "整批无法读取的原因", 40, None),
        ("batch_id", "批次号", 44, None),
    ])
    _table(cells, "退回明细", feedback.rejections, [
        ("row_number", "行号", 8, None),
        ("entity", "数据类别", 14, lambda r: entity_name(r["entity"])),
        ("source_name", "来源", 32, None),
        ("field_name", "字段", 18, lambda r: r["field_name"] or r["field"] or ""),
        ("value", "填报值", 28, None),
        ("message", "问题", 50, None),
        ("hint", "修改建议", 40, None),
        ("rule", "规则", 30, None),
        ("batch_id", "批次号", 44, None),
    ])
    _table(cells, "监督发现", feedback.findings, [
        ("record_kind", "数据类别", 14, lambda f: entity_name(f["record_kind"])),
        ("record_number", "编号", 30, None),
        ("field_name", "字段", 18, lambda f: f["field_name"] or f["field_code"] or ""),
        ("message", "发现", 50, None),
        ("is_provisional", "暂定", 40, lambda f: f"暂定：{PROVISIONAL_NOTE}" if f["is_provisional"] else ""),
        ("legal_basis", "依据", 30, None),
        ("finding_date", "发现日期", 12, lambda f: f["finding_date"].isoformat() if f["finding_date"] else ""),
        ("source_name", "来源", 32, None),
        ("rule_id", "规则", 30, None),
    ])
    workbook.close()
    return _normalise_zip(buffer.getvalue())


def _table(cells: TextCells, name: str, records: list[dict], columns: list[tuple]) -> None:
    sheet = cells.workbook.add_worksheet(name)
    for index, (_key, header, width, _get) in enumerate(columns):
        sheet.set_column(index, index, width)
        cells.text(sheet, 0, index, header, HEADER)
    sheet.freeze_panes(1, 0)
    for offset, record in enumerate(records, start=1):
        for index, (key, _header, _width, get) in enumerate(columns):
            value = get(record) if get else record.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(offset, index, value)
            else:
                cells.text(sheet, offset, index, value, WRAP if key in ("message", "hint") else None)
    if records:
        sheet.autofilter(0, 0, len(records), len(columns) - 1)


def _normalise_zip(data: bytes) -> bytes:
    """Rewrites the XLSX container with fixed entry times: xlsxwriter stamps the current time into the zip."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# HTML

_environment = template_environment()


def render_html(feedback: UnitFeedback) -> str:
    groups = rule_groups(feedback.rejections)
    finding_groups = rule_groups(feedback.findings, key="rule_id")
    for group in [*groups, *finding_groups]:
        group["hidden"] = max(0, group["count"] - HTML_ROWS_PER_RULE)
        group["rows"] = group["rows"][:HTML_ROWS_PER_RULE]
    return _environment.get_template("feedback.html").render(
        fb=feedback, facts=summary_facts(feedback), groups=groups, finding_groups=finding_groups,
        entity_name=entity_name, channel_names=CHANNEL_NAMES,
        quality_label=month_label(feedback.quality_month),
        previous_label=month_label(add_months(feedback.quality_month, -1)),
        provisional_note=PROVISIONAL_NOTE,
    )
