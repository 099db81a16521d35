"""Bar charts drawn on the server as SVG, readable without colour, script or styles.

Each chart is an image with a title and a description (`role="img"`, `aria-labelledby`); the page puts a
table of the same figures beneath it, which is what a screen reader user reads. Only SVG presentation
attributes are used (no `style`), so the strict Content Security Policy is kept. Every bar carries its value
as text, so the chart still reads when printed in black and white.
"""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_SIZE = 16
ROW_HEIGHT = 58
BAR_HEIGHT = 22
BAR_TOP = 24
VALUE_ROOM = 70
TOP_PADDING = 4
TEXT = "#0b0c0c"
BAR = "#1d70b8"
OUTLINE = "#0b0c0c"
FONT = "arial, sans-serif"
#: Longer labels are shortened in the drawing (the table beneath has them in full) so they fit its width.
MAX_LABEL = 70


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str = ""

    @property
    def text(self) -> str:
        return self.shown or _number(self.value)


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart: one labelled bar per row, longest value filling the width.

    Drawn 640 units wide, the width of a GOV.UK two-thirds column, so its text shows at 16px there.
    """

    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]

    @property
    def height(self) -> int:
        return TOP_PADDING + ROW_HEIGHT * len(self.bars)

    @property
    def title_id(self) -> str:
        return f"{self.id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.id}-desc"

    def svg(self) -> SafeString:
        """The chart's markup; every piece of text is escaped, so labels can come from users."""
        if not self.bars:
            return mark_safe("")  # noqa: S308 - a constant
        peak = max(bar.value for bar in self.bars) or 1
        room = WIDTH - VALUE_ROOM
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" width="100%" '
            f'viewBox="0 0 {WIDTH} {self.height}" aria-labelledby="{escape(self.title_id)} {escape(self.desc_id)}" '
            f'font-family="{FONT}">',
            f'<title id="{escape(self.title_id)}">{escape(self.title)}</title>',
            f'<desc id="{escape(self.desc_id)}">{escape(self.description)}</desc>',
        ]
        for index, bar in enumerate(self.bars):
            top = TOP_PADDING + index * ROW_HEIGHT
            length = round(room * bar.value / peak, 1) if bar.value > 0 else 0
            label = escape(_fit(bar.label))
            parts.append(f'<text x="0" y="{top + LABEL_SIZE}" font-size="{LABEL_SIZE}" fill="{TEXT}">{label}</text>')
            if length:
                parts.append(
                    f'<rect x="0" y="{top + BAR_TOP}" width="{length}" height="{BAR_HEIGHT}" fill="{BAR}" '
                    f'stroke="{OUTLINE}" stroke-width="1"/>'
                )
            parts.append(
                f'<text x="{length + 8}" y="{top + BAR_TOP + BAR_HEIGHT - 5}" font-size="{LABEL_SIZE}" '
                f'font-weight="bold" fill="{TEXT}">{escape(bar.text)}</text>'
            )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - built from escaped text and numbers only


def bar_chart(chart_id: str, title: str, bars: list[Bar], unit: str = "disputes") -> BarChart:
    """A chart with a description saying what it shows and where its peak is."""
    return BarChart(id=chart_id, title=title, description=describe(bars, unit), bars=tuple(bars))


def describe(bars: list[Bar], unit: str) -> str:
    if not bars:
        return "No figures to show."
    top = max(bars, key=lambda bar: bar.value)
    rows = "row" if len(bars) == 1 else "rows"
    return (
        f"Horizontal bar chart with {len(bars)} {rows}. The largest is {top.label}: {top.text} {unit}. "
        "The table below gives every figure."
    )


def _fit(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
