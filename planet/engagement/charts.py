"""Small server-side SVG charts (no JavaScript, no external library)."""

from __future__ import annotations

from markupsafe import Markup, escape


def bar_chart(
    points: list[tuple[str, float]], width: int = 640, height: int = 180, title: str = ""
) -> Markup:
    """A bar chart as inline SVG; labels are escaped."""
    pad_left, pad_bottom, pad_top = 36, 28, 10
    inner_w, inner_h = width - pad_left - 6, height - pad_bottom - pad_top
    top = max([value for _, value in points] + [1])
    n = max(len(points), 1)
    slot = inner_w / n
    bar = max(slot * 0.7, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 6}" '
        f'y2="{pad_top + inner_h}" stroke="#d1d5db"/>',
        f'<text x="{pad_left - 4}" y="{pad_top + 8}" text-anchor="end" font-size="10" '
        f'fill="#6b7280">{escape(_fmt(top))}</text>',
        f'<text x="{pad_left - 4}" y="{pad_top + inner_h}" text-anchor="end" font-size="10" '
        f'fill="#6b7280">0</text>',
    ]
    label_every = max(1, n // 8)
    for i, (label, value) in enumerate(points):
        h = inner_h * (value / top) if top else 0
        x = pad_left + i * slot + (slot - bar) / 2
        y = pad_top + inner_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#0f9d8a">'
            f"<title>{escape(label)}: {escape(_fmt(value))}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="10" fill="#6b7280">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
