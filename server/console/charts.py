"""Charts for the reports, as inline SVG markup built here: no chart library, no script.

The console's Content-Security-Policy forbids inline scripts and style attributes, so the
charts use SVG presentation attributes (``fill``, ``stroke``) only. Each has a ``<title>``
and a ``<desc>`` that screen readers announce (the numbers are in the table under it too),
``width``/``height`` for its box, and every label escaped: a procedure's name is text from
the catalogue, never markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
LINE_HEIGHT = 300
PALETTE = ("#0b5cad", "#a15c00", "#1d7a3a", "#6b3fa0", "#b3261e")
INK, MUTED, GRID, GOAL = "#1d2733", "#5b6775", "#d5dbe3", "#b3261e"
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 20, 40, 40  # room for the axes and the legend
_MAX_X_LABELS = 8
_BAR_TOP, _BAR_ROW, _BAR_LABEL_WIDTH, _BAR_LABEL_CHARS = 10, 30, 300, 40


@dataclass(frozen=True)
class Series:
    """One line: its name (the legend) and a value per label (None: no data that day)."""

    name: str
    values: Sequence[float | None]


def number(value: float, decimals: int = 1) -> str:
    """A number as Vietnamese write it: decimal comma, no useless zeros (95,5; 12)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".").replace(".", ",")


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 times a power of ten) from 0 up to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / (count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _text(x: float, y: float, label: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}" '
        f'text-anchor="{anchor}">{escape(label)}</text>'
    )


def _open(key: str, title: str, desc: str, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
    ]


def _empty(parts: list[str], height: int) -> Markup:
    parts.append(_text(WIDTH / 2, height / 2, "Chưa có dữ liệu trong khoảng này", "middle", 14))
    return Markup("".join([*parts, "</svg>"]))


def line_chart(
    key: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    y_max: float | None = None,
    goal: float | None = None,
    goal_label: str = "",
) -> Markup:
    """Values over days: a line per series, gaps where a day has none, an optional goal.

    ``key`` makes the ids of the title and description unique on the page."""
    height = LINE_HEIGHT
    parts = _open(key, title, desc, height)
    known = [v for s in series for v in s.values if v is not None]
    if not labels or not known:
        return _empty(parts, height)
    ticks = nice_ticks(max([*known, goal or 0, y_max or 0]))
    top, plot_w, plot_h = ticks[-1], WIDTH - _LEFT - _RIGHT, height - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (plot_w / 2 if len(labels) == 1 else i * plot_w / (len(labels) - 1))

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - value / top)

    for tick in ticks:  # horizontal grid and the y axis labels
        parts.append(
            f'<line x1="{_LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - _RIGHT}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(_LEFT - 6, y(tick) + 4, f"{number(tick, 2)}{unit}", "end", 11))
    every = math.ceil(len(labels) / _MAX_X_LABELS)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(_text(x(i), height - _BOTTOM + 18, label, "middle", 11))
    if goal is not None:
        parts.append(
            f'<line x1="{_LEFT}" y1="{y(goal):.1f}" x2="{WIDTH - _RIGHT}" y2="{y(goal):.1f}" '
            f'stroke="{GOAL}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        # Named in the legend row, where no point of a line can hide it.
        parts.append(
            f'<line x1="{WIDTH - _RIGHT - 150}" y1="17" x2="{WIDTH - _RIGHT - 126}" y2="17" '
            f'stroke="{GOAL}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(_text(WIDTH - _RIGHT - 120, 22, goal_label))
    for n, line in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        parts.append(f'<rect x="{_LEFT + n * 150}" y="10" width="14" height="14" fill="{colour}"/>')
        parts.append(_text(_LEFT + n * 150 + 20, 22, line.name))
        run: list[str] = []
        for i, value in enumerate([*line.values, None]):
            if value is None:  # the end of a run of days with data
                if len(run) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(run)}" fill="none" '
                        f'stroke="{colour}" stroke-width="2"/>'
                    )
                run = []
                continue
            run.append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(f'{labels[i]} · {line.name}: {number(value)}{unit}')}</title>"
                "</circle>"
            )
    return Markup("".join([*parts, "</svg>"]))


def _short(label: str) -> str:
    if len(label) <= _BAR_LABEL_CHARS:
        return label
    return label[: _BAR_LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(
    key: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    unit: str = "",
) -> Markup:
    """One horizontal bar per label, longest first as given: names of procedures are long,
    so they sit on the left, shortened, with the whole name in each bar's tooltip."""
    height = 2 * _BAR_TOP + max(2, len(labels)) * _BAR_ROW
    parts = _open(key, title, desc, height)
    if not labels:
        return _empty(parts, height)
    top = nice_ticks(max(values))[-1]
    room = WIDTH - _BAR_LABEL_WIDTH - _RIGHT - 50  # leaves space for the value's text
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = _BAR_TOP + i * _BAR_ROW
        width = room * value / top if top else 0
        parts.append(_text(_BAR_LABEL_WIDTH - 8, y + 18, _short(label), "end"))
        parts.append(
            f'<rect x="{_BAR_LABEL_WIDTH}" y="{y + 4}" width="{width:.1f}" height="{_BAR_ROW - 8}" '
            f'fill="{PALETTE[0]}"><title>{escape(f"{label}: {number(value)}{unit}")}</title></rect>'
        )
        parts.append(_text(_BAR_LABEL_WIDTH + width + 6, y + 19, f"{number(value)}{unit}"))
    return Markup("".join([*parts, "</svg>"]))
