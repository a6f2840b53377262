"""Forms for creating a planet, its settings and dissolving it."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from planet.planets import services
from planet.planets.models import (
    DEFAULT_RENEWAL_GRACE_DAYS,
    MAX_RENEWAL_GRACE_DAYS,
    MIN_RENEWAL_GRACE_DAYS,
    PostingPolicy,
)
from planet.web.forms import IntegerField, PriceField

CATEGORY_LABELS = {
    "business": _l("Business"),
    "tech": _l("Technology"),
    "career": _l("Career"),
    "investing": _l("Investing"),
    "learning": _l("Learning"),
    "lifestyle": _l("Lifestyle"),
    "creative": _l("Creative"),
    "other": _l("Other"),
}


class _PlanetFields(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=services.NAME_MAX)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=services.DESCRIPTION_MAX)]
    )
    avatar = FileField(
        _l("Avatar"),
        validators=[FileAllowed(["png", "jpg", "jpeg", "gif", "webp"], _l("Images only."))],
    )
    category = SelectField(_l("Category"))
    tags = StringField(_l("Discovery tags"), validators=[Length(max=services.TAGS_MAX * 32)])
    price = PriceField(_l("Yearly price"), default=0)
    currency = SelectField(_l("Currency"))
    posting_policy = SelectField(
        _l("Who may publish topics"),
        choices=[
            SelectChoice(PostingPolicy.STAFF.value, _l("The owner, admins and guests")),
            SelectChoice(PostingPolicy.MEMBERS.value, _l("Every member")),
        ],
        default=PostingPolicy.STAFF.value,
    )
    questions_enabled = BooleanField(_l("Members may ask questions"), default=True)
    anonymous_questions = BooleanField(_l("Allow anonymous questions"), default=False)
    comments_enabled = BooleanField(_l("Comments on"), default=True)
    private_messages_enabled = BooleanField(_l("Private messages between members"), default=True)
    roster_visible = BooleanField(_l("Members can see the member list"), default=True)
    preview_essence_count = IntegerField(
        _l("Essence topics shown on the landing page"),
        default=3,
        validators=[InputRequired(), NumberRange(min=0, max=services.PREVIEW_MAX)],
    )
    rules = TextAreaField(_l("Rules"), validators=[Length(max=services.RULES_MAX)])
    is_listed = BooleanField(_l("List on the discover page"), default=True)
    public_directory = BooleanField(_l("Visitors may see members' introductions"), default=False)
    watermark = BooleanField(
        _l("Watermark what members read"),
        default=False,
        description=_l(
            "Each member sees their name and member number over topic images, PDF pages and "
            "topic pages. A leaked screenshot then shows whose it was: look the number up on "
            "the leak lookup page."
        ),
    )
    copy_protection = BooleanField(
        _l("Turn off copying and download buttons"),
        default=False,
        description=_l(
            "Text cannot be selected or copied and images have no download button or menu. "
            "This only makes copying less convenient: anyone can still take a screenshot, "
            "photograph the screen or read the page's source, and the Files tab stays "
            "downloadable. The watermark is what traces a leak."
        ),
    )
    timezone = SelectField(
        _l("Time zone"),
        default=services.DEFAULT_TIMEZONE,
        validate_choice=False,  # any IANA zone; the service checks it
        description=_l("Check-in days, event times and weekly figures follow it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(key, label) for key, label in CATEGORY_LABELS.items()
        ]
        self.currency.choices = [
            SelectChoice(code, code.upper()) for code in current_app.config["SUPPORTED_CURRENCIES"]
        ]
        self.timezone.choices = [SelectChoice(zone, zone) for zone in services.COMMON_TIMEZONES]

    def _offer_timezone(self, zone: str) -> None:
        if zone and zone not in services.COMMON_TIMEZONES:
            self.timezone.choices.append(SelectChoice(zone, zone))

    def validate_tags(self, field):
        try:
            services.parse_tags(field.data)
        except services.InvalidInput as error:
            raise ValidationError(str(error.reason)) from None

    def to_settings(self) -> services.PlanetSettings:
        currency = self.currency.data
        return services.PlanetSettings(
            name=self.name.data or "",
            description=self.description.data or "",
            category=self.category.data or "",
            tags=services.parse_tags(self.tags.data),
            price_amount=services.parse_price(self.price.data, currency),
            currency=currency,
            posting_policy=PostingPolicy(self.posting_policy.data),
            questions_enabled=self.questions_enabled.data,
            anonymous_questions=self.anonymous_questions.data,
            comments_enabled=self.comments_enabled.data,
            private_messages_enabled=self.private_messages_enabled.data,
            roster_visible=self.roster_visible.data,
            preview_essence_count=self.preview_essence_count.data,
            rules=self.rules.data or "",
            is_listed=self.is_listed.data,
            public_directory=self.public_directory.data,
            watermark=self.watermark.data,
            copy_protection=self.copy_protection.data,
            timezone=self.timezone.data or services.DEFAULT_TIMEZONE,
        )

    def fill_from(self, planet) -> None:
        settings = services.PlanetSettings.of(planet)
        for name in services._SCALAR_FIELDS:
            if name in self._fields and name not in ("price_amount",):
                value = getattr(settings, name)
                self[name].data = value.value if hasattr(value, "value") else value
        self.price.data = services.price_input(planet.price_amount, planet.currency)
        self.tags.data = ", ".join(settings.tags)
        self._offer_timezone(settings.timezone)


class CreatePlanetForm(_PlanetFields):
    slug = StringField(
        _l("Address"),
        validators=[DataRequired(), Length(min=services.SLUG_MIN, max=services.SLUG_MAX)],
        description=_l("Lowercase letters, digits and hyphens: /p/your-address"),
    )

    def validate_slug(self, field):
        problem = services.slug_problem((field.data or "").strip())
        if problem:
            raise ValidationError(str(problem))


class SettingsForm(_PlanetFields):
    renewal_grace_days = IntegerField(
        _l("Grace period after a failed auto-renewal (days)"),
        default=DEFAULT_RENEWAL_GRACE_DAYS,
        validators=[
            Optional(),  # not sent: unchanged
            NumberRange(min=MIN_RENEWAL_GRACE_DAYS, max=MAX_RENEWAL_GRACE_DAYS),
        ],
        description=_l(
            "When a member's card is declined at renewal, they keep access this long while "
            "the charge is retried (after 1, 3 and 7 days)."
        ),
    )

    def to_settings(self) -> services.PlanetSettings:
        settings = super().to_settings()
        field = self.renewal_grace_days
        settings.renewal_grace_days = field.data if field.raw_data else None  # not sent: kept
        return settings


class DissolveForm(FlaskForm):
    confirm = StringField(_l("Type the planet's address to confirm"), validators=[DataRequired()])
