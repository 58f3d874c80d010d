"""Charts drawn on the server as inline SVG, for the quarterly report PDF (WeasyPrint renders SVG
itself, text included, so the Chinese labels stay text in the PDF). Plain strings, no plotting
library; every label is escaped.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from alliance.pdf import CJK_FONT_STACK

COLOURS = ("#c8161d", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")
LAGGARD_COLOUR = "#a40000"
BAR_COLOUR = "#1f77b4"
_FONT = escape(CJK_FONT_STACK, quote=True)


def _svg(width: int, height: int, body: list[str], *, title: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text in `body` went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_FONT}" font-size="11" role="img">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _nice_max(value: float) -> float:
    """A round upper bound for an axis: 1, 2, 5 × 10^n at or above `value`."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart_svg(rows: list[tuple[str, float | None, bool]], *, title: str, max_value: float | None = None,
                  suffix: str = "", empty_text: str = "—") -> SafeString:
    """Horizontal bars, one per row (label, value or None, highlighted): a highlighted bar is drawn
    in the laggard colour. `max_value` fixes the scale (100 for shares)."""
    label_w, bar_w, row_h, top = 160, 250, 22, 8
    width, height = label_w + bar_w + 60, top * 2 + row_h * max(len(rows), 1)
    scale = max_value or _nice_max(max((v for _l, v, _h in rows if v is not None), default=0))
    body = [f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{height - top}" stroke="#666"/>']
    for i, (label, value, highlight) in enumerate(rows):
        y = top + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>')
        if value is None:
            body.append(f'<text x="{label_w + 6}" y="{y + 15}" fill="#666">{escape(empty_text)}</text>')
            continue
        w = round(bar_w * min(max(value, 0) / scale, 1), 1)
        colour = LAGGARD_COLOUR if highlight else BAR_COLOUR
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" fill="{colour}"/>')
        body.append(f'<text x="{label_w + w + 4}" y="{y + 15}">{escape(_number(value))}{escape(suffix)}</text>')
    return _svg(width, height, body, title=title)


def line_chart_svg(categories: list[str], series: list[tuple[str, list[float]]], *, title: str) -> SafeString:
    """Lines over `categories` (months), one per (name, values) series, with a legend and a y axis
    that starts at zero."""
    left, right, top, bottom = 40, 10, 28, 30
    plot_w, plot_h = 400, 170
    width, height = left + plot_w + right, top + plot_h + bottom
    peak = max((v for _name, values in series for v in values), default=0)
    scale = _nice_max(peak)
    n = max(len(categories), 1)
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return round(left + (i * step if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(top + plot_h - plot_h * v / scale, 1)

    body = []
    for tick in range(5):  # the grid and the y labels
        value = scale * tick / 4
        body.append(f'<line x1="{left}" y1="{y(value)}" x2="{left + plot_w}" y2="{y(value)}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 4}" y="{y(value) + 4}" text-anchor="end" fill="#444">{_number(value)}</text>')
    for i, category in enumerate(categories):
        body.append(f'<text x="{x(i)}" y="{top + plot_h + 16}" text-anchor="middle" font-size="9" '
                    f'fill="#444">{escape(category[-5:] if len(category) > 5 else category)}</text>')
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.extend(f'<circle cx="{x(i)}" cy="{y(v)}" r="2.5" fill="{colour}"/>' for i, v in enumerate(values))
        lx = left + k * 130
        body.append(f'<rect x="{lx}" y="6" width="12" height="12" fill="{colour}"/>')
        body.append(f'<text x="{lx + 16}" y="16">{escape(name)}</text>')
    return _svg(width, height, body, title=title)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
