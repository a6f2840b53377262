"""Planet write operations: create, change settings, tags, avatar, dissolve.

Services validate what they are given (the same rules whether called from a form, the CLI or a
task), flush and never commit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from io import BytesIO
from zoneinfo import available_timezones as _zoneinfo_names

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from planet import images, jobs, policy
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import (
    MAX_RENEWAL_GRACE_DAYS,
    MIN_RENEWAL_GRACE_DAYS,
    Membership,
    Planet,
    PlanetTag,
    PostingPolicy,
    Role,
)
from planet.storage import storage
from planet.web import anoncache
from planet.web.forms import MAX_PRICE, max_price_text, price_problem

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
SLUG_MIN, SLUG_MAX = 3, 40
RESERVED_SLUGS = frozenset({
    "about", "account", "accounts", "admin", "administrator", "api", "app", "assets", "auth",
    "billing", "checkout", "dashboard", "discover", "explore", "help", "home", "inbox", "join",
    "login", "logout", "me", "messages", "new", "notifications", "p", "pay", "payment",
    "payments", "planet", "planets", "pricing", "privacy", "register", "settings", "signup",
    "static", "support", "terms", "webhook", "webhooks", "www",
})  # fmt: skip
NAME_MAX = 80
DESCRIPTION_MAX = 2000
RULES_MAX = 5000
CATEGORY_MAX = 40
TAG_MAX_LENGTH = 30
TAGS_MAX = 8
PREVIEW_MAX = 20
MINOR_DIGITS = {"cny": 2, "usd": 2, "eur": 2, "hkd": 2}  # = planet.web.forms.PRICE_PLACES
DEFAULT_TIMEZONE = "Asia/Shanghai"
# Offered first in the settings form; any IANA zone is accepted.
COMMON_TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "UTC",
)
AVATAR_MAX_SIDE = 512
AVATAR_FOLDER = "planets"

CATEGORIES = (
    "business",
    "tech",
    "career",
    "investing",
    "learning",
    "lifestyle",
    "creative",
    "other",
)


class InvalidInput(ServiceError):
    """Bad input; `field` names the form field it concerns (if any)."""

    status = 400

    def __init__(self, reason, field: str | None = None, status: int | None = None):
        super().__init__(reason, status)
        self.field = field


# ---------------------------------------------------------------- validation


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot be used (ignoring whether it is taken), or None."""
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        return _l("The address must be %(min)s to %(max)s characters.", min=SLUG_MIN, max=SLUG_MAX)
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        return _l(
            "Use lowercase letters, digits and single hyphens only, "
            "starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        return _l("This address is reserved. Please choose another.")
    return None


def slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Planet.id).where(Planet.slug == slug)) is not None


def parse_price(text: str | Decimal | int | None, currency: str) -> int:
    """A price in major units ("199", "99.5") to integer minor units. 0 means free. The limit
    is the one every price on Planet has (planet.web.forms.MAX_PRICE)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return 0
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidInput(_l("Enter the price as a number, e.g. 199 or 99.50."), "price") from None
    problem = price_problem(value)
    if problem is not None:
        raise InvalidInput(problem, "price")
    return int(value.scaleb(MINOR_DIGITS.get(currency, 2)))


def format_price(amount: int, currency: str) -> str:
    """Minor units to a display string: 19900, "cny" -> "¥199"; 9950, "usd" -> "$99.50"."""
    symbols = {"cny": "¥", "usd": "$", "eur": "€", "hkd": "HK$"}
    digits = MINOR_DIGITS.get(currency, 2)
    value = Decimal(amount).scaleb(-digits)
    text = f"{value:,.{digits}f}"
    if text.endswith("." + "0" * digits):
        text = text[: -(digits + 1)]
    symbol = symbols.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def price_input(amount: int, currency: str) -> str:
    """Minor units back to the form's decimal text."""
    digits = MINOR_DIGITS.get(currency, 2)
    value = Decimal(amount).scaleb(-digits)
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if amount else "0"


def _check_currency(currency: str) -> str:
    currency = (currency or "").lower()
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise InvalidInput(_l("This currency is not supported."), "currency")
    return currency


