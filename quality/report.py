"""What a unit reads after validation: the JSON contract, and an XLSX/HTML report in Chinese.

The JSON is read by other tools: {"entity", "unit", "received", "accepted", "rejected", "errors":
[{"row", "field", "rule", "message", "value", "hint"}], "findings": [{"row", "rule", "message",
"basis", "field", "provisional"}]} plus context keys (source, format, encoding, as_of, notes,
skipped_rules). `provisional` is true when the finding's answer depends on a year whose holidays are
not announced yet (standard.md §4): it is shown as 暂定 and never as a firm result. The lists hold at
most MAX_LISTED records each; `errors_total`, `findings_total`, `error_summary` and `finding_summary`
([rule, message, count]) count them all. Values are echoed cut to ECHO_CHARS.

The records are built as columns: a rule's message and hint are rendered once per distinct (rule,
field) pair and joined on, not once per record. The JSON is written as it is encoded, one record per
line. The XLSX continues a list past Excel's EXCEL_MAX_ROWS on further sheets and says so; the HTML
shows a summary per rule, then each rule's first HTML_ROWS_PER_RULE records and points to the XLSX
and JSON for the rest.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import polars as pl

from quality.engine import ValidationResult
from standards.messages import field_label, rule_heading, rule_hint, rule_message
from standards.model import Standard

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HTML_ROWS_PER_RULE = 500
# A value is echoed back so the unit can find it, not to return what it sent: a 2 MB cell would
# otherwise make every report megabytes long.
ECHO_CHARS = 200
TRUNCATED = "…（已截断）"
# Errors (and findings) listed one by one: a file of a million empty rows has millions of errors, and
# listing them all took minutes and gigabytes; past this the reports give counts per rule.
MAX_LISTED = 20_000
# Rows in one Excel worksheet (the header included): longer lists continue on further sheets.
EXCEL_MAX_ROWS = 1_048_576


def echoed(value: str | None) -> str | None:
    """`value` as a report shows it: at most ECHO_CHARS characters, saying so when cut."""
    if value is None or len(value) <= ECHO_CHARS:
        return value
    return value[:ECHO_CHARS] + TRUNCATED


def _echoed(column: str) -> pl.Expr:
    """`echoed` over a column (len_chars and slice count code points, as Python's len and slicing do)."""
    value = pl.col(column)
    cut = value.str.slice(0, ECHO_CHARS) + pl.lit(TRUNCATED)
    return pl.when(value.str.len_chars() > ECHO_CHARS).then(cut).otherwise(value).alias(column)


PROVISIONAL_LABEL = "暂定"


def _texts(frame: pl.DataFrame, standard: Standard, entity_code: str, columns: dict) -> pl.DataFrame:
    """The texts of each distinct (rule, field) pair of `frame`, one Python call per pair (a few dozen),
    not per record: `columns` maps an output column to a function of (rule, entity, field)."""
    entity = standard.entity(entity_code)
    pairs = frame.select("rule", "field").unique().rows()
    data = {"rule": [rule for rule, _ in pairs], "field": [code for _, code in pairs]}
    for name, text_of in columns.items():
        data[name] = [text_of(standard.rules[rule], entity, code) for rule, code in pairs]
    return pl.DataFrame(data, schema={"rule": pl.String, "field": pl.String, **dict.fromkeys(columns, pl.String)})


def _with_texts(frame: pl.DataFrame, texts: pl.DataFrame) -> pl.DataFrame:
    # A malformed line has no field: its (rule, null) pair must still find its texts.
    return frame.join(texts, on=["rule", "field"], how="left", nulls_equal=True, maintain_order="left")


def error_frame(result: ValidationResult, standard: Standard, limit: int | None = None) -> pl.DataFrame:
    """The listed errors as columns: row, field, rule, message, value (echoed), hint."""
    errors = result.errors if limit is None else result.errors.head(limit)
    texts = _texts(errors, standard, result.entity, {"message": rule_message, "hint": rule_hint})
    return _with_texts(errors, texts).select("row", "field", "rule", "message", _echoed("value"), "hint")


def finding_frame(result: ValidationResult, standard: Standard, limit: int | None = None) -> pl.DataFrame:
    """The listed findings as columns: row, rule, message, basis, field, provisional."""
    findings = result.findings.select("row", "field", "rule", "provisional")
    findings = findings if limit is None else findings.head(limit)
    texts = _texts(
        findings,
        standard,
        result.entity,
        {"message": rule_message, "basis": lambda rule, _entity, _code: rule.basis},
    )
    joined = _with_texts(findings, texts).with_columns(pl.col("provisional").fill_null(False))
    return joined.select("row", "rule", "message", "basis", "field", "provisional")


def error_records(result: ValidationResult, standard: Standard, limit: int | None = None) -> list[dict]:
    return error_frame(result, standard, limit).to_dicts()


def finding_records(result: ValidationResult, standard: Standard, limit: int | None = None) -> list[dict]:
    return finding_frame(result, standard, limit).to_dicts()


def to_json_document(result: ValidationResult, standard: Standard, as_of: dt.date) -> dict:
    """The JSON contract. `errors` and `findings` list the first MAX_LISTED of each (in row order);
    `errors_total`/`findings_total` and the per-rule `error_summary`/`finding_summary` count them all."""
    errors = error_frame(result, standard, MAX_LISTED)
    findings = finding_frame(result, standard, MAX_LISTED)
    return {
        "entity": result.entity,
        "unit": result.unit,
        "received": result.received,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "errors": errors.to_dicts(),
        "findings": findings.to_dicts(),
        "errors_total": result.errors.height,
        "findings_total": result.findings.height,
        "error_summary": _summary(result.errors, errors, standard),
        "finding_summary": _summary(result.findings, findings, standard),
        "source": echoed(Path(result.source).name),
        "format": result.file_format,
        "encoding": result.encoding,
        "as_of": as_of.isoformat(),
        "notes": result.notes,
        "skipped_rules": result.skipped_rules,
    }


def _summary(frame: pl.DataFrame, listed: pl.DataFrame, standard: Standard) -> list[list]:
    """[rule, message, count] over every error (or finding), most frequent first; the message of a
    rule's first listed record, or the rule's own when none of its records made the list."""
    first = dict(listed.unique("rule", keep="first", maintain_order=True).select("rule", "message").rows())
    counts = frame["rule"].value_counts().rows() if frame.height else []
    summary = [
        [rule, first.get(rule) or standard.rules[rule].message.replace("{field}", "字段"), count]
        for rule, count in counts
    ]
    return sorted(summary, key=lambda item: (-item[2], item[0]))


def summary_of(document: dict, kind: str) -> list[tuple[str, str, int]]:
    """The per-rule summary of a document's "errors" or "findings" (counted over all of them)."""
    key = "error_summary" if kind == "errors" else "finding_summary"
    if key in document:
        return [tuple(item) for item in document[key]]
    return rule_summary(document[kind])


def write_json(document: dict, path: Path) -> None:
    with _replaced_atomically(path) as temporary:
        _write_json(document, temporary)


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # no indent: the C encoder (indent= takes pure Python)


def _write_json(document: dict, path: Path) -> None:
    """The document written as it is encoded, one key per line and one listed record per line (the
    lists hold up to MAX_LISTED each): readable, and never one string of the whole document."""
    with Path(path).open("w", encoding="utf-8") as out:
        out.write("{")
        for index, (key, value) in enumerate(document.items()):
            out.write(("," if index else "") + "\n " + _ENCODE(key) + ": ")
            if isinstance(value, list) and value:
                out.write("[")
                for position, item in enumerate(value):
                    out.write(("," if position else "") + "\n  " + _ENCODE(item))
                out.write("\n ]")
            else:
                out.write(_ENCODE(value))
        out.write("\n}\n")


class _replaced_atomically:
    """A temporary file beside `path`, renamed onto it only when the writing succeeded: a failure (or a
    kill) leaves the previous file or none, never half of one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> Path:
        handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        os.close(handle)
        self.temporary = Path(name)
        return self.temporary

    def __exit__(self, kind, *_rest) -> None:
        if kind is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)


def write_reports(document: dict, standard: Standard, outputs: dict[str, Path]) -> None:
    """Writes the reports named in `outputs` ("json" | "xlsx" | "html" → path) all or nothing: each to
    its temporary name first, and only when every one is written are they renamed into place (a
    failure in the third leaves none of them)."""
    writers: dict[str, Callable[[Path], None]] = {
        "json": lambda path: _write_json(document, path),
        "xlsx": lambda path: _write_xlsx(document, standard, path),
        "html": lambda path: _write_html(document, standard, path),
    }
    with ExitStack() as stack:
        temporaries = {}
        for kind, path in outputs.items():
            temporary = stack.enter_context(_pending(Path(path)))
            writers[kind](temporary)
            temporaries[temporary] = Path(path)
        for temporary, path in temporaries.items():
            os.replace(temporary, path)


class _pending(_replaced_atomically):
    """Like _replaced_atomically, but the caller renames; an unrenamed temporary is removed."""

    def __exit__(self, *_exc_info) -> None:
        self.temporary.unlink(missing_ok=True)


def rule_summary(records: list[dict], key: str = "rule") -> list[tuple[str, str, int]]:
    counts: dict[str, tuple[str, int]] = {}
    for record in records:
        message, count = counts.get(record[key], (record["message"], 0))
        counts[record[key]] = (message, count + 1)
    return sorted(((rule, msg, n) for rule, (msg, n) in counts.items()), key=lambda item: (-item[2], item[0]))


def is_formula_shaped(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


class TextCells:
    """Writes every value as a text cell; formula-shaped ones also get Excel's quote prefix (the style a
    typed leading apostrophe gives), so the value shows exactly as sent and is not evaluated even when
    someone edits the cell."""

    def __init__(self, workbook) -> None:
        self.workbook = workbook
        self._formats: dict[tuple, object] = {}

    def _format(self, base: dict | None, quoted: bool):
        key = (tuple(sorted((base or {}).items())), quoted)
        if key not in self._formats:
            properties = dict(base or {})
            if quoted:
                properties["quote_prefix"] = True
            self._formats[key] = self.workbook.add_format(properties) if properties else None
        return self._formats[key]

    def text(self, sheet, row: int, column: int, value, style: dict | None = None) -> None:
        text = "" if value is None else str(value)
        sheet.write_string(row, column, text, self._format(style, is_formula_shaped(text)))


def write_xlsx(document: dict, standard: Standard, path: Path) -> None:
    with _replaced_atomically(path) as temporary:
        _write_xlsx(document, standard, temporary)


def _write_xlsx(document: dict, standard: Standard, path: Path) -> None:
    import xlsxwriter

    entity = standard.entity(document["entity"])
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    cells = TextCells(workbook)
    bold = {"bold": True, "bg_color": "#DDEBF7", "border": 1}
    wrap = {"text_wrap": True, "valign": "top"}
    title = {"bold": True, "font_size": 14}

    summary = workbook.add_worksheet("概况")
    summary.set_column(0, 0, 22)
    summary.set_column(1, 1, 70)
    cells.text(summary, 0, 0, f"{entity.name}数据校验报告", title)
    facts = [
        ("文件", document["source"]),
        ("数据类型", f"{entity.name}（{entity.code}）"),
        ("报送单位", document["unit"] or "未指定"),
        ("校验日期", document["as_of"]),
        ("收到记录数", str(document["received"])),
        ("通过记录数", str(document["accepted"])),
        ("拒收记录数", str(document["rejected"])),
        ("监督发现数", str(document.get("findings_total", len(document["findings"])))),
        ("其中暂定", str(sum(1 for f in document["findings"] if f.get("provisional")))),
    ]
    for offset, (name, value) in enumerate(facts, start=2):
        cells.text(summary, offset, 0, name, bold)
        cells.text(summary, offset, 1, value)
    row = len(facts) + 3
    notes = list(document["notes"])
    if document.get("errors_total", 0) > len(document["errors"]):
        listed = len(document["errors"])
        notes.append(f"问题共 {document['errors_total']} 条，拒收明细逐条列出前 {listed} 条，其余按规则计数")
    for title, kind in (("拒收明细", "errors"), ("监督发现", "findings")):
        sheets = -(-len(document[kind]) // (EXCEL_MAX_ROWS - 1))
        if sheets > 1:
            notes.append(
                f"{title}共 {len(document[kind])} 条，超过 Excel 单个工作表 {EXCEL_MAX_ROWS} 行的上限，"
                f"分为 {sheets} 个工作表：{title}、{title}（2）……依次续接"
            )
    for note in notes:
        cells.text(summary, row, 0, "说明", bold)
        cells.text(summary, row, 1, note, wrap)
        row += 1
    row += 1
    cells.text(summary, row, 0, "问题", bold)
    cells.text(summary, row, 1, "条数 · 说明", bold)
    for rule_id, message, count in summary_of(document, "errors"):
        row += 1
        cells.text(summary, row, 0, rule_id)
        cells.text(summary, row, 1, f"{count} 条 · {message}", wrap)

    _records_sheet(
        cells,
        "拒收明细",
        document["errors"],
        ["row", "field_label", "value", "message", "hint", "rule"],
        ["行号", "字段", "填报值", "问题", "修改建议", "规则"],
        bold,
        wrap,
        standard,
        document["entity"],
    )
    _records_sheet(
        cells,
        "监督发现",
        document["findings"],
        ["row", "field_label", "message", "basis", "provisional_label", "rule"],
        ["行号", "字段", "发现", "依据", PROVISIONAL_LABEL, "规则"],
        bold,
        wrap,
        standard,
        document["entity"],
    )
    workbook.close()


def _records_sheet(cells: TextCells, name, records, keys, headers, bold, wrap, standard, entity_code) -> list[str]:
    """The records, by rule then row, on as many sheets as Excel's row limit needs (`name`, `name（2）`,
    …); returns the sheets' names."""
    entity = standard.entity(entity_code)
    labels = {code: field_label(entity, code) for code in {record.get("field") for record in records}}
    ordered = sorted(records, key=lambda r: (r["rule"], r["row"]))
    per_sheet = EXCEL_MAX_ROWS - 1  # the first row is the header
    pieces = [ordered[start : start + per_sheet] for start in range(0, len(ordered), per_sheet)] or [[]]
    names = [name if number == 1 else f"{name}（{number}）" for number in range(1, len(pieces) + 1)]
    widths = {"row": 8, "field_label": 24, "value": 28, "message": 50, "hint": 40, "basis": 30, "rule": 30}
    for sheet_name, piece in zip(names, pieces, strict=True):
        sheet = cells.workbook.add_worksheet(sheet_name)
        for column, (key, header) in enumerate(zip(keys, headers, strict=True)):
            sheet.set_column(column, column, widths.get(key, 20))
            cells.text(sheet, 0, column, header, bold)
        sheet.freeze_panes(1, 0)
        for offset, record in enumerate(piece, start=1):
            values = dict(
                record,
                field_label=labels[record.get("field")],
                provisional_label=PROVISIONAL_LABEL if record.get("provisional") else "",
            )
            for column, key in enumerate(keys):
                if key == "row":
                    sheet.write_number(offset, column, values["row"])
                else:
                    cells.text(sheet, offset, column, values.get(key), wrap if key in ("message", "hint") else None)
        if piece:
            sheet.autofilter(0, 0, len(piece), len(keys) - 1)
    return names


