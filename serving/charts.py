"""Chart geometry for the report's inline SVG: computed here, drawn by the template's macros.

Colours carry no verdict. Bars are blue; the report's own period is the darker blue and the
year before is grey. Red in the report means one thing only: worse, or a target not met (the
tables), never "this is the latest bar".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from serving.i18n import Language

WIDTH, HEIGHT = 300, 150
MONTHLY_WIDTH, MONTHLY_HEIGHT = 520, 170
TOP, BOTTOM, LEFT = 16, 18, 0
AXIS_LEFT = 44  # room for the y axis labels of the monthly charts


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # "bar current", "bar prior", "bar"
    title: str  # tooltip: what and how much
    label: str = ""  # value written above the bar ("" for none)
    data: dict = field(default_factory=dict)  # data-* attributes for tests and readers


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    css: str = ""


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "grid"


@dataclass
class Chart:
    code: str
    caption_vi: str
    caption_en: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    description: str = ""  # the accessible name of the SVG

    @property
    def drawn(self) -> int:
        return len(self.bars)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= value (an axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def history_chart(
    code: str, caption_vi: str, caption_en: str, unit: str, points: list[tuple[int, float | None]], current_year: int,
    lang: Language,
) -> Chart:  # fmt: skip
    """Bars of the same period in each year, the report's year darker, values written above."""
    chart = Chart(code, caption_vi, caption_en, WIDTH, HEIGHT)
    values = [value for _, value in points if value is not None]
    top = max([0.0, *values])
    slot = WIDTH / max(len(points), 1)
    plot = HEIGHT - TOP - BOTTOM
    for index, (year, value) in enumerate(points):
        centre = index * slot + slot / 2
        chart.texts.append(Text(centre, HEIGHT - 4, str(year), css="axis"))
        if value is None:
            continue
        height = max((value / top) * plot if top > 0 else 0.0, 0.5)
        shown = lang.number(value, unit)
        chart.bars.append(
            Bar(
                x=index * slot + slot * 0.15,
                y=HEIGHT - BOTTOM - height,
                width=slot * 0.7,
                height=height,
                css="bar current" if year == current_year else "bar",
                title=f"{year}: {shown}",
                label=shown,
                data={"year": year, "value": value},
            )
        )
    chart.lines.append(Line(0, HEIGHT - BOTTOM, WIDTH, HEIGHT - BOTTOM, css="baseline"))
    chart.description = f"{caption_vi} — " + "; ".join(bar.title for bar in chart.bars)
    return chart


def monthly_chart(
    code: str, caption_vi: str, caption_en: str, unit: str, months: list[int], year: int,
    current: dict[int, float | None], prior: dict[int, float | None], lang: Language,
) -> Chart:  # fmt: skip
    """Month by month: each month's bar of the year before (grey) beside this year's (blue), on a
    y axis with three gridlines."""
    chart = Chart(code, caption_vi, caption_en, MONTHLY_WIDTH, MONTHLY_HEIGHT)
    values = [v for v in (*current.values(), *prior.values()) if v is not None]
    top = nice_ceiling(max([0.0, *values]))
    plot_width = MONTHLY_WIDTH - AXIS_LEFT
    plot = MONTHLY_HEIGHT - TOP - BOTTOM
    base = MONTHLY_HEIGHT - BOTTOM
    for step in range(0, 5):
        share = step / 4
        y = base - share * plot
        chart.lines.append(Line(AXIS_LEFT, y, MONTHLY_WIDTH, y, css="baseline" if step == 0 else "grid"))
        if step % 2 == 0:
            chart.texts.append(Text(AXIS_LEFT - 4, y + 3, lang.number(top * share, unit), anchor="end", css="axis"))
    slot = plot_width / max(len(months), 1)
    bar_width = slot * 0.36
    for index, month in enumerate(months):
        left = AXIS_LEFT + index * slot
        chart.texts.append(Text(left + slot / 2, MONTHLY_HEIGHT - 4, str(month), css="axis"))
        for offset, (which, series, css) in enumerate(((year - 1, prior, "bar prior"), (year, current, "bar current"))):
            value = series.get(month)
            if value is None:
                continue
            height = max(value / top * plot, 0.5)
            chart.bars.append(
                Bar(
                    x=left + slot * 0.12 + offset * bar_width,
                    y=base - height,
                    width=bar_width,
                    height=height,
                    css=css,
                    title=f"{lang.month_year(which, month)}: {lang.number(value, unit)}",
                    data={"year": which, "month": month, "value": value},
                )
            )
    chart.description = f"{caption_vi} — " + "; ".join(bar.title for bar in chart.bars)
    return chart