def parse_tags(text: str | list[str] | None) -> list[str]:
    """Discovery tags from "a, b，c #d": trimmed, lower-cased, unique, at most TAGS_MAX."""
    if not text:
        return []
    parts = text if isinstance(text, list) else re.split(r"[,，、;；\s]+", text)
    tags: list[str] = []
    for part in parts:
        tag = part.strip().lstrip("#").strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX_LENGTH:
            raise InvalidInput(
                _l("Each tag can have at most %(n)s characters.", n=TAG_MAX_LENGTH), "tags"
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise InvalidInput(_l("At most %(n)s tags.", n=TAGS_MAX), "tags")
    return tags


def _check_text(value: str, limit: int, field_name: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_l("This field is required."), field_name)
    if len(value) > limit:
        raise InvalidInput(_l("At most %(n)s characters.", n=limit), field_name)
    return value


# ---------------------------------------------------------------- settings


@dataclass
class PlanetSettings:
    """Everything the owner chooses about a planet (create and settings pages)."""

    name: str
    description: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    price_amount: int = 0
    currency: str = "cny"
    posting_policy: PostingPolicy = PostingPolicy.STAFF
    questions_enabled: bool = True
    anonymous_questions: bool = False
    comments_enabled: bool = True
    private_messages_enabled: bool = True
    roster_visible: bool = True
    preview_essence_count: int = 3
    rules: str = ""
    is_listed: bool = True
    public_directory: bool = False
    watermark: bool = False
    copy_protection: bool = False
    timezone: str = DEFAULT_TIMEZONE
    """IANA zone: check-in days, event times and the health view's weeks follow it."""
    renewal_grace_days: int | None = None
    """Days of access kept after expiry while a failed auto-renewal is retried (settings page
    only); None leaves the planet's value (the column's default, 7 days, when new)."""

    @classmethod
    def of(cls, planet: Planet) -> PlanetSettings:
        return cls(
            **{name: getattr(planet, name) for name in _SCALAR_FIELDS},
            tags=[tag.name for tag in planet.tags],
        )


_SCALAR_FIELDS = tuple(
    name for name in PlanetSettings.__dataclass_fields__ if name not in ("tags",)
)
_KEEP_WHEN_NONE = frozenset({"renewal_grace_days"})


@cache
def available_timezones() -> frozenset[str]:
    return frozenset(_zoneinfo_names())


def _check_timezone(name: str | None) -> str:
    name = (name or DEFAULT_TIMEZONE).strip()
    if name not in available_timezones():
        raise InvalidInput(_l("Choose a time zone from the list."), "timezone")
    return name


def _clean(settings: PlanetSettings) -> PlanetSettings:
    settings.name = _check_text(settings.name, NAME_MAX, "name", required=True)
    settings.description = _check_text(settings.description, DESCRIPTION_MAX, "description")
    settings.rules = _check_text(settings.rules, RULES_MAX, "rules")
    settings.category = (settings.category or "").strip()
    if settings.category and settings.category not in CATEGORIES:
        raise InvalidInput(_l("Choose a category from the list."), "category")
    settings.currency = _check_currency(settings.currency)
    settings.timezone = _check_timezone(settings.timezone)
    if not isinstance(settings.price_amount, int) or settings.price_amount < 0:
        raise InvalidInput(_l("The price cannot be negative."), "price")
    if settings.price_amount > MAX_PRICE:
        raise InvalidInput(_l("The price cannot exceed %(max)s.", max=max_price_text()), "price")
    settings.posting_policy = PostingPolicy(settings.posting_policy)
    if not 0 <= int(settings.preview_essence_count) <= PREVIEW_MAX:
        raise InvalidInput(
            _l("Show between 0 and %(n)s essence topics.", n=PREVIEW_MAX), "preview_essence_count"
        )
    grace = settings.renewal_grace_days
    if grace is not None and not MIN_RENEWAL_GRACE_DAYS <= int(grace) <= MAX_RENEWAL_GRACE_DAYS:
        raise InvalidInput(
            _l(
                "The grace period must be between %(low)s and %(high)s days.",
                low=MIN_RENEWAL_GRACE_DAYS,
                high=MAX_RENEWAL_GRACE_DAYS,
            ),
            "renewal_grace_days",
        )
    settings.tags = parse_tags(settings.tags)
    return settings


def _apply(planet: Planet, settings: PlanetSettings) -> None:
    anoncache.clear()  # the public pages showing it (landing, discover) in this process
    for name in _SCALAR_FIELDS:
        value = getattr(settings, name)
        if value is None and name in _KEEP_WHEN_NONE:
            continue
        setattr(planet, name, value)
    wanted = settings.tags
    for tag in list(planet.tags):
        if tag.name not in wanted:
            planet.tags.remove(tag)
    have = {tag.name for tag in planet.tags}
    for name in wanted:
        if name not in have:
            planet.tags.append(PlanetTag(name=name))


def create_planet(
    owner, slug: str, settings: PlanetSettings, avatar_path: str | None = None
) -> Planet:
    """Open a planet: the creator becomes its owner (no expiry) and its first member."""
    if not getattr(owner, "is_authenticated", False):
        raise ServiceError(_l("Please sign in first."), 401)
    slug = (slug or "").strip()
    problem = slug_problem(slug)
    if problem:
        raise InvalidInput(problem, "slug")
    if slug_taken(slug):
        raise Conflict(_l("This address is already taken. Please choose another."))
    settings = _clean(settings)
    planet = Planet(slug=slug, owner_id=owner.id, avatar_path=avatar_path, member_count=1)
    _apply(planet, settings)
    db.session.add(planet)
    db.session.flush()
    db.session.add(
        Membership(
            planet_id=planet.id,
            user_id=owner.id,
            role=Role.OWNER,
            expires_at=None,
            rules_accepted_at=utcnow(),
        )
    )
    db.session.flush()
    policy.forget_standing(planet.id, owner.id)
    return planet


def update_planet(
    planet: Planet, actor, settings: PlanetSettings, avatar_path: str | None = None
) -> Planet:
    """Change a planet's settings (owner only)."""
    policy.require(actor, policy.Action.EDIT_SETTINGS, planet)
    _apply(planet, _clean(settings))
    if avatar_path is not None:
        planet.avatar_path = avatar_path
    db.session.flush()
    return planet


def dissolve_planet(planet: Planet, actor) -> Planet:
    """Dissolve: the planet becomes read-only; members are told and money is settled by jobs."""
    policy.require(actor, policy.Action.DISSOLVE, planet)
    planet.dissolved_at = utcnow()
    planet.is_listed = False
    db.session.flush()
    anoncache.clear()
    jobs.defer("planets.dissolved", planet_id=planet.id)
    return planet


# ---------------------------------------------------------------- avatars


def save_avatar(stream) -> str:
    """Verify an uploaded image with Pillow, re-encode it as a PNG thumbnail, return its key.

    Re-encoding drops metadata and anything smuggled after the image data. At most
    UPLOAD_MAX_BYTES (refused beside the field with the limit, 413).
    """
    limit = images.upload_max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(images.too_large_reason(limit), "avatar", status=413)
    try:
        images.check_image(data)
    except images.BadImage:
        raise InvalidInput(
            _l("The avatar must be an image (PNG, JPEG, GIF or WebP)."), "avatar"
        ) from None
    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
            image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
            image.thumbnail((AVATAR_MAX_SIDE, AVATAR_MAX_SIDE))
            key = secrets.token_hex(16) + ".png"
            output = BytesIO()
            image.save(output, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(
            _l("The avatar must be an image (PNG, JPEG, GIF or WebP)."), "avatar"
        ) from None
    storage().put(f"{AVATAR_FOLDER}/{key}", output.getvalue(), "image/png")
    return key


AVATAR_KEY = re.compile(r"^[0-9a-f]{32}\.png$")


def avatar_storage_key(planet: Planet) -> str | None:
    """Where the planet's avatar is stored, or None when it has none (or a malformed one)."""
    key = planet.avatar_path
    if not key or not AVATAR_KEY.match(key):
        return None
    return f"{AVATAR_FOLDER}/{key}"
