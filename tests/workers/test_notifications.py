"""Notifications: created by job handlers (only for what the recipient may read), the in-app
list with an unread count, mark read, preferences and email through the outbox."""

from sqlalchemy import func, select

from planet import jobs
from planet.extensions import db
from planet.notifications import services
from planet.notifications.models import Kind, Notification, Outbox
from planet.planets.models import MembershipStatus


def _count(model, **where):
    statement = select(func.count()).select_from(model)
    for key, value in where.items():
        statement = statement.where(getattr(model, key) == value)
    return db.session.scalar(statement)


def test_answered_question_notifies_asker_once_with_email(app, make, smtp_catcher):
    owner = make.user(email="owner@example.com")
    planet = make.planet(owner)
    asker = make.user(email="asker@example.com", locale="en")
    make.member(planet, asker)
    question = make.question(planet, asker, owner, "Why?", answer="Because.")
    for _ in range(3):  # a job run three times
        jobs.defer("notifications.question_answered", topic_id=question.id)
        jobs.commit()
    assert _count(Notification, user_id=asker.id, kind=Kind.QUESTION_ANSWERED) == 1
    mails = smtp_catcher.to("asker@example.com")
    assert len(mails) == 1
    assert "answered your question" in mails[0]["Subject"]


def test_asked_question_notifies_the_one_asked_with_the_askers_name(app, make, smtp_catcher):
    owner = make.user(email="owner@example.com", name="Olga", locale="en")
    planet = make.planet(owner)
    asker = make.user(email="asker@example.com", name="Anna")
    make.member(planet, asker)
    question = make.question(planet, asker, owner, "Why?")
    for _ in range(2):
        jobs.defer("notifications.question_asked", topic_id=question.id)
        jobs.commit()
    notice = db.session.scalar(
        select(Notification).where(
            Notification.user_id == owner.id, Notification.kind == Kind.QUESTION_ASKED
        )
    )
    assert notice is not None and notice.actor_id == asker.id
    assert _count(Notification, user_id=owner.id, kind=Kind.QUESTION_ASKED) == 1
    assert len(smtp_catcher.to("owner@example.com")) == 1


def test_reply_mention_and_access_checked_at_send_time(app, make):
    owner = make.user()
    planet = make.planet(owner)
    alice, bob, outsider = make.user(), make.user(), make.user()
    make.member(planet, alice)
    lapsed = make.member(planet, bob)
    topic = make.topic(planet, owner, "Paid canary")
    first = make.comment(topic, alice, "first")
    reply = make.comment(topic, owner, "reply", parent=first)
    lapsed.status = MembershipStatus.EXPIRED
    db.session.commit()
    jobs.defer(
        "notifications.comment_created",
        comment_id=reply.id,
        mentioned_user_ids=[bob.id, outsider.id, alice.id],
    )
    jobs.commit()
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (alice.id, Kind.COMMENT_REPLY) in kinds
    assert (alice.id, Kind.MENTION) in kinds
    assert not any(user in (bob.id, outsider.id) for user, _ in kinds)


def test_new_members_are_batched_for_the_owner(app, make):
    owner = make.user()
    planet = make.planet(owner)
    joiners = [make.user() for _ in range(3)]
    for joiner in joiners:
        jobs.defer("notifications.member_joined", planet_id=planet.id, user_id=joiner.id)
        jobs.commit()
    jobs.defer("notifications.member_joined", planet_id=planet.id, user_id=joiners[0].id)  # re-run
    jobs.commit()
    lines = list(db.session.scalars(select(Notification).where(Notification.user_id == owner.id)))
    assert len(lines) == 1 and lines[0].count == 3
    from flask_babel import force_locale

    with force_locale("en"):
        assert services.title_of(lines[0]).startswith("3 new members joined")
        lines[0].count = 1
        assert services.title_of(lines[0]).startswith("1 new member joined")
    with force_locale("zh"):
        assert services.title_of(lines[0]).startswith("1 位新成员加入了「")


def test_list_unread_count_and_mark_read(app, make, client, login_as):
    user = make.user()
    other = make.user()
    for n in range(3):
        services.notify(user.id, Kind.ANNOUNCEMENT, f"t:{n}", data={"planet": "P"}, email=False)
    theirs = services.notify(other.id, Kind.ANNOUNCEMENT, "t:x", email=False)
    db.session.commit()
    login_as(user)
    page = client.get("/me/notifications")
    assert page.status_code == 200
    assert '<span class="badge">3</span>' in page.get_data(as_text=True)
    first = db.session.scalars(select(Notification.id).where(Notification.user_id == user.id))
    one = next(iter(first))
    assert client.post("/me/notifications/read", data={"id": [one, theirs]}).status_code == 302
    assert services.unread_count(user.id) == 2
    assert services.unread_count(other.id) == 1  # someone else's id is ignored
    assert client.post("/me/notifications/read", data={"id": "abc"}).status_code == 400
    client.post("/me/notifications/read")
    assert services.unread_count(user.id) == 0
    assert client.get("/me/notifications?after=zz").status_code == 400


def test_anonymous_is_sent_to_login(client):
    assert client.get("/me/notifications").status_code in (302, 401)


