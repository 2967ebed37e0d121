"""The data dictionary (数据字典), generated from the standard so that it cannot drift from the code.

The standard is turned into one small document (headings, paragraphs, bullet lists, tables) that is then
rendered twice: as Markdown, committed at docs/data-dictionary.md, and as one self-contained HTML page.
Inline text marks codes with backticks; each renderer turns them into its own code spans and escapes the
rest, so nothing from the spec is ever taken as markup.

Regenerate with `python -m standards.dictionary docs/`.
"""

from __future__ import annotations

import html
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from standards.loader import standard as project_standard
from standards.model import LIST_SEPARATOR, CodeList, Division, Entity, Field, Rule, Standard

REGENERATE_COMMAND = "python -m standards.dictionary docs/"
MARKDOWN_NAME = "data-dictionary.md"
HTML_NAME = "data-dictionary.html"
DIVISIONS_FILE = "standards/spec/divisions.csv"
TITLE = "广东省行政执法监督数据标准 · 数据字典"

TYPE_NAMES = {
    "text": "文本",
    "uscc": "统一社会信用代码",
    "uscc_list": "统一社会信用代码列表",
    "ric": "居民身份证号",
    "division": "行政区划代码",
    "date": "日期",
    "datetime": "日期时间",
    "decimal": "数值（不小于0）",
    "integer": "正整数",
    "yn": "是否（Y/N）",
    "code": "代码",
    "code_set": "代码列表",
    "text_list": "文本列表",
}
PRESENCE_NAMES = {"R": "必填", "C": "条件必填", "O": "选填"}
SEVERITY_NAMES = {"reject": "拒收", "finding": "监督发现"}
RULE_KIND_NAMES = {
    "field": "字段校验",
    "row": "记录内校验",
    "reference": "三库比对",
    "scope": "报送范围",
    "batch": "文件内校验",
}
DIVISION_LEVEL_NAMES = {
    "province": "省",
    "city": "地级市",
    "county": "县（市、区）",
    "township": "乡镇（街道）",
}
PROJECT_DEFINED = "project-defined"


# --- the document -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Paragraph | Bullets | Table


def code(text: str) -> str:
    return f"`{text}`"


def plain_text(text: str) -> str:
    """Inline text without its code marks, for places that show plain text (e.g. Excel comments)."""
    return text.replace("`", "")


def field_ref(spec_field: Field) -> str:
    return f"{spec_field.name}（{code(spec_field.code)}）"


def rule_text(text: str) -> str:
    """A rule's message or hint as documentation: the field it names is not known yet."""
    return text.replace("{field}", "「字段」")


def field_notes(spec_field: Field, standard: Standard) -> list[str]:
    """What the 说明 column says about a field, one note per property the spec gives it."""
    notes = [spec_field.description] if spec_field.description else []
    if spec_field.max_length is not None:
        notes.append(f"最长{spec_field.max_length}字符")
    if spec_field.unit:
        notes.append(f"单位：{spec_field.unit}")
    if spec_field.codelist:
        codelist = standard.codelists[spec_field.codelist]
        notes.append(f"代码表：{codelist.name}（{code(codelist.id)}）")
    if spec_field.personal:
        notes.append("个人信息")
    if spec_field.not_future:
        notes.append("不得晚于当天")
    return notes


def rules_with_fields(standard: Standard, entity: Entity) -> Iterator[tuple[Rule, tuple[Field, ...]]]:
    """The rules that check `entity`, rejections first, each with the fields it looks at."""
    by_severity = sorted(standard.rules_for(entity.code), key=lambda rule: rule.severity != "reject")
    for rule in by_severity:
        if rule.kind == "field":
            fields = rule.targets(entity)
            if not fields:  # field rules are declared for every entity; most types occur in a few
                continue
        else:
            fields = tuple(entity.field(field_code) for field_code in rule.fields_in(entity))
        yield rule, fields


