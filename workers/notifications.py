"""Worker-side notification handlers that need worker bookkeeping (renewal attempts)."""

from __future__ import annotations

from planet import jobs
from planet.extensions import db
from planet.notifications import services
from planet.notifications.models import Kind
from planet.planets.models import Membership, Planet
from planet.web.links import external_url
from workers.billing import latest_attempt_number


@jobs.handler("payments.renewal_failed")
def renewal_failed(membership_id: int, **_ignored) -> None:
    """Payments defers this on each failed off-session charge. The billing sweep tells the
    member with the same dedupe key (membership, period, attempt), so they hear it once."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        return
    planet = db.session.get(Planet, membership.planet_id)
    attempt = latest_attempt_number(membership.id)
    period = membership.expires_at.isoformat() if membership.expires_at else "none"
    services.notify(
        membership.user_id,
        Kind.RENEWAL_FAILED,
        f"renewal_failed:{membership.id}:{period}:{'x' if attempt is None else attempt}",
        planet=planet,
        data={"link": external_url("payments.checkout", slug=planet.slug, renew=1)},
    )
