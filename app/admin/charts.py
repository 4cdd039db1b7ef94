"""Server-side SVG charts for the dashboard: no chart library, no script, no CDN."""
from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from app.money import format_money

WIDTH, HEIGHT, PADDING = 720, 220, 28


def revenue_bars(points: list[tuple[date, int]], *, currency: str) -> Markup:
    """A bar per day; each bar carries a <title> so the figure shows on hover and to screen readers."""
    peak = max((amount for _, amount in points), default=0) or 1
    slot = (WIDTH - 2 * PADDING) / max(len(points), 1)
    bars = []
    for index, (day, amount) in enumerate(points):
        height = round((HEIGHT - 2 * PADDING) * amount / peak)
        x = PADDING + index * slot
        y = HEIGHT - PADDING - height
        label = f"{day.strftime('%b %-d')}: {format_money(amount, currency)}"
        bars.append(
            f'<rect x="{x:.1f}" y="{y}" width="{slot * 0.7:.1f}" height="{max(height, 1)}" class="bar">'
            f"<title>{escape(label)}</title></rect>"
        )
    first, last = (points[0][0], points[-1][0]) if points else (None, None)
    axis = (
        f'<line x1="{PADDING}" y1="{HEIGHT - PADDING}" x2="{WIDTH - PADDING}" y2="{HEIGHT - PADDING}" class="axis"/>'
        f'<text x="{PADDING}" y="{HEIGHT - 8}" class="tick">{escape(first.strftime("%b %-d")) if first else ""}</text>'
        f'<text x="{WIDTH - PADDING}" y="{HEIGHT - 8}" class="tick" text-anchor="end">'
        f'{escape(last.strftime("%b %-d")) if last else ""}</text>'
        f'<text x="{PADDING}" y="16" class="tick">Peak day {escape(format_money(peak if peak > 1 else 0, currency))}</text>'
    )
    return Markup(
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" aria-labelledby="revenue-chart-title">'
        f'<title id="revenue-chart-title">Revenue per day, last 30 days</title>{axis}{"".join(bars)}</svg>'
    )