@functools.cache
def _templates():
    """jinja2 loaded when an HTML report is asked for, not on every `zfjd validate` start."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("quality", "templates"), autoescape=select_autoescape(["html"]))


def write_html(document: dict, standard: Standard, path: Path) -> None:
    with _replaced_atomically(path) as temporary:
        _write_html(document, standard, temporary)


def _write_html(document: dict, standard: Standard, path: Path) -> None:
    """A summary per rule first, then each rule's first HTML_ROWS_PER_RULE records; the rest are
    counted and pointed to (the XLSX and JSON reports list them), so 100,000 errors stay readable."""
    entity = standard.entity(document["entity"])
    labels = {code: field_label(entity, code) for code in {record["field"] for record in document["errors"]}}
    errors_by_rule: dict[str, list[dict]] = {}
    for record in document["errors"]:
        shown = errors_by_rule.setdefault(record["rule"], [])
        if len(shown) < HTML_ROWS_PER_RULE:
            shown.append(dict(record, field_label=labels[record["field"]]))
    findings_by_rule: dict[str, list[dict]] = {}
    for record in document["findings"]:
        shown = findings_by_rule.setdefault(record["rule"], [])
        if len(shown) < HTML_ROWS_PER_RULE:
            shown.append(record)
    groups = []
    for rule_id, _message, count in summary_of(document, "errors"):
        rule = standard.rules[rule_id]
        rows = errors_by_rule.get(rule_id, [])
        heading, heading_hint = rule_heading(rule)
        groups.append(
            {
                "rule": rule,
                "heading": heading,
                "heading_hint": heading_hint,
                "count": count,
                "rows": rows,
                "hidden": max(0, count - len(rows)),
            }
        )
    finding_groups = []
    for rule_id, _message, count in summary_of(document, "findings"):
        rows = findings_by_rule.get(rule_id, [])
        finding_groups.append(
            {
                "rule": standard.rules[rule_id],
                "heading": rule_heading(standard.rules[rule_id])[0],
                "count": count,
                "rows": rows,
                "hidden": max(0, count - len(rows)),
            }
        )
    html = _templates().get_template("validation_report.html").render(
        doc=document,
        entity=entity,
        groups=groups,
        finding_groups=finding_groups,
        rows_per_rule=HTML_ROWS_PER_RULE,
    )
    Path(path).write_text(html, encoding="utf-8")
