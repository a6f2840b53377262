"""Digests: only what the member may read at send time, once per member and period, HTML +
text in the member's language, signed one-click unsubscribe."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from planet.extensions import db
from planet.notifications import tokens
from planet.notifications.models import DigestFrequency, Outbox
from planet.planets.models import MembershipStatus
from workers import digests

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday
IN_LAST_WEEK = NOW - timedelta(days=3)


def _setup(make):
    owner = make.user(email="owner@example.com")
    planet = make.planet(owner, name="Canary Planet")
    reader = make.user(email="reader@example.com", locale="en")
    zh_reader = make.user(email="zh@example.com", locale="zh")
    lapsed = make.user(email="lapsed@example.com")
    make.member(planet, reader)
    make.member(planet, zh_reader)
    make.member(planet, lapsed, expires_in=timedelta(days=-1))  # expired, not yet swept
    make.topic(planet, owner, "Paid CANARY-123 topic", title="Weekly notes", feed_at=IN_LAST_WEEK)
    make.question(planet, reader, owner, "Unanswered secret?")  # never in a digest
    return owner, planet, reader, zh_reader


def test_weekly_digest_once_per_member_and_period(app, make, smtp_catcher):
    owner, planet, reader, zh_reader = _setup(make)
    for _ in range(3):
        digests.fan_out_weekly(NOW)
    recipients = sorted(m["To"] for m in smtp_catcher.messages)
    assert recipients == ["owner@example.com", "reader@example.com", "zh@example.com"]
    mail = smtp_catcher.to("reader@example.com")[0]
    text, html = smtp_catcher.text(mail), smtp_catcher.html(mail)
    assert "Weekly notes" in text and "Weekly notes" in html
    assert "Unanswered secret" not in text
    assert "what is new" in mail["Subject"]
    assert mail["List-Unsubscribe"].strip().startswith("<http")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    zh_mail = smtp_catcher.to("zh@example.com")[0]
    assert "本周" in zh_mail["Subject"] or "新" in zh_mail["Subject"]
    assert not smtp_catcher.to("lapsed@example.com")


def test_daily_subscribers_and_off(app, make, smtp_catcher):
    owner, planet, reader, zh_reader = _setup(make)
    from planet.notifications import services

    services.set_digest_frequency(reader.id, planet.id, DigestFrequency.DAILY)
    services.set_digest_frequency(zh_reader.id, planet.id, DigestFrequency.OFF)
    make.topic(planet, owner, "Fresh", title="Yesterday", feed_at=NOW - timedelta(hours=12))
    db.session.commit()
    digests.fan_out_daily(NOW)
    assert [m["To"] for m in smtp_catcher.messages] == ["reader@example.com"]
    smtp_catcher.clear()
    digests.fan_out_weekly(NOW)
    assert [m["To"] for m in smtp_catcher.messages] == ["owner@example.com"]


def test_nothing_new_sends_nothing(app, make, smtp_catcher):
    planet = make.planet()
    make.member(planet)
    digests.fan_out_weekly(NOW)
    assert smtp_catcher.messages == []


def test_a_revoked_member_gets_nothing(app, make, smtp_catcher):
    owner, planet, reader, zh_reader = _setup(make)
    from planet.planets.models import Membership

    membership = db.session.scalar(select(Membership).where(Membership.user_id == reader.id))
    membership.status = MembershipStatus.REFUNDED
    db.session.commit()
    digests.fan_out_weekly(NOW)
    assert not smtp_catcher.to("reader@example.com")


def test_one_click_unsubscribe(app, make, client):
    owner, planet, reader, zh_reader = _setup(make)
    token = tokens.unsubscribe_token(reader.id, planet.id)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Canary Planet" in page.get_data(as_text=True)
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    from planet.notifications import services

    assert services.digest_frequency(reader.id, planet.id) is DigestFrequency.OFF
    assert client.post(f"/unsubscribe/{token}x").status_code == 400
    assert client.get("/unsubscribe/garbage").status_code == 400


def test_unsent_digest_is_finished_by_a_rerun(app, make, smtp_catcher):
    owner, planet, reader, zh_reader = _setup(make)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # SMTP down during the first run
    digests.fan_out_weekly(NOW)
    assert smtp_catcher.messages == []
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 3
    app.config["MAIL_PORT"] = port
    digests.fan_out_weekly(NOW)
    digests.fan_out_weekly(NOW)
    assert len(smtp_catcher.messages) == 3


def test_already_queued_is_one_query_per_batch(app, make, smtp_catcher, query_counter):
    """A re-run of a batch costs the same number of queries for 5 members as for 20."""
    from planet.notifications.models import DigestFrequency

    owner = make.user()
    planet = make.planet(owner)
    ids = [make.member(planet).id for _ in range(20)]
    make.topic(planet, owner, "News", title="News", feed_at=IN_LAST_WEEK)
    key, since, until = digests.period_of(DigestFrequency.WEEKLY, NOW)
    digests.run_batch(ids, DigestFrequency.WEEKLY, key, since, until)
    assert len(smtp_catcher.messages) == 20
    counts = []
    for batch in (ids[:5], ids):
        with query_counter() as counter:
            summary = digests.run_batch(batch, DigestFrequency.WEEKLY, key, since, until)
        assert summary == {"queued": 0, "empty": 0, "sent": 0, "failed": 0}
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert len(smtp_catcher.messages) == 20


def test_fan_out_pages_past_a_page_with_nobody_due(app, make, smtp_catcher):
    from planet.notifications import services

    owner, planet, reader, zh_reader = _setup(make)
    late = [make.member(planet, make.user(email=f"late{n}@example.com")) for n in range(3)]
    for user_id in (owner.id, reader.id, zh_reader.id):
        services.set_digest_frequency(user_id, planet.id, DigestFrequency.OFF)
    db.session.commit()
    app.config["DIGEST_BATCH_SIZE"] = 2
    summary = digests.fan_out_weekly(NOW)  # pages: (owner, reader), (zh, lapsed), (late...)
    assert summary["members"] == 4  # the lapsed member is asked too, and gets nothing
    assert sorted(m["To"] for m in smtp_catcher.messages) == [
        f"late{n}@example.com" for n in range(3)
    ]
    ids, last = digests.due_memberships(DigestFrequency.WEEKLY, late[-1].id, 2)
    assert (ids, last) == ([], None)


def test_a_shared_rendering_is_filled_per_member_and_never_shared_across_readable_sets(
    app, make, smtp_catcher, monkeypatch
):
    """Members who may read the same items share one rendering, filled with each member's
    own name (escaped in HTML, as written in text) and unsubscribe link; a member who may
    read more (here an unanswered question in the essence list: its asker and the owner) gets
    a rendering of their own, and nobody else sees that item."""
    from markupsafe import escape

    from planet.notifications import digest as digest_module

    renders = []
    render = digest_module.render_template
    monkeypatch.setattr(
        digest_module, "render_template", lambda *a, **k: renders.append(a[0]) or render(*a, **k)
    )
    owner = make.user(email="owner@example.com", locale="en")
    planet = make.planet(owner, name="Shared Planet")
    names = {"ann": '<b>Ann & "Bo"</b>', "bob": "Bob", "cy": "Cy"}
    users = {
        key: make.user(email=f"{key}@example.com", name=name, locale="en")
        for key, name in names.items()
    }
    for user in users.values():
        make.member(planet, user)
    make.topic(planet, owner, "Open notes", title="Open notes", feed_at=IN_LAST_WEEK)
    secret = make.question(planet, users["cy"], owner, "Secret CANARY-Q?")
    secret.is_essence, secret.in_feed, secret.feed_at = True, True, IN_LAST_WEEK
    db.session.commit()
    digests.fan_out_weekly(NOW)

    assert len(smtp_catcher.messages) == 4
    assert len(renders) == 4  # two readable sets (text + html each) for four members
    for key, user in users.items():
        mail = smtp_catcher.to(f"{key}@example.com")[0]
        text, html = smtp_catcher.text(mail), smtp_catcher.html(mail)
        token = tokens.unsubscribe_token(user.id, planet.id)
        assert f"Hello {names[key]}," in text and f"Hello {escape(names[key])}," in html
        assert token in text and token in html and token in mail["List-Unsubscribe"]
        assert "digest-name-" not in text + html and "digest-unsubscribe-" not in text + html
        for other in set(users) - {key}:
            assert names[other] not in text and str(escape(names[other])) not in html
            other_token = tokens.unsubscribe_token(users[other].id, planet.id)
            assert other_token not in text + html
        assert ("CANARY-Q" in text + html) is (key == "cy")
    owner_mail = smtp_catcher.to("owner@example.com")[0]
    assert "CANARY-Q" in smtp_catcher.html(owner_mail)
