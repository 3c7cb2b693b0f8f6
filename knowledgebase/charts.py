"""Before-and-after charts of measured outcomes, drawn as inline SVG by a template.

The geometry is decided here and the template only draws it: no chart library and no
JavaScript, so the chart works under the strict Content-Security-Policy and without scripts.
Bars are laid out in percent of the chart's width (the SVG takes the width of its cell) and
in CSS pixels vertically, one line of label text above each bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledgebase.models import Measurement

LABEL_HEIGHT = 18  # one line of 12px label text, baseline 4px above the bar
BAR_HEIGHT = 12
ROW_GAP = 6
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
# A non-zero value far smaller than the other still shows as a sliver, so it never reads
# as zero; the label gives the number.
MIN_WIDTH = 1.0
# SVG text does not wrap: a label longer than this (a long unit) shows the number alone,
# and the unit is left to the table's cells and the text alternative.
LABEL_MAX_CHARS = 12


@dataclass(frozen=True)
class Bar:
    key: str  # "Before" or "After"
    value: str  # the number with its unit and sign: "-3 °C"
    width: float  # percent of the chart's width, 0 to 100
    label_y: int
    bar_y: int

    @property
    def svg_width(self) -> str:
        return f"{self.width:g}%"

    @property
    def css_class(self) -> str:
        return f"bar bar-{self.key.lower()}"


@dataclass(frozen=True)
class ChangeChart:
    before: Bar
    after: Bar
    description: str  # the text alternative: "Before 14 minutes, after 6 minutes: 57% lower"
    height: int
    bar_height: int = BAR_HEIGHT

    @property
    def bars(self) -> tuple[Bar, Bar]:
        return (self.before, self.after)


def change_chart(measurement: Measurement) -> ChangeChart | None:
    """Two bars from zero, scaled to the larger absolute value; None without both numbers."""
    baseline, result = measurement.baseline, measurement.result
    if baseline is None or result is None:
        return None
    largest = max(abs(baseline), abs(result))
    before_text, after_text = measurement.baseline_quantity, measurement.result_quantity
    description = f"Before {before_text}, after {after_text}"
    if measurement.change_words:
        description += f": {measurement.change_words}"
    if max(len(before_text), len(after_text)) > LABEL_MAX_CHARS:
        before_label, after_label = measurement.baseline_text, measurement.result_text
    else:
        before_label, after_label = before_text, after_text
    return ChangeChart(
        before=_bar("Before", before_label, baseline, largest, row=0),
        after=_bar("After", after_label, result, largest, row=1),
        description=description,
        height=2 * ROW_HEIGHT - ROW_GAP,
    )


def _bar(key: str, text: str, value: Decimal, largest: Decimal, *, row: int) -> Bar:
    top = row * ROW_HEIGHT
    return Bar(
        key=key,
        value=text,
        width=_width(value, largest),
        label_y=top + LABEL_HEIGHT - 5,
        bar_y=top + LABEL_HEIGHT,
    )


def _width(value: Decimal, largest: Decimal) -> float:
    if not value:
        return 0.0
    share = float(abs(value) / largest * 100)
    return round(max(share, MIN_WIDTH), 1)
