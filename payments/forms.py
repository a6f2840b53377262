"""Money forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from planet.content.services.text import BODY_MAX
from planet.members.forms import accept_rules_field
from planet.web.forms import (
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    PriceField,
    RequestKeyField,
)


class CheckoutForm(FlaskForm):
    planet_id = HiddenField()
    expected_amount = HiddenField()
    coupon = StringField(_l("Coupon code"), validators=[Optional(), Length(max=32)])
    ref = HiddenField()
    auto_renew = BooleanField(_l("Renew automatically each year with this card"))
    accept_rules = accept_rules_field()


class RefundForm(FlaskForm):
    amount = DecimalField(_l("Amount to refund"), places=2, validators=[Optional()])
    request_key = RequestKeyField()


class PricingForm(FlaskForm):
    renewal_price = DecimalField(_l("Renewal price"), places=2, validators=[Optional()])
    early_renewal_price = DecimalField(
        _l("Early renewal price (before expiry)"), places=2, validators=[Optional()]
    )
    grace_price = DecimalField(
        _l("Grace-period price (just after expiry)"), places=2, validators=[Optional()]
    )
    grace_days = IntegerField(_l("Grace period (days)"), default=7, validators=[NumberRange(0, 90)])
    trial_days = IntegerField(
        _l("Free trial (days, 0 for none)"), default=0, validators=[NumberRange(0, 60)]
    )
    trial_requires_card = BooleanField(_l("The trial needs a card on file"))
    referral_rate = DecimalField(
        _l("Referral commission (%)"), places=2, default=0, validators=[NumberRange(0, 50)]
    )


class PartnerForm(FlaskForm):
    email = StringField(_l("Partner's email"), validators=[DataRequired(), Length(max=254)])
    share = DecimalField(
        _l("Share of the creator's part (%)"), places=2, validators=[NumberRange(0, 100)]
    )


class CouponForm(FlaskForm):
    code = StringField(
        _l("Code (empty: a random one)"),
        validators=[Optional(), Length(min=6, max=32)],
        filters=[lambda value: (value or "").strip()],
    )
    kind = SelectField(
        _l("Kind"), choices=[("percent", _l("Percent off")), ("fixed", _l("Amount off"))]
    )
    value = DecimalField(_l("Value"), places=2, validators=[DataRequired()])
    max_uses = IntegerField(_l("Use limit"), validators=[Optional(), NumberRange(1, 1_000_000)])
    expires_at = DateTimeLocalField(
        _l("Expires (UTC)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


class PayoutAccountForm(FlaskForm):
    account_id = StringField(
        _l("Stripe connected account id (acct_...)"), validators=[Optional(), Length(max=64)]
    )


class GiftForm(FlaskForm):
    """Buy a year of a planet for someone else (payments/gifts.py)."""

    recipient_email = StringField(
        _l("Their email address (optional: we mail them the code)"),
        validators=[Optional(), Length(max=254)],
    )


class RedeemGiftForm(FlaskForm):
    code = StringField(_l("Gift code"), validators=[DataRequired(), Length(max=40)])
    accept_rules = accept_rules_field()


class PaidAskForm(FlaskForm):
    """A question to someone with a price: paid before the one asked sees it."""

    body = TextAreaField(
        _l("Your question"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(message=_l("This cannot be empty.")), Length(max=BODY_MAX)],
    )
    answer_private = BooleanField(
        _l("Keep the answer private: only I can read it (others may pay a little to peek)")
    )
    anonymous = BooleanField(_l("Ask anonymously"))
    expected_amount = HiddenField()


class QuestionPriceForm(FlaskForm):
    """The owner's or a guest's own price for a question (empty: questions stay free)."""

    price = PriceField(_l("Price of a question to me (empty: free for members)"))
    audience = SelectField(
        _l("Who may ask"),
        choices=[
            ("members", _l("Members")),
            ("visitors", _l("Visitors (signed in, not members)")),
            ("both", _l("Members and visitors")),
        ],
    )


class QuestionSettingsForm(FlaskForm):
    """The owner's rules for every paid question in the planet."""

    deadline_hours = IntegerField(
        _l("Hours to answer a paid question before it is refunded"),
        default=48,
        validators=[NumberRange(1, 720, message=_l("Between 1 and 720 hours."))],
    )
    guest_share = DecimalField(
        _l("A guest's share of their paid questions, after the platform fee (%)"),
        places=2,
        default=70,
        validators=[NumberRange(0, 100, message=_l("Between 0% and 100%."))],
    )
    peek_price = PriceField(_l("Price to peek at a private answer"))


class WeeklyReportForm(FlaskForm):
    """The weekday of the owner's weekly report ("off" switches it off); the choices, weekday
    names in the viewer's language, are set by the view."""

    day = SelectField(_l("Mail me the weekly report on"), choices=[])


class WinBackForm(FlaskForm):
    """The win-back page's buttons: the CSRF token (the discount is read by the view)."""


class CampaignForm(FlaskForm):
    """A message to a segment (payments/campaigns.py); the segment comes from the page."""

    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=120)])
    body = TextAreaField(_l("Message text"), validators=[DataRequired(), Length(max=2000)])
    percent = SelectField(_l("Renewal coupon"), choices=[], default="")