def fields_using(standard: Standard, codelist: CodeList) -> list[tuple[Entity, Field]]:
    return [
        (entity, spec_field)
        for entity in standard.entities.values()
        for spec_field in entity.fields
        if spec_field.codelist == codelist.id
    ]


def _origin(origin: str) -> str:
    if not origin:
        return "广东省行政执法监督数据标准"
    if origin == PROJECT_DEFINED:
        return "本项目定义（标准未作规定）"
    return origin


def _field_list(entity: Entity, codes: tuple[str, ...]) -> str:
    return " ＋ ".join(field_ref(entity.field(field_code)) for field_code in codes)


def _introduction(standard: Standard) -> Iterator[Block]:
    yield Heading(1, TITLE, "top")
    yield Paragraph(
        f"本文件由 {code('standards/spec/')} 中的标准定义自动生成，请勿手工修改；"
        f"标准修改后运行 {code(REGENERATE_COMMAND)} 重新生成。"
    )
    yield Heading(2, "阅读说明", "reading")
    yield Bullets(
        (
            "必填：每条记录都必须填写；条件必填：满足说明或校验规则所写条件时必须填写；选填：可以不填。",
            "报送文件的表头可以用字段中文名，也可以用字段代码。",
            "代码类字段可以填代码，也可以填名称，入库时统一存为代码。",
            f"列表类型的字段可填多个值，以英文分号「{LIST_SEPARATOR}」分隔。",
            "校验规则的处理方式：拒收——记录退回报送单位，修改后重新报送（谁提供、谁负责）；"
            "监督发现——记录照常入库，问题记入执法监督。",
            "规则提示中的「字段」在实际提示中显示为出错字段的 名称（代码）。",
        )
    )
    yield Heading(2, "数据类型一览", "entities")
    yield Table(
        ("数据类型", "代码", "类别", "主键", "字段数"),
        tuple(
            (
                entity.name,
                code(entity.code),
                "基础库" if entity.is_reference else "业务数据",
                _field_list(entity, entity.key),
                str(len(entity.fields)),
            )
            for entity in standard.entities.values()
        ),
    )


def _entity_facts(entity: Entity) -> tuple[str, ...]:
    presences = Counter(spec_field.presence for spec_field in entity.fields)
    counts = "，".join(f"{name}{presences[presence]}个" for presence, name in PRESENCE_NAMES.items())
    facts = [
        f"数据类型代码：{code(entity.code)}",
        "类别：基础库（供业务数据比对引用）" if entity.is_reference else "类别：业务数据",
        f"主键：{_field_list(entity, entity.key)}",
    ]
    facts += [f"唯一：{_field_list(entity, group)}" for group in entity.unique]
    if entity.updated_at:
        facts.append(f"增量依据：{field_ref(entity.field(entity.updated_at))}")
    facts.append(f"来源：{_origin(entity.origin)}")
    facts.append(f"字段：{len(entity.fields)}个（{counts}）")
    return tuple(facts)


def _entity_section(standard: Standard, entity: Entity) -> Iterator[Block]:
    yield Heading(2, f"{entity.name}（{code(entity.code)}）", f"entity-{entity.code}")
    yield Bullets(_entity_facts(entity))
    yield Heading(3, "字段", f"entity-{entity.code}-fields")
    yield Table(
        ("字段代码", "中文名", "类型", "必填", "说明"),
        tuple(
            (
                code(spec_field.code),
                spec_field.name,
                TYPE_NAMES[spec_field.type],
                PRESENCE_NAMES[spec_field.presence],
                "；".join(field_notes(spec_field, standard)),
            )
            for spec_field in entity.fields
        ),
    )
    yield Heading(3, "校验规则", f"entity-{entity.code}-rules")
    yield Table(
        ("规则编号", "处理", "类别", "涉及字段", "提示信息", "修改建议", "依据"),
        tuple(
            (
                code(rule.id),
                SEVERITY_NAMES[rule.severity],
                RULE_KIND_NAMES[rule.kind],
                "、".join(code(spec_field.code) for spec_field in fields) or "—",
                rule_text(rule.message),
                rule_text(rule.hint),
                rule.basis,
            )
            for rule, fields in rules_with_fields(standard, entity)
        ),
    )


