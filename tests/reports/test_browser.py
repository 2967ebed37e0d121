"""The 通报 and a feedback page in a real headless Chromium (Debian's package), offline: the charts drew,
the Chinese text is drawn with a CJK font (not boxes), and the page made no network request.

Chromium and the Noto CJK fonts come from .ci/install-browser.sh; without them these tests fail (they
are not skipped): the 通报's PDF needs the same browser in production."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from zfjd.home import Home
from zfjd.reports.browser import ChromiumMissing, DevTools, find_chromium
from zfjd.reports.feedback import write_unit_feedback
from zfjd.reports.monthly import write_monthly_html

INSTALL = "请先运行 .ci/install-browser.sh 安装 Chromium 与 CJK 字体（fonts-noto-cjk）"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_ENV = "ZFJD_UPDATE_SCREENSHOTS"  # set to 1 to refresh docs/screenshots/ from this run


@pytest.fixture(scope="module")
def browser():
    try:
        find_chromium()
    except ChromiumMissing as exc:
        pytest.fail(f"{exc}\n{INSTALL}")
    with DevTools(width=1100, height=900) as devtools:
        yield devtools


@pytest.fixture(scope="module")
def tongbao(published, month, tmp_path_factory):
    return write_monthly_html(published.published, month, tmp_path_factory.mktemp("tongbao"))


def test_the_system_resolves_chinese_to_a_noto_cjk_font():
    if not shutil.which("fc-match"):
        pytest.fail(f"没有 fontconfig（fc-match）。{INSTALL}")
    font = subprocess.run(["fc-match", "sans-serif:lang=zh-cn"], capture_output=True, text=True, check=True).stdout
    assert "CJK" in font, f"中文字体解析为 {font.strip()!r}，不是 Noto CJK。{INSTALL}"


def test_the_tongbao_draws_its_charts_offline_with_a_cjk_font(browser, tongbao):
    browser.open(tongbao)

    # Nothing but the file itself was requested (and Chromium runs with no name resolution and a dead proxy).
    assert browser.requests == [tongbao.resolve().as_uri()], browser.requests
    failed = [e for e in browser.events if e["method"] == "Network.loadingFailed"]
    assert not failed, failed

    # Every chart is laid out with a real size and holds drawn shapes.
    charts = browser.evaluate("""
        [...document.querySelectorAll('svg.chart')].map(svg => {
            const box = svg.getBoundingClientRect();
            return {width: box.width, height: box.height,
                    shapes: svg.querySelectorAll('path, rect, use').length,
                    texts: svg.querySelectorAll('text').length};
        })""")
    assert len(charts) >= 6
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 100 and chart["shapes"] > 5 and chart["texts"] > 0, chart

    # The Chinese headline and the chart labels are drawn with a CJK font that has their glyphs.
    for selector in ("h1", "#summary p.lead", "svg.chart[data-chart=ranking] text"):
        fonts = browser.fonts_used(selector)
        assert fonts and all("CJK" in f["familyName"] for f in fonts), (selector, fonts)

    # And the pixels say so too: the title is ink, not blank, and not the same as a row of missing-glyph boxes.
    box = browser.evaluate("(() => { const r = document.querySelector('h1').getBoundingClientRect();"
                           " return {x: r.x, y: r.y, width: r.width, height: r.height}; })()")
    shot = browser.screenshot(tongbao.with_suffix(".title.png"), full_page=False, clip=box)
    assert _ink_columns(shot) > 0.3


def _ink_columns(png: Path) -> float:
    """Share of pixel columns with dark pixels: text fills a good part of its box; blank gives 0."""
    from PIL import Image

    image = Image.open(png).convert("L")
    width, height = image.size
    pixels = image.load()
    inked = sum(1 for x in range(width) if any(pixels[x, y] < 128 for y in range(height)))
    return inked / width


def test_chinese_renders_unlike_tofu(browser, tmp_path):
    """The same page drawn with the CJK font and with a font lacking the glyphs must differ: proof that what we
    see above is glyphs, not the boxes Chromium draws for missing characters."""
    page = tmp_path / "glyphs.html"
    page.write_text(
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body style="margin:0;background:#fff">'
        '<p id="cjk" style="font:32px \'Noto Sans CJK SC\';margin:0">广东省行政执法监督</p>'
        '<p id="tofu" style="font:32px \'Noto Sans CJK SC\';margin:0">\U000f0000\U000f0001\U000f0002\U000f0003'
        "\U000f0004\U000f0005\U000f0006\U000f0007\U000f0008</p></body></html>",
        encoding="utf-8",
    )
    browser.open(page)
    shots = {}
    for element in ("cjk", "tofu"):
        box = browser.evaluate(f"(() => {{ const r = document.getElementById('{element}').getBoundingClientRect();"
                               " return {x: r.x, y: r.y, width: 320, height: r.height}; })()")
        shots[element] = browser.screenshot(tmp_path / f"{element}.png", full_page=False, clip=box).read_bytes()
    assert shots["cjk"] != shots["tofu"]
    assert _ink_columns(tmp_path / "cjk.png") > 0.5


def test_screenshots_for_the_docs(browser, tongbao, published, as_of, tmp_path):
    """Screenshots of the 通报's first screen and a feedback page; with ZFJD_UPDATE_SCREENSHOTS=1 they
    replace docs/screenshots/ (a test run otherwise leaves the checkout alone)."""
    screenshots = DOCS_SCREENSHOTS if os.environ.get(UPDATE_ENV) == "1" else tmp_path
    screenshots.mkdir(parents=True, exist_ok=True)
    browser.open(tongbao)
    first = browser.screenshot(screenshots / "tongbao.png", full_page=False,
                               clip={"x": 0, "y": 0, "width": 1100, "height": 1800})
    home = Home.at(published.root)
    paths = write_unit_feedback(home, as_of)
    pages = [p for p in paths if p.suffix == ".html"]
    assert pages
    # The unit with the most rejections makes the most telling example.
    page = max(pages, key=lambda p: p.read_text(encoding="utf-8").count("<tr>"))
    browser.open(page)
    assert browser.requests == [page.resolve().as_uri()]
    second = browser.screenshot(screenshots / "feedback.png", full_page=False,
                                clip={"x": 0, "y": 0, "width": 1100, "height": 1400})
    assert first.stat().st_size > 10_000 and second.stat().st_size > 10_000
    assert dt.date.fromisoformat(page.stem) == as_of
