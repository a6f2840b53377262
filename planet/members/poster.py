"""The invitation poster (邀请海报): a shareable image with the planet's cover, name and price,
the member's name and a QR code of their own referral link, in the viewer's language.

Drawn with Pillow; the QR code by the `qrcode` package. Chinese needs a CJK font: POSTER_FONT
names one, else the usual Noto CJK / WenQuanYi paths are tried (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import io

import qrcode
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageOps

from planet.images import cjk_font
from planet.members.referrals import referral_code
from planet.planets.models import Planet
from planet.planets.services import avatar_storage_key, format_price
from planet.storage import storage
from planet.web.links import external_url

WIDTH, HEIGHT = 750, 1200
BRAND = (15, 118, 110)
INK, MUTED = (23, 23, 23), (100, 100, 110)


def invite_url(planet: Planet, user_id: int) -> str:
    """The member's referral link to the planet's landing page (what the QR code holds)."""
    return external_url("planets.landing", slug=planet.slug, ref=referral_code(planet.id, user_id))


def _qr(url: str, size: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return image.resize((size, size), Image.NEAREST)


def _cover(planet: Planet, size: int) -> Image.Image:
    key = avatar_storage_key(planet)
    data = storage().read(key) if key else None
    if data:
        with Image.open(io.BytesIO(data)) as image:
            return ImageOps.fit(image.convert("RGB"), (size, size))
    tile = Image.new("RGB", (size, size), (220, 240, 236))
    draw = ImageDraw.Draw(tile)
    draw.text(
        (size / 2, size / 2), planet.name[:1], font=cjk_font(size // 2), fill=BRAND, anchor="mm"
    )
    return tile


def _wrapped(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of `text` that fit `width` (character by character: Chinese has no spaces)."""
    lines, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font) > width:
            lines.append(line)
            line = char.lstrip()
            if len(lines) == max_lines:
                lines[-1] = lines[-1][:-1] + "…"
                return lines
        else:
            line += char
    return [*lines, line] if line else lines


def _price(planet: Planet) -> str:
    if planet.is_free:
        return _("Free to join")
    return _("%(price)s a year", price=format_price(planet.price_amount, planet.currency))


def render_poster(planet: Planet, member_name: str, user_id: int) -> bytes:
    """The poster as PNG bytes, in the current locale."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(poster)
    draw.rectangle((0, 0, WIDTH, 340), fill=BRAND)
    poster.paste(_cover(planet, 220), ((WIDTH - 220) // 2, 80))
    y = 340 + 40
    for line in _wrapped(draw, planet.name, cjk_font(52), WIDTH - 120, 2):
        draw.text((WIDTH / 2, y), line, font=cjk_font(52), fill=INK, anchor="ma")
        y += 66
    draw.text((WIDTH / 2, y + 6), _price(planet), font=cjk_font(34), fill=BRAND, anchor="ma")
    y += 70
    invite = _("%(name)s invites you to join", name=member_name)
    for line in _wrapped(draw, invite, cjk_font(30), WIDTH - 120, 2):
        draw.text((WIDTH / 2, y), line, font=cjk_font(30), fill=MUTED, anchor="ma")
        y += 42
    qr_size = 320
    top = HEIGHT - qr_size - 130
    poster.paste(_qr(invite_url(planet, user_id), qr_size), ((WIDTH - qr_size) // 2, top))
    draw.text(
        (WIDTH / 2, top + qr_size + 30),
        _("Scan to join"),
        font=cjk_font(28),
        fill=MUTED,
        anchor="ma",
    )
    output = io.BytesIO()
    poster.save(output, format="PNG", optimize=True)
    return output.getvalue()
