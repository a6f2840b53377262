"""Icons are inline SVG (templates/base/macros.html: icon), never emoji characters: an emoji
shows as an empty box on a system without an emoji font (the logo, 提问, 评论 did)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError

ROOT = Path(__file__).resolve().parent.parent

# Code points that are emoji, or that a browser may draw from an emoji font: the pictograph
# planes, miscellaneous symbols and dingbats (♥ ✓ ✅ ⚠ ✏), the emoji of Misc Technical and
# of the arrows (⌚ ⏰ ↩), stars and squares (⭐ ⬛), keycaps, the emoji variation selector and
# the zero-width joiner. Plain arrows (← →) and CJK punctuation are text, not emoji.
EMOJI = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0x2300, 0x23FF),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x20E3, 0x20E3),
    (0xFE0F, 0xFE0F),
    (0x200D, 0x200D),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in EMOJI)


def _templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in {".html", ".txt"})


def _emoji_in(path: Path) -> list[str]:
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for char in line:
            if _is_emoji(char):
                found.append(f"{where}:{number}: U+{ord(char):04X} {char!r}")
    return found


def test_the_scan_sees_the_emoji_it_must_refuse(tmp_path):
    sample = tmp_path / "sample.html"
    sample.write_text("🪐 💬 ✏️ ❓ ✅ ✓ ♡ ⚠ 📅 ⭐ ⏰ ← → 「：」，中文", encoding="utf-8")
    found = "".join(_emoji_in(sample))
    for code in ("1FA90", "1F4AC", "270F", "FE0F", "2753", "2705", "2713", "2661", "26A0"):
        assert f"U+{code}" in found
    assert "U+2190" not in found and "U+2192" not in found and "U+300C" not in found


def test_no_template_uses_an_emoji_character():
    templates = _templates()
    assert len(templates) > 50
    found = [hit for path in templates for hit in _emoji_in(path)]
    assert found == [], "emoji in templates (use the icon() macro instead):\n" + "\n".join(found)


def _macro(app, name: str):
    return getattr(app.jinja_env.get_template("base/macros.html").module, name)


def test_every_icon_a_template_names_is_drawn(app):
    icon = _macro(app, "icon")
    names = set()
    for path in _templates():
        names |= set(re.findall(r"\bicon\('([\w-]+)'", path.read_text(encoding="utf-8")))
    assert {"planet", "comment", "edit", "question"} <= names
    with app.test_request_context("/"):
        for name in sorted(names):
            svg = str(icon(name))
            assert svg.startswith("<svg") and svg.endswith("</svg>"), name
            assert "<path" in svg or "<circle" in svg or "<rect" in svg, name


def test_an_icon_is_svg_in_the_text_colour_hidden_unless_labelled(app):
    icon = _macro(app, "icon")
    with app.test_request_context("/"):
        decorative = str(icon("comment"))
        labelled = str(icon("check", "Your choice"))
        with pytest.raises(UndefinedError):
            str(icon("no-such-icon"))
    assert 'aria-hidden="true"' in decorative and "<title>" not in decorative
    assert 'stroke="currentColor"' in decorative
    assert 'role="img"' in labelled and 'aria-label="Your choice"' in labelled
    assert "<title>Your choice</title>" in labelled and "aria-hidden" not in labelled


def test_the_top_bar_logo_is_an_svg_icon(client):
    response = client.get("/discover")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert "<svg" in brand and "icon-planet" in brand
    assert not any(_is_emoji(char) for char in page)