def _codelist_notes(standard: Standard, codelist: CodeList) -> tuple[str, ...]:
    notes = []
    if codelist.ordered:
        notes.append("有序代码表：表中顺序有意义，统计和排序按此顺序。")
    if codelist.open_prefix:
        notes.append(f"开放代码表：表外的值写作「{codelist.open_prefix}」加具体名称。")
    if codelist.basis:
        notes.append(f"依据：{codelist.basis}")
    notes.append(f"来源：{_origin(codelist.origin)}")
    users = fields_using(standard, codelist)
    if users:
        notes.append("使用字段：" + "、".join(f"{entity.name}·{field_ref(f)}" for entity, f in users))
    return tuple(notes)


def _codelist_table(codelist: CodeList) -> Table:
    same = all(value.code == value.label for value in codelist.values)
    header = ("代码（即名称）",) if same else ("代码", "名称")
    rows = [(value.code,) if same else (value.code, value.label) for value in codelist.values]
    if any(value.group for value in codelist.values):
        header += ("分组",)
        rows = [(*row, value.group or "") for row, value in zip(rows, codelist.values, strict=True)]
    return Table(header, tuple(rows))


def _codelist_section(standard: Standard) -> Iterator[Block]:
    yield Heading(2, "代码表", "codelists")
    yield Paragraph("代码类字段可以填代码，也可以填名称，入库时统一存为代码。")
    for codelist in standard.codelists.values():
        yield Heading(3, f"{codelist.name}（{code(codelist.id)}）", f"codelist-{codelist.id}")
        yield Bullets(_codelist_notes(standard, codelist))
        yield _codelist_table(codelist)


def _city_of(division: Division, divisions: dict[str, Division]) -> Division | None:
    while division.level != "city":
        if division.parent_code is None:
            return None
        division = divisions[division.parent_code]
    return division


def _division_section(standard: Standard) -> Iterator[Block]:
    divisions = standard.divisions
    yield Heading(2, "行政区划", "divisions")
    yield Paragraph(f"行政区划代码字段只接受广东省的代码，共{len(divisions)}个；完整列表见 {code(DIVISIONS_FILE)}。")
    by_level = Counter(division.level for division in divisions.values())
    lengths: dict[str, set[int]] = {}
    for division in divisions.values():
        lengths.setdefault(division.level, set()).add(len(division.code))
    yield Table(
        ("级别", "代码位数", "数量"),
        tuple(
            (
                DIVISION_LEVEL_NAMES.get(level, level),
                "、".join(str(length) for length in sorted(lengths[level])),
                str(count),
            )
            for level, count in by_level.items()
        ),
    )
    yield Heading(3, "各地级市", "divisions-cities")
    below: Counter[tuple[str, str]] = Counter()
    for division in divisions.values():
        city = _city_of(division, divisions)
        if city is not None and city is not division:
            below[(city.code, division.level)] += 1
    cities = [division for division in divisions.values() if division.level == "city"]
    yield Table(
        ("代码", "名称", "下辖县级", "下辖乡镇（街道）"),
        tuple(
            (city.code, city.name, str(below[(city.code, "county")]), str(below[(city.code, "township")]))
            for city in cities
        ),
    )


def build_document(standard: Standard) -> list[Block]:
    blocks = [*_introduction(standard)]
    for entity in standard.entities.values():
        blocks += _entity_section(standard, entity)
    blocks += _codelist_section(standard)
    blocks += _division_section(standard)
    return blocks


# --- Markdown -----------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = "\\`*_[]<>|"


def _markdown_inline(text: str) -> str:
    parts = " ".join(text.split()).split("`")  # a table row must stay on one line
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"`{part}`")
        else:
            out.append("".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in part))
    return "".join(out)