def test_preferences_switch_email_off(app, make, client, login_as, smtp_catcher):
    user = make.user(email="pref@example.com")
    planet = make.planet()
    make.member(planet, user)
    login_as(user)
    assert client.get("/me/notifications/preferences").status_code == 200
    response = client.post(
        "/me/notifications/preferences",
        data={"email": ["mention"], f"digest-{planet.id}": "daily"},
    )
    assert response.status_code == 302
    assert services.wants_email(user.id, Kind.MENTION)
    assert not services.wants_email(user.id, Kind.ANNOUNCEMENT)
    assert services.digest_frequency(user.id, planet.id).value == "daily"
    bad = client.post("/me/notifications/preferences", data={"email": ["nope"]})
    assert bad.status_code == 400
    services.notify(user.id, Kind.ANNOUNCEMENT, "a:1", planet=planet)
    db.session.commit()
    assert _count(Outbox, recipient="pref@example.com") == 0


def test_payment_notifications_lazy_models(app, make):
    # The handler finds nothing for an unknown id and writes nothing.
    jobs.defer("payments.payment_succeeded", payment_id=999)
    jobs.commit()
    assert _count(Notification) == 0


def test_unread_badge_caps(app, make):
    user = make.user()
    for n in range(services.UNREAD_CAP + 5):
        services.notify(user.id, Kind.ANNOUNCEMENT, f"c:{n}", email=False)
    db.session.commit()
    assert services.unread_count(user.id) == services.UNREAD_CAP + 1


def test_checkin_reminder_job_notifies_an_active_member_once(app, make):
    from datetime import timedelta

    from planet.engagement.checkins.models import Challenge
    from planet.models import utcnow

    owner = make.user()
    planet = make.planet(owner)
    member, lapsed = make.user(), make.user()
    make.member(planet, member)
    make.member(planet, lapsed, expires_in=timedelta(seconds=-1))
    today = utcnow().date()
    challenge = Challenge(
        planet_id=planet.id,
        author_id=owner.id,
        title="21 days of writing",
        start_date=today,
        length_days=21,
        end_date=today + timedelta(days=20),
    )
    db.session.add(challenge)
    db.session.commit()
    for _ in range(2):  # a re-run sends nothing twice
        for who in (member, lapsed):
            jobs.defer(
                "engagement.checkin_reminder",
                challenge_id=challenge.id,
                user_id=who.id,
                day=today.isoformat(),
            )
        jobs.commit()
    assert _count(Notification, user_id=member.id, kind=Kind.CHECKIN_REMINDER) == 1
    assert _count(Notification, user_id=lapsed.id, kind=Kind.CHECKIN_REMINDER) == 0
    note = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
    assert "21 days of writing" in services.title_of(note)


def _badge_column(user) -> int:
    from planet.accounts.models import User

    return db.session.scalar(select(User.unread_notifications).where(User.id == user.id))


def _live_unread(user) -> int:
    return _count(Notification, user_id=user.id, read_at=None)


def test_the_badge_counter_follows_every_write(app, make, client, login_as, query_counter):
    """users.unread_notifications equals the live count after creating (a re-run adds
    nothing), a batch, marking some read, all read, and a conversation read."""
    user, other = make.user(), make.user()
    planet = make.planet()
    for n in range(3):
        services.notify(user.id, Kind.ANNOUNCEMENT, f"b:{n}", email=False)
    services.notify(user.id, Kind.ANNOUNCEMENT, "b:0", email=False)  # a re-run
    batch = [services.Notice(u.id, f"batch:{u.id}:{n}") for u in (user, other) for n in range(2)]
    services.notify_many(Kind.MENTION, batch, email=False)
    services.notify(user.id, Kind.MESSAGE_RECEIVED, "m:1", planet=planet, actor=other, email=False)
    db.session.commit()
    assert (_badge_column(user), _badge_column(other)) == (6, 2)
    assert _badge_column(user) == _live_unread(user)
    some = db.session.scalars(
        select(Notification.id).where(Notification.user_id == user.id).limit(2)
    ).all()
    services.mark_read(user.id, [*some, some[0]])
    services.mark_read(user.id, some)  # already read: no change
    db.session.commit()
    assert _badge_column(user) == _live_unread(user) == 4
    services.mark_messages_read(user.id, planet.id, other.id)
    db.session.commit()
    assert _badge_column(user) == _live_unread(user)
    login_as(user)
    with query_counter() as counter:
        page = client.get("/discover").get_data(as_text=True)
    assert f'<span class="badge">{_live_unread(user)}</span>' in page
    assert not [sql for sql in counter.statements if "FROM notifications" in sql]
    services.mark_read(user.id)
    db.session.commit()
    assert _badge_column(user) == 0 and _badge_column(other) == 2
    assert 'class="badge"' not in client.get("/discover").get_data(as_text=True)


def test_the_badge_shows_the_cap(app, make, client, login_as):
    user = make.user()
    for n in range(services.UNREAD_CAP + 5):
        services.notify(user.id, Kind.ANNOUNCEMENT, f"cap:{n}", email=False)
    db.session.commit()
    assert _badge_column(user) == services.UNREAD_CAP + 5
    login_as(user)
    page = client.get("/discover").get_data(as_text=True)
    assert f'<span class="badge">{services.UNREAD_CAP}+</span>' in page
