"""The data dictionary says everything the standard holds, safely, and the committed copy is current."""

import dataclasses
import re
from pathlib import Path

import pytest

from standards.dictionary import (
    HTML_NAME,
    MARKDOWN_NAME,
    REGENERATE_COMMAND,
    TYPE_NAMES,
    render_html,
    render_markdown,
    write_dictionary,
)
from standards.loader import standard
from standards.model import FIELD_TYPES

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / MARKDOWN_NAME


@pytest.fixture(scope="module")
def markdown() -> str:
    return render_markdown(standard())


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(standard())


def _entity_section(markdown: str, entity_code: str) -> str:
    start = markdown.index(f"（`{entity_code}`）\n")
    end = markdown.find("\n## ", start)
    return markdown[start:end]


def test_every_field_type_has_a_chinese_name():
    assert set(TYPE_NAMES) == FIELD_TYPES


def test_every_entity_lists_all_its_fields_in_order(markdown):
    for entity in standard().entities.values():
        assert f"## {entity.name}（`{entity.code}`）" in markdown
        section = _entity_section(markdown, entity.code)
        fields_table = section[section.index("### 字段") : section.index("### 校验规则")]
        listed = [line.split(" | ")[:2] for line in fields_table.splitlines() if line.startswith("| `")]
        assert listed == [[f"| `{f.code}`", f.name] for f in entity.fields], entity.code


def test_every_rule_appears_under_an_entity(markdown, page):
    for rule_id in standard().rules:
        assert f"`{rule_id}`" in markdown
        assert f"<code>{rule_id}</code>" in page


def test_field_placeholder_is_shown_as_a_word(markdown):
    assert "{field}" not in markdown
    assert "「字段」为必填项" in markdown


def test_every_code_list_and_label_appears(markdown):
    for codelist in standard().codelists.values():
        section = markdown[markdown.index(f"### {codelist.name}（`{codelist.id}`）") :]
        section = section[: section.find("\n## ")]
        for value in codelist.values:
            assert f"| {value.label} |" in section or f"| {value.code} | {value.label} |" in section


def test_divisions_are_summarised_not_listed(markdown):
    divisions = standard().divisions
    assert "standards/spec/divisions.csv" in markdown
    assert f"共{len(divisions)}个" in markdown
    assert len(markdown.splitlines()) < len(divisions)


def test_markdown_tables_are_well_formed(markdown):
    """A stray `|` in spec text would shift every later cell of its row."""
    for block in markdown.split("\n\n"):
        lines = block.splitlines()
        if lines and lines[0].startswith("| "):
            widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
            assert len(widths) == 1, lines[0]


def test_html_is_self_contained_and_has_a_contents(page):
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert '<meta charset="utf-8">' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"url\(|@import|<link|<script", page)
    assert '<nav class="toc">' in page
    for entity_code in standard().entities:
        assert f'href="#entity-{entity_code}"' in page
        assert f'id="entity-{entity_code}"' in page


def test_html_escapes_spec_text():
    spec = standard()
    penalty = spec.entities["penalty_case"]
    tampered_field = dataclasses.replace(penalty.fields[0], description='<script>alert("x")</script> & `code`')
    tampered = dataclasses.replace(penalty, fields=(tampered_field, *penalty.fields[1:]))
    page = render_html(dataclasses.replace(spec, entities={**spec.entities, "penalty_case": tampered}))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <code>code</code>" in page


def test_write_dictionary_writes_both_forms(tmp_path):
    written = write_dictionary(tmp_path)
    assert [path.name for path in written] == [MARKDOWN_NAME, HTML_NAME]
    assert (tmp_path / MARKDOWN_NAME).read_text(encoding="utf-8") == render_markdown(standard())


def test_committed_dictionary_is_current(markdown):
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if committed != markdown:  # not an assert: a diff of the whole dictionary would bury the remedy
        pytest.fail(f"docs/{MARKDOWN_NAME} is out of date with the standard: run `{REGENERATE_COMMAND}`")
