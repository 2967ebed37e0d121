"""Charts for the reports as inline SVG (matplotlib), reproducible byte for byte.

Text stays text (`svg.fonttype: none`), so the browser draws it with its own CJK font and the file
stays small; the hash salt and the absent date make the same data give the same bytes. Each chart
gets its own salt, so the clip-path ids of two charts on one page never collide.
"""

from __future__ import annotations

import functools
import io
import math
import re
import warnings
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: the reports are built by the scheduler
import matplotlib.pyplot as plt

# The browser picks the first family it has; matplotlib measures with the first it finds.
FONT_FAMILIES = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC",
         "DejaVu Sans"]
PALETTE = ["#1f5fa8", "#d9822b", "#2f8132", "#8e44ad", "#c62828", "#00838f", "#6d4c41", "#7b8794"]
EMPTY_TEXT = "本期无数据"

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "zfjd",
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILIES,
    "font.size": 10,
    "axes.unicode_minus": False,  # the CJK fonts lack U+2212; use an ASCII minus
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa5b1",
    "axes.grid": True,
    "grid.color": "#e4e7eb",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
}


def _svg(fig, salt: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"zfjd-{salt}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    # Inline in HTML: no XML declaration or DOCTYPE; drop the fixed size so the SVG scales with the page.
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)
    return text.replace("<svg", f'<svg class="chart" role="img" data-chart="{salt}"', 1)


def _figure(width: float, height: float):
    return plt.subplots(figsize=(width, height), layout="constrained")


def _empty(ax, text: str = EMPTY_TEXT) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="#7b8794", transform=ax.transAxes)


def _quietly(draw):
    """Missing-glyph warnings only say a machine lacks the CJK font; the SVG keeps the text either way."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(), plt.rc_context(_STYLE):
            warnings.simplefilter("ignore", UserWarning)
            return draw(*args, **kwargs)

    return wrapper


@_quietly
def barh(name: str, labels: Sequence[str], values: Sequence[float], *, title: str, unit: str = "",
         value_format: str = "{:,.0f}", highlight_top: int = 0) -> str:
    """Horizontal bars, first label on top (rankings)."""
    fig, ax = _figure(7.2, max(2.2, 0.28 * len(labels) + 0.9))
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not labels:
        _empty(ax)
        return _svg(fig, name)
    positions = list(range(len(labels)))[::-1]
    colors = [PALETTE[0] if i >= highlight_top else PALETTE[1] for i in range(len(labels))]
    ax.barh(positions, values, color=colors, height=0.65)
    ax.set_yticks(positions, labels)
    ax.grid(axis="y", visible=False)
    top = max(values) if values else 0
    for position, value in zip(positions, values, strict=True):
        ax.text(value + top * 0.01, position, value_format.format(value), va="center", fontsize=8,
                color="#323f4b")
    ax.set_xlim(0, (top or 1) * 1.15)
    if unit:
        ax.set_xlabel(f"单位：{unit}")
    return _svg(fig, name)


@_quietly
def lines(name: str, months: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
          unit: str = "") -> str:
    """One line per series over months; a missing month is a gap, not a zero."""
    fig, ax = _figure(7.2, 2.8)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not months or all(v is None for values in series.values() for v in values):
        _empty(ax)
        return _svg(fig, name)
    x = list(range(len(months)))
    for index, (label, values) in enumerate(series.items()):
        y = [math.nan if v is None else v for v in values]
        ax.plot(x, y, marker="o", markersize=3.5, linewidth=1.8, color=PALETTE[index % len(PALETTE)],
                label=label)
    ax.set_xticks(x, months, rotation=0, fontsize=8)
    ax.set_ylim(bottom=0)
    if unit:
        ax.set_title(f"单位：{unit}", loc="right", fontsize=8, color="#52606d")
    ax.legend(frameon=False, fontsize=9, loc="upper left", ncols=max(1, len(series)))
    return _svg(fig, name)


@_quietly
def stacked_bars(name: str, labels: Sequence[str], stacks: dict[str, Sequence[float]], *, title: str,
                 unit: str = "") -> str:
    """Vertical stacked bars (e.g. 零执法 bodies per city by kind of matter)."""
    fig, ax = _figure(7.2, 3.0)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not labels:
        _empty(ax)
        return _svg(fig, name)
    x = list(range(len(labels)))
    bottom = [0.0] * len(labels)
    for index, (label, values) in enumerate(stacks.items()):
        ax.bar(x, values, bottom=bottom, color=PALETTE[index % len(PALETTE)], label=label, width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=8)
    ax.grid(axis="x", visible=False)
    if unit:
        ax.set_title(f"单位：{unit}", loc="right", fontsize=8, color="#52606d")
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    return _svg(fig, name)
