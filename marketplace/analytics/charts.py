"""Server-rendered SVG charts: geometry computed here, drawn by
``templates/analytics/_chart.html`` with SVG presentation attributes only (the CSP
forbids scripts from elsewhere and inline styles). The viewBox scales to any width,
360 px phones included; every chart is followed by a table of the same numbers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 36


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass
class Chart:
    title: str
    bars: list[Bar] = field(default_factory=list)
    line: str = ""  # polyline points of the second series ("" for none)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    x_labels: list[tuple[float, str]] = field(default_factory=list)  # (x, label)
    bar_name: str = ""
    line_name: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    baseline_y: float = HEIGHT - BOTTOM


def nice_max(value: int) -> int:
    """1, 2, 5 × 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _short(n: int) -> str:
    text = f"{n:,}".replace(",", ".")
    return text


def day_chart(
    title: str,
    days: list[date],
    bars: list[int],
    line: list[int] | None = None,
    *,
    bar_name: str = "",
    line_name: str = "",
) -> Chart:
    """Daily bars (first series) with an optional line (second series) on one axis."""
    chart = Chart(title=title, bar_name=bar_name, line_name=line_name)
    n = max(1, len(days))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top = nice_max(max([*bars, *(line or []), 0]))
    step = plot_w / n
    gap = min(2.0, step * 0.2)
    for i, (day, value) in enumerate(zip(days, bars, strict=False)):
        h = plot_h * value / top
        chart.bars.append(Bar(round(LEFT + i * step + gap / 2, 2), round(TOP + plot_h - h, 2),
                              round(max(step - gap, 0.5), 2), round(h, 2), f"{day:%d/%m}: {_short(value)}"))
    if line:
        points = [
            f"{LEFT + (i + 0.5) * step:.2f},{TOP + plot_h - plot_h * v / top:.2f}" for i, v in enumerate(line)
        ]
        chart.line = " ".join(points)
    chart.y_ticks = [(round(TOP + plot_h - plot_h * k / 4, 2), _short(top * k // 4)) for k in range(5)]
    every = max(1, -(-n // 6))  # about six dates along the axis
    chart.x_labels = [(round(LEFT + (i + 0.5) * step, 2), f"{d:%d/%m}") for i, d in enumerate(days) if i % every == 0]
    return chart