def _markdown_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_markdown_inline(cell) for cell in cells) + " |"


def _markdown_block(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + _markdown_inline(block.text)
    if isinstance(block, Paragraph):
        return _markdown_inline(block.text)
    if isinstance(block, Bullets):
        return "\n".join("- " + _markdown_inline(item) for item in block.items)
    lines = [_markdown_row(block.header), "| " + " | ".join("---" for _ in block.header) + " |"]
    lines += (_markdown_row(row) for row in block.rows)
    return "\n".join(lines)


def render_markdown(standard: Standard) -> str:
    return "\n\n".join(_markdown_block(block) for block in build_document(standard)) + "\n"


# --- HTML ---------------------------------------------------------------------------------------------

_CSS = """
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 2rem auto;
       max-width: 72rem; padding: 0 1rem; line-height: 1.6; color: #222; }
h1 { border-bottom: 2px solid #1f4e79; padding-bottom: .3rem; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; text-align: left; }
th { background: #f0f4f8; }
tr:nth-child(even) td { background: #fafafa; }
code { font-family: Consolas, "Courier New", monospace; background: #f3f3f3; padding: 0 .2rem; }
nav.toc { background: #f7f9fb; border: 1px solid #dde3ea; padding: .5rem 1.5rem; }
nav.toc ul ul { columns: 3; font-size: .9rem; }
""".strip()


def _html_inline(text: str) -> str:
    parts = text.split("`")
    return "".join(
        f"<code>{html.escape(part)}</code>" if index % 2 else html.escape(part) for index, part in enumerate(parts)
    )


def _html_table(table: Table) -> str:
    header = "".join(f"<th>{_html_inline(cell)}</th>" for cell in table.header)
    rows = "\n".join("<tr>" + "".join(f"<td>{_html_inline(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
    return f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        anchor = html.escape(block.anchor)
        return f'<h{block.level} id="{anchor}">{_html_inline(block.text)}</h{block.level}>'
    if isinstance(block, Paragraph):
        return f"<p>{_html_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{_html_inline(item)}</li>" for item in block.items) + "\n</ul>"
    return _html_table(block)


def _html_toc(blocks: list[Block]) -> str:
    """Second-level headings, each with its third-level headings nested beneath."""
    entries: list[tuple[Heading, list[Heading]]] = []
    for block in blocks:
        if isinstance(block, Heading) and block.level == 2:
            entries.append((block, []))
        elif isinstance(block, Heading) and block.level == 3 and entries:
            entries[-1][1].append(block)

    def link(heading: Heading) -> str:
        return f'<a href="#{html.escape(heading.anchor)}">{_html_inline(heading.text)}</a>'

    items = []
    for heading, children in entries:
        nested = "".join(f"<li>{link(child)}</li>" for child in children)
        items.append(f"<li>{link(heading)}" + (f"<ul>{nested}</ul>" if nested else "") + "</li>")
    return '<nav class="toc">\n<h2>目录</h2>\n<ul>\n' + "\n".join(items) + "\n</ul>\n</nav>"


def render_html(standard: Standard) -> str:
    blocks = build_document(standard)
    body = [_html_block(block) for block in blocks]
    first_section = next(index for index, block in enumerate(blocks) if isinstance(block, Heading) and block.level == 2)
    body.insert(first_section, _html_toc(blocks))  # the contents go after the title and its lead
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(TITLE)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_dictionary(out_dir: Path | str, standard: Standard | None = None) -> list[Path]:
    standard = standard or project_standard()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / MARKDOWN_NAME
    page = out_dir / HTML_NAME
    markdown.write_text(render_markdown(standard), encoding="utf-8", newline="\n")
    page.write_text(render_html(standard), encoding="utf-8", newline="\n")
    return [markdown, page]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {REGENERATE_COMMAND.replace('docs/', '<folder>')}")
    for path in write_dictionary(sys.argv[1]):
        print(path)
