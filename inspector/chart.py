"""A score-over-time line chart as inline SVG, drawn on the server: no library, no script.

``score_chart([(date, percent), ...], title)`` returns the markup of one
``<svg role="img">`` with a title, axes from 0 to 100 %, a line through the
points and the dates in Indonesian short months. The points are spaced
evenly in date order (so two inspections a day apart stay readable on a 360 px
phone); every point carries its own date and score as a tooltip title.
Every text placed in it is escaped.
"""

from __future__ import annotations

from datetime import date
from html import escape

from .timefmt import MONTHS

WIDTH, HEIGHT = 320, 200
LEFT, RIGHT, TOP, BOTTOM = 50, 10, 10, 42  # margins: y labels on the left, dates below
FONT = 14  # in viewBox units: about 13 px on a 360 px phone
MAX_DATE_LABELS = 5


def _short(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _percent_text(value: float) -> str:
    return f"{value:.0f}%"


def _labelled(count: int) -> set[int]:
    """Which points get a date label: the first, the last and a few evenly between."""
    if count <= MAX_DATE_LABELS:
        return set(range(count))
    step = (count - 1) / (MAX_DATE_LABELS - 1)
    return {round(n * step) for n in range(MAX_DATE_LABELS)}


def score_chart(points: list[tuple[date, float]], title: str) -> str:
    """The SVG markup; '' when there is no point to draw. ``points``: (day, 0-100), in any order."""
    points = sorted((day, max(0.0, min(100.0, float(value)))) for day, value in points if value is not None)
    if not points:
        return ""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(n: int) -> float:
        return LEFT + (plot_w / 2 if len(points) == 1 else plot_w * n / (len(points) - 1))

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - value / 100)

    summary = ", ".join(f"{_short(day)}: {_percent_text(value)}" for day, value in points[-MAX_DATE_LABELS:])
    label = escape(f"{title}. Skor dari {len(points)} inspeksi, 0 sampai 100 persen. Terakhir: {summary}.")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{label}">',
             f"<title>{escape(title)}</title>"]
    for value in (0, 50, 100):  # grid lines and the y axis labels
        y = y_of(value)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="#ccc" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="{FONT}" '
                     f'fill="#333">{value}%</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" '
                 f'stroke="#444" stroke-width="1.5"/>')
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
                 f'stroke="#444" stroke-width="1.5"/>')
    coords = [(x_of(n), y_of(value)) for n, (_, value) in enumerate(points)]
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline class="line" points="{line}" fill="none" stroke="#0b5394" stroke-width="2.5" '
                     f'stroke-linejoin="round"/>')
    labelled = _labelled(len(points))
    shown_year = None
    for n, ((day, value), (x, y)) in enumerate(zip(points, coords)):
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#0b5394">'
                     f"<title>{escape(_short(day))}: {_percent_text(value)}</title></circle>")
        if n not in labelled:
            continue
        anchor = "middle" if len(points) == 1 else "start" if n == 0 else "end" if n == len(points) - 1 else "middle"
        lines = [f"{day.day} {MONTHS[day.month - 1]}"] + ([str(day.year)] if day.year != shown_year else [])
        shown_year = day.year  # "10 Mar", and beneath it the year where the year changes
        for row, text in enumerate(lines):
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18 + 16 * row}" text-anchor="{anchor}" '
                         f'font-size="{FONT}" fill="#333">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
