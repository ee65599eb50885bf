"""Small, dependency-free charts as inline SVG (crisp at any zoom, a few kB each): histograms of numbers and
bar charts of counts, with a title, axis ticks and the sample count."""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 26, 38
BAR_COLOUR = "#3d7cc9"
EMPTY_COLOUR = "#999"


def _tick(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.0f}" if float(value).is_integer() or magnitude >= 100 else f"{value:.1f}"
    return f"{value:.2g}"


def _frame(title: str, note: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" font-size="10">',
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold">{html.escape(title)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="14" text-anchor="end" fill="#666">{html.escape(note)}</text>',
    ]


def count_ticks(peak: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``peak``, at most 5 of them, at a 1-2-5 step (a count of 1 reads 0, 1)."""
    peak = max(int(peak), 1)
    step, factors = 1, itertools.cycle((2, 2.5, 2))  # 1, 2, 5, 10, 20, 50, ...
    while -(-peak // step) > 4:
        step = round(step * next(factors))
    return list(range(0, -(-peak // step) * step + 1, step))


def _y_axis(peak: int) -> tuple[list[str], int]:
    """The count axis (whole-number ticks) and its top value, which bars are scaled to."""
    plot_h = HEIGHT - TOP - BOTTOM
    ticks = count_ticks(peak)
    top = ticks[-1]
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>']
    for value in ticks:
        y = HEIGHT - BOTTOM - value / top * plot_h
        parts.append(f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>')
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>')
    return parts, top


def empty_chart(title: str, message: str = "no values") -> str:
    parts = _frame(title, "")
    parts.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{EMPTY_COLOUR}">'
        f"{html.escape(message)}</text>"
    )
    return "\n".join([*parts, "</svg>"])


def histogram_svg(values: Sequence[float], title: str, unit: str = "", bins: int = 20) -> str:
    array = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if array.size == 0:
        return empty_chart(title)
    distinct = np.unique(array)
    if len(distinct) <= bins and np.all(distinct == np.round(distinct)):  # counts: one bar per value
        return bar_svg({_tick(v): int((array == v).sum()) for v in distinct}, title)
    low, high = float(array.min()), float(array.max())
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(array, bins=bins, range=(low, high))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(title, f"n = {array.size}, median {_tick(float(np.median(array)))}{unit and ' ' + unit}")
    axis, peak = _y_axis(int(counts.max()))
    parts += axis
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        parts.append(
            f'<rect x="{LEFT + i * bar_w + 0.5:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{max(bar_w - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="{BAR_COLOUR}">'
            f"<title>{_tick(edges[i])}..{_tick(edges[i + 1])}: {count}</title></rect>"
        )
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = LEFT + fraction * plot_w
        value = low + fraction * (high - low)
        parts.append(
            f'<line x1="{x:.1f}" y1="{HEIGHT - BOTTOM}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM + 3}" stroke="#333"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 13}" text-anchor="middle">{_tick(value)}</text>')
    if unit:
        parts.append(
            f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" fill="#666">'
            f"{html.escape(unit)}</text>"
        )
    return "\n".join([*parts, "</svg>"])


def bar_svg(counts: Mapping[str, int], title: str, max_bars: int = 16) -> str:
    items = list(counts.items())
    if not items:
        return empty_chart(title)
    if len(items) > max_bars:
        items = sorted(items, key=lambda kv: -kv[1])
        rest = sum(n for _, n in items[max_bars - 1 :])
        items = [*items[: max_bars - 1], ("(other)", rest)]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(title, f"n = {sum(n for _, n in items)}")
    axis, peak = _y_axis(max(n for _, n in items))
    parts += axis
    slot = plot_w / len(items)
    rotate = len(items) > 5 or any(len(str(name)) > 9 for name, _ in items)
    for i, (name, count) in enumerate(items):
        h = plot_h * count / peak
        x = LEFT + i * slot
        label = html.escape(str(name)[:18])
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{BAR_COLOUR}"><title>{label}: {count}</title></rect>'
        )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM - h - 2:.1f}" text-anchor="middle">{count}</text>'
        )
        cx, cy = x + slot / 2, HEIGHT - BOTTOM + 12
        if rotate:
            parts.append(
                f'<text x="{cx:.1f}" y="{cy - 4:.1f}" text-anchor="end" '
                f'transform="rotate(-30 {cx:.1f} {cy - 4:.1f})">{label}</text>'
            )
        else:
            parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle">{label}</text>')
    return "\n".join([*parts, "</svg>"])
