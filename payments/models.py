"""Money models: pricing settings, coupons, partners, payments, refunds, the ledger, payouts,
provider events and auto-renewal attempts. Amounts are integer minor units of `currency`;
instants are UTC.

Ledger rows are append-only: their amounts never change. Settlement only stamps `settled_at`
on rows whose refund window has closed; a refund or correction is a new row.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


def _enum(cls, length: int = 24):
    return Enum(cls, native_enum=False, length=length)


class PlanetPricing(db.Model):
    """The owner's money settings for one planet (the join price itself is Planet.price_amount)."""

    __tablename__ = "payment_planet_pricing"
    __table_args__ = (
        CheckConstraint("referral_rate_bps >= 0 AND referral_rate_bps <= 5000", name="ref_rate"),
        CheckConstraint("trial_days >= 0 AND trial_days <= 60", name="trial_days"),
        CheckConstraint("grace_days >= 0 AND grace_days <= 90", name="grace_days"),
        CheckConstraint(
            "question_deadline_hours >= 1 AND question_deadline_hours <= 720", name="q_deadline"
        ),
        CheckConstraint(
            "guest_question_share_bps >= 0 AND guest_question_share_bps <= 10000", name="q_share"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(
        ForeignKey("planets.id", ondelete="CASCADE"), unique=True
    )
    renewal_price: Mapped[int | None] = mapped_column(Integer)
    """Normal renewal price; None means the join price."""
    early_renewal_price: Mapped[int | None] = mapped_column(Integer)
    """Price when renewing before expiry; None means the normal renewal price."""
    grace_price: Mapped[int | None] = mapped_column(Integer)
    """Price when renewing within `grace_days` after expiry; None means the renewal price."""
    grace_days: Mapped[int] = mapped_column(Integer, default=7)
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    """0: no free trial."""
    trial_requires_card: Mapped[bool] = mapped_column(Boolean, default=False)
    referral_rate_bps: Mapped[int] = mapped_column(Integer, default=0)
    """Commission to the referring member, in basis points of the gross (0..5000)."""
    question_deadline_hours: Mapped[int] = mapped_column(Integer, default=48)
    """How long the one asked has to answer a paid question before it is refunded."""
    guest_question_share_bps: Mapped[int] = mapped_column(Integer, default=7000)
    """A guest's share of their paid questions and peeks, after the platform fee."""
    peek_price: Mapped[int] = mapped_column(Integer, default=100)
    """What reading someone else's private answer costs (偷看), minor units."""

    def __repr__(self) -> str:
        return model_repr(self, "planet_id")


class Partner(CreatedAtMixin, db.Model):
    """A partner (合伙人) sharing `share_bps` of the creator's part of each payment."""

    __tablename__ = "payment_partners"
    __table_args__ = (
        UniqueConstraint("planet_id", "user_id"),
        CheckConstraint("share_bps > 0 AND share_bps <= 10000", name="share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    share_bps: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "share_bps")


class CouponKind(enum.StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class Coupon(CreatedAtMixin, db.Model):
    __tablename__ = "payment_coupons"
    __table_args__ = (
        UniqueConstraint("planet_id", "code"),
        CheckConstraint("used_count >= 0", name="used_not_negative"),
        CheckConstraint("max_uses IS NULL OR used_count <= max_uses", name="used_within_limit"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    """Stored upper-case."""
    kind: Mapped[CouponKind] = mapped_column(_enum(CouponKind, 16))
    value: Mapped[int] = mapped_column(Integer)
    """Percent (1..100) or a fixed amount in minor units."""
    max_uses: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "code")


class BillingCustomer(CreatedAtMixin, db.Model):
    """A user's customer at the provider. Its row is also the per-user lock for payments."""

    __tablename__ = "payment_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    provider_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    connected_account_id: Mapped[str | None] = mapped_column(String(64))
    """Stripe Connect account that receives this user's payouts (owners, partners, referrers)."""

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "provider_customer_id")


class AutoRenewal(CreatedAtMixin, db.Model):
    """A member's opt-in to be charged off-session for the next year."""

    __tablename__ = "payment_auto_renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), unique=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    """The saved card (at the provider) to charge."""

    def __repr__(self) -> str:
        return model_repr(self, "membership_id", "enabled")


class PaymentKind(enum.StrEnum):
    JOIN = "join"
    RENEWAL = "renewal"
    AUTO_RENEWAL = "auto_renewal"
    GIFT = "gift"
    """A year bought for someone else: makes a gift code, grants the buyer nothing."""
    QUESTION = "question"
    """A paid question (付费提问): `topic_id` is the question it pays for."""
    PEEK = "peek"
    """Reading a private answer (偷看): `topic_id` is the question whose answer it opens."""


QUESTION_KINDS = (PaymentKind.QUESTION, PaymentKind.PEEK)


class PaymentStatus(enum.StrEnum):
    CREATED = "created"
    """Stored; nothing charged yet."""
    REQUIRES_ACTION = "requires_action"
    """Waiting for 3-D Secure in the browser."""
    PROCESSING = "processing"
    """The provider accepted it; waiting for the verified event."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    DISPUTED = "disputed"
    """The buyer's bank opened a dispute (a chargeback): the money is held until it closes."""
    CHARGED_BACK = "charged_back"
    """The dispute was lost: the bank took the money back."""


PAID_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUNDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.DISPUTED,
    PaymentStatus.CHARGED_BACK,
)


class Payment(CreatedAtMixin, db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunded"),
        Index("ix_payments_user_created", "user_id", "id"),
        Index("ix_payments_planet_created", "planet_id", "id"),
        Index("ix_payments_status_created", "status", "id"),
        Index("ix_payments_membership", "membership_id", "status"),
        # One payment per question and asker, one per private answer and reader: paying twice
        # for the same thing is impossible (join payments have no topic: NULLs never clash).
        UniqueConstraint("topic_id", "user_id", "kind", name="uq_payments_topic_user_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    kind: Mapped[PaymentKind] = mapped_column(_enum(PaymentKind, 16))
    status: Mapped[PaymentStatus] = mapped_column(
        _enum(PaymentStatus), default=PaymentStatus.CREATED
    )
    amount: Mapped[int] = mapped_column(Integer)
    """What the member pays (after any coupon), minor units."""
    list_price: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("payment_coupons.id"))
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Confirmation attempts; each provider call's idempotency key includes it."""
    provider_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str] = mapped_column(String(255), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    processing_fee: Mapped[int | None] = mapped_column(Integer)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    """Paid while already a member (two checkouts at once): refunded, grants nothing."""
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    """What a question or peek payment buys (None for memberships)."""

    @property
    def refundable_amount(self) -> int:
        if self.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
            return 0
        return self.amount - self.refunded_amount

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "status", "amount")


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(CreatedAtMixin, db.Model):
    __tablename__ = "payment_refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payment_refunds_payment", "payment_id"),
        UniqueConstraint("payment_id", "request_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[RefundStatus] = mapped_column(_enum(RefundStatus, 16))
    reason: Mapped[str] = mapped_column(String(32))
    """member, owner, duplicate, dissolved, provider (made outside Planet)."""
    initiated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_bears: Mapped[bool] = mapped_column(Boolean, default=False)
    """After the refund window the owner refunds from their own balance."""
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_key: Mapped[str | None] = mapped_column(String(32))
    """The refund form's submission key: a second submission of one form is this refund."""

    def __repr__(self) -> str:
        return model_repr(self, "payment_id", "amount", "status")


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Dispute(CreatedAtMixin, db.Model):
    """A chargeback on one of our payments, one row per provider dispute."""

    __tablename__ = "payment_disputes"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payment_disputes_payment", "payment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    provider_dispute_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    """What the bank holds (the ledger reverses it while the dispute is open)."""
    reason: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[DisputeStatus] = mapped_column(_enum(DisputeStatus, 8))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "payment_id", "amount", "status")


class Party(enum.StrEnum):
    PLATFORM = "platform"
    REFERRER = "referrer"
    PARTNER = "partner"
    OWNER = "owner"
    PROVIDER = "provider"
    """The provider's processing fee (borne by the platform's part)."""
    GUEST = "guest"
    """A guest's share of a paid question they answered (or of a peek at their answer)."""
    ESCROW = "escrow"
    """A paid question's money held until it is answered (split) or refunded; never settled."""


class LedgerEntry(CreatedAtMixin, db.Model):
    """One party's share of a payment (positive) or of a refund (negative). Never updated,
    except `settled_at` (pending -> available)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_user_settled", "user_id", "currency", "settled_at"),
        Index("ix_ledger_planet_created", "planet_id", "created_at"),
        Index("ix_ledger_unsettled", "settled_at", "available_at"),
        Index("ix_ledger_payment", "payment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(80), unique=True)
    """`pay:<payment>:<party>:<user>` or `ref:<refund>:...`: writing a split twice is impossible."""
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("payment_refunds.id"))
    party: Mapped[Party] = mapped_column(_enum(Party, 16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who earns it (None for the platform and the provider)."""
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the refund window closes for this money."""
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "payment_id", "party", "user_id", "amount")


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    """Transferred to the connected account."""
    PAYABLE = "payable"
    """No connected account: to be paid by hand."""
    FAILED = "failed"


class Payout(CreatedAtMixin, db.Model):
    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payouts_user", "user_id", "currency", "status"),
        Index("ix_payouts_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PayoutStatus] = mapped_column(_enum(PayoutStatus, 16))
    destination: Mapped[str | None] = mapped_column(String(64))
    provider_transfer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure_message: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "amount", "status")


class ProviderEvent(db.Model):
    """Every verified provider event, stored once by its id before it is processed."""

    __tablename__ = "payment_provider_events"
    __table_args__ = (Index("ix_provider_events_unprocessed", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        return model_repr(self, "event_id", "type")


class RenewalAttempt(CreatedAtMixin, db.Model):
    """One off-session charge attempt for a membership period (attempt 0, then retries after
    1, 3 and 7 days). Unique per period and attempt, so a re-run never charges twice."""

    __tablename__ = "worker_renewal_attempts"
    __table_args__ = (
        UniqueConstraint("membership_id", "period_end", "attempt"),
        Index("ix_worker_renewal_attempts_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    """The expiry being renewed: the idempotency key's anchor."""
    attempt: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="due")
    """due, succeeded, failed, cancelled."""
    outcome: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        return model_repr(self, "membership_id", "attempt", "status")


class MismatchKind(enum.StrEnum):
    STRAY_CHARGE = "stray_charge"
    """A succeeded charge at the provider that no payment of ours accounts for."""
    UNKNOWN_REFUND = "unknown_refund"
    """A refund at the provider we had no row for (imported with its ledger reversal)."""
    REFUNDED_AMOUNT = "refunded_amount"
    """Our refunded amount and the provider's disagree."""


class MismatchAction(enum.StrEnum):
    PENDING = "pending"
    """Found; the refund at the provider has not gone through yet (the next run retries)."""
    REFUNDED = "refunded"
    RECORDED = "recorded"
    NEEDS_HUMAN = "needs_human"


class ProviderMismatch(CreatedAtMixin, db.Model):
    """Something at the provider our rows do not account for, found by reconciliation. One row
    per provider object and kind, so a re-run finds the row and changes nothing."""

    __tablename__ = "payment_provider_mismatches"
    __table_args__ = (
        UniqueConstraint("kind", "provider_object_id"),
        Index("ix_payment_provider_mismatches_list", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MismatchKind] = mapped_column(_enum(MismatchKind, 24))
    provider_object_id: Mapped[str] = mapped_column(String(64))
    """The PaymentIntent (or a bare charge, or a refund) at the provider."""
    action: Mapped[MismatchAction] = mapped_column(_enum(MismatchAction, 16))
    amount: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(255), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the refund went through (stray charges)."""

    def __repr__(self) -> str:
        return model_repr(self, "kind", "provider_object_id", "action")


class GiftCode(CreatedAtMixin, db.Model):
    """A year of a planet bought as a gift (payments/gifts.py): the code is made with the
    payment, usable once the verified payment succeeded, and redeemed once, under its row lock."""

    __tablename__ = "payment_gift_codes"
    __table_args__ = (Index("ix_payment_gift_codes_buyer", "buyer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), unique=True
    )
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    """Random and unguessable (about 80 bits); what the recipient types."""
    recipient_email: Mapped[str] = mapped_column(String(254), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "payment_id", "redeemed_at")
