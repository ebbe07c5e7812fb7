"""Small server-rendered SVG charts for the reports page: no JavaScript, readable offline and in print."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

# Colour-blind-safe palette (Okabe–Ito), one colour per series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#999999")
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    t = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet"><title>{t}</title>'
        + "".join(body)
        + "</svg>"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 4  # an empty chart still shows whole-number ticks
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4 if step * 4 >= value else value
    return value


def _axis(left: int, top: int, width: int, height: int, top_value: float) -> list[str]:
    out = []
    for i in range(5):
        v = top_value * i / 4
        y = top + height - height * i / 4
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT} fill="#555">{v:g}</text>')
    return out


def stacked_bars(
    title: str,
    columns: list[tuple[str, dict[str, int]]],
    series: list[tuple[str, str]],
    colours: tuple[str, ...] = PALETTE,
    legend: bool = True,
) -> Markup:
    """Columns of stacked counts (cases per day by type); series: (key, label) in stacking order."""
    width, height, left, top, bottom = 600, 260, 36, 12, 52
    plot_w, plot_h = width - left - 10, height - top - bottom
    top_value = _nice_max(max((sum(c.values()) for _l, c in columns), default=0))
    body = _axis(left, top, plot_w, plot_h, top_value)
    step = plot_w / max(len(columns), 1)
    bar = max(step * 0.7, 1)
    # As many labels as fit side by side (about 8 px a character, 12 px for a Chinese one).
    widest = max((sum(12 if ord(ch) > 0x2E80 else 8 for ch in label) for label, _c in columns), default=0)
    every = max(1, math.ceil((widest + 6) / step))
    for i, (label, counts) in enumerate(columns):
        x, y = left + i * step + (step - bar) / 2, top + plot_h
        for n, (key, name) in enumerate(series):
            v = counts.get(key, 0)
            if not v:
                continue
            h = plot_h * v / top_value
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colours[n % len(colours)]}"><title>{escape(label)} {escape(name)}: {v}</title></rect>'
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT} '
                f'fill="#555">{escape(label)}</text>'
            )
    lx = left
    for n, (_key, name) in enumerate(series if legend else []):
        body.append(
            f'<rect x="{lx}" y="{height - 18}" width="10" height="10" fill="{colours[n % len(colours)]}"/>'
            f'<text x="{lx + 14}" y="{height - 9}" {FONT}>{escape(name)}</text>'
        )
        lx += 24 + 13 * len(str(name))
    return _svg(width, height, title, body)


def bars(title: str, items: list[tuple[str, int]], colour: str = PALETTE[0]) -> Markup:
    """Vertical bars, one per bucket (response and resolution distributions)."""
    return stacked_bars(title, [(label, {"n": n}) for label, n in items], [("n", title)], (colour,), legend=False)


def line(
    title: str, points: list[tuple[str, float, int]], target: float | None = None, top_value: float = 100
) -> Markup:
    """A line over labelled points (satisfaction trend), with the target as a dashed line."""
    width, height, left, top, bottom = 600, 220, 36, 12, 30
    plot_w, plot_h = width - left - 10, height - top - bottom
    body = _axis(left, top, plot_w, plot_h, top_value)

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    if target is not None:
        body.append(
            f'<line x1="{left}" y1="{y_of(target):.1f}" x2="{left + plot_w}" y2="{y_of(target):.1f}" '
            f'stroke="#D55E00" stroke-dasharray="6 4"/>'
        )
    step = plot_w / max(len(points), 1)
    xy = [(left + step * (i + 0.5), y_of(v)) for i, (_l, v, _n) in enumerate(points)]
    if len(xy) > 1:
        body.append(
            '<polyline fill="none" stroke="#0072B2" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            + '"/>'
        )
    every = max(1, len(points) // 10)
    for i, ((label, v, n), (x, y)) in enumerate(zip(points, xy, strict=True)):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#0072B2"><title>{escape(label)}: {v:g} '
            f"(n={n})</title></circle>"
        )
        if i % every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT} fill="#555">'
                f"{escape(label)}</text>"
            )
    return _svg(width, height, title, body)


def hbars(title: str, items: list[tuple[str, int, int]]) -> Markup:
    """Horizontal bars with the change from the previous period (top problems): (label, count, change)."""
    row, left, width = 28, 230, 600
    height = max(row * len(items) + 10, 40)
    top_value = max((n for _l, n, _c in items), default=1) or 1
    body = []
    for i, (label, n, change) in enumerate(items):
        y = 5 + i * row
        w = (width - left - 70) * n / top_value
        sign = f"+{change}" if change > 0 else str(change)
        colour = "#D55E00" if change > 0 else "#009E73" if change < 0 else "#555"
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" {FONT}>{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="#0072B2">'
            f"<title>{escape(label)}: {n} ({sign})</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" {FONT}>{n}</text>'
            f'<text x="{left + w + 28:.1f}" y="{y + 15}" {FONT} fill="{colour}">{sign}</text>'
        )
    return _svg(width, height, title, body)
