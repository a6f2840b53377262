"""Referral codes are signed: a genuine code names its member in its planet; any edit, another
planet's code or a bare id names nobody, and the pages that read `?ref=` never fail on one."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest

from planet.members import referrals


def _forged(code: str, payload) -> str:
    """`code`'s signature on another payload (what editing the link's id amounts to)."""
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return body.decode().rstrip("=") + "." + code.split(".", 1)[1]


def test_a_code_names_its_member_in_its_planet_only(app):
    code = referrals.referral_code(7, 42)
    assert referrals.referrer_in(7, code) == 42
    assert referrals.referrer_in(8, code) is None
    assert referrals.referrer_in(7, _forged(code, [7, 43])) is None
    # A changed signature (its first character: the last one of base64 may carry only
    # padding bits, so changing it can decode to the same bytes).
    payload, signature = code.rsplit(".", 1)
    changed = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert referrals.referrer_in(7, f"{payload}.{changed}") is None
    app.config["SECRET_KEY"] = "another-key"
    assert referrals.referrer_in(7, code) is None


@pytest.mark.parametrize(
    "bad", ["", "42", "None", "x" * 10_000, "\x00", "é.é", "..", "WzcsNDJd", None, 42, ["42"]]
)
def test_anything_else_names_nobody(app, bad):
    assert referrals.referrer_in(7, bad) is None
    assert referrals.valid_code(7, bad) is None


def _join_href(page: str) -> str:
    match = re.search(r'<a class="button" href="([^"]*/checkout[^"]*)"', page)
    assert match, page
    return html.unescape(match.group(1))


@pytest.mark.parametrize("edit", ["id", "signature", "other planet", "bare id", "huge"])
def test_landing_and_checkout_ignore_an_edited_code(client, make, edit):
    planet = make.planet(price_amount=9900)
    referrer = make.user(name="Referrer")
    make.member(planet, referrer)
    code = referrals.referral_code(planet.id, referrer.id)
    bad = {
        "id": _forged(code, [planet.id, referrer.id + 1]),
        "signature": code[:-2] + ("xx" if not code.endswith("xx") else "yy"),
        "other planet": referrals.referral_code(planet.id + 1, referrer.id),
        "bare id": str(referrer.id),
        "huge": "9" * 5000,
    }[edit]
    genuine = client.get(f"/p/{planet.slug}/about?ref={code}").get_data(as_text=True)
    assert f"ref={code}" in _join_href(genuine)

    fresh = client.application.test_client()
    landing = fresh.get(f"/p/{planet.slug}/about", query_string={"ref": bad})
    assert landing.status_code == 200
    assert "ref=" not in _join_href(landing.get_data(as_text=True))
    short = fresh.get(f"/p/{planet.slug}/", query_string={"ref": bad})
    assert short.status_code == 302 and "ref=" not in short.headers["Location"]
    checkout = fresh.get(f"/p/{planet.slug}/checkout", query_string={"ref": bad})
    assert checkout.status_code == 200
    assert "Referrer" not in checkout.get_data(as_text=True)


def test_the_session_remembers_a_genuine_code_for_a_later_direct_visit(client, make, login_as):
    planet = make.planet(price_amount=9900)
    referrer = make.user(name="Referrer")
    make.member(planet, referrer)
    login_as(make.user())
    code = referrals.referral_code(planet.id, referrer.id)
    assert client.get(f"/p/{planet.slug}/about?ref={code}").status_code == 200
    later = client.get(f"/p/{planet.slug}/checkout", headers={"Accept-Language": "en"})
    page = later.get_data(as_text=True)
    assert "Invited by Referrer" in page
    assert f'name="ref" type="hidden" value="{code}"' in page or f'value="{code}"' in page
