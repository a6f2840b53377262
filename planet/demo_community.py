"""The community half of `flask seed-demo`: introductions, a running check-in challenge with
streaks, homework handed in and graded, an upcoming event, an open poll, a drawn lottery, a
report to moderate, and a join funnel, so every tab of a demo planet has something in it.

Everything goes through the feature services (points, activity and counters are kept as in
real use). Times are fixed offsets from the moment of seeding, and the lottery's seed is fixed,
so two seedings give the same community. No randomness, no sleeping: a few hundred rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from planet.accounts.models import User
from planet.content.models import Topic
from planet.engagement.checkins import services as checkins
from planet.engagement.clock import local_day, to_utc
from planet.engagement.events import services as events
from planet.engagement.homework import services as homework
from planet.engagement.insights import health
from planet.engagement.insights.models import FunnelSource, FunnelStage, TopicRead
from planet.engagement.introductions import services as introductions
from planet.engagement.polls import services as polls
from planet.engagement.polls.models import LotteryEligibility
from planet.extensions import db
from planet.planets.models import Planet

LOTTERY_SEED = "planet-demo-lottery-seed"


@dataclass(frozen=True)
class Texts:
    intros: dict[str, dict[str, str]]  # person key -> introduction fields
    challenge: tuple[str, str]  # title, rules
    checkin: str  # a check-in's text, {n} = the day
    assignments: tuple[tuple[str, str], tuple[str, str]]  # (title, body): graded, open
    hand_in: str
    grade_comment: str
    event: tuple[str, str, str]  # title, description, location
    poll: tuple[str, tuple[str, ...]]
    lottery: tuple[str, str]  # title, prize
    report: str
    held: tuple[str, str]
    """A sensitive word, and a member's question it holds for review."""
    column: tuple[str, str, tuple[tuple[str, str], ...]]  # title, description, lessons
    scheduled: tuple[str, str]  # an announcement scheduled two days ahead: title, body
    faq_summary: str  # the owner's summary of the FAQ entry they recommend
    files: tuple[str, str, str]  # the library: a PDF's name and its title page, a ZIP's name


ZH = Texts(
    intros={
        "owner": dict(
            who="星主，社群运营十年。",
            work="写增长笔记、带社群。",
            offer="社群冷启动和活动设计的经验。",
            seeking="想认识做内容的朋友。",
            city="上海",
            tags="社群运营, 增长",
        ),
        "admin": dict(
            who="管理员 Ada，负责星球秩序。",
            work="产品运营。",
            offer="帮大家找到精华内容。",
            seeking="更多好问题。",
            city="杭州",
            tags="运营",
        ),
        "guest": dict(
            who="王老师，产品增长顾问。",
            work="帮团队做增长诊断。",
            offer="每周答疑，定价和留存。",
            seeking="有意思的案例。",
            city="北京",
            tags="增长, 定价",
        ),
        "member": dict(
            who="Mia，正在学习社群运营。",
            work="在一家创业公司做用户运营。",
            offer="可以分享我的复盘模板。",
            seeking="想找一起打卡的伙伴。",
            city="上海",
            tags="社群运营, 复盘",
        ),
    },
    challenge=("21 天社群运营打卡", "每天写下今天做的一件运营小事，一句话也算。"),
    checkin="第 {n} 天：今天整理了新人欢迎流程。",
    assignments=(
        ("作业一：写一份活动复盘", "用复盘四问写一次最近的活动，500 字以内。"),
        ("作业二：设计你的欢迎仪式", "为你的社群设计新人欢迎的三个步骤。"),
    ),
    hand_in="目标：拉新 50 人；结果：38 人；差距：宣传晚了两天；下次：提前一周预热。",
    grade_comment="结构清楚，差距分析很具体，下次可以加上数据来源。",
    event=("月度直播答疑", "星主和王老师在线回答大家的问题。", "腾讯会议"),
    poll=("下次直播想聊什么？", ("社群冷启动", "活动复盘", "付费转化")),
    lottery=("打卡抽奖：送一本《社群运营手册》", "《社群运营手册》一本"),
    report="疑似广告（演示举报）",
    held=("加微信领资料", "想要完整课件的可以加微信领资料吗？"),
    column=(
        "社群冷启动七讲",
        "从零到第一百位成员，按顺序读。",
        (
            ("第一讲：找到你的第一批成员", "先从身边的十个人开始，问他们最想解决的问题。"),
            ("第二讲：写好星球介绍", "一句话说清：谁适合加入，加入后能得到什么。"),
            ("第三讲：设计新人欢迎仪式", "欢迎帖、自我介绍模板、第一周的小任务。"),
        ),
    ),
    scheduled=("下周直播预告", "下周三晚八点直播答疑，欢迎提前提问。"),
    faq_summary="先分清是新人留存差还是老成员流失，再对症下药。",
    files=("社群运营手册.pdf", "社群运营手册：从 0 到 1000 人", "活动复盘模板.zip"),
)
EN = Texts(
    intros={
        "owner": dict(
            who="I run this planet.",
            work="Two small SaaS products.",
            offer="Pricing and launch advice.",
            seeking="Builders to learn from.",
            city="Lisbon",
            tags="saas, pricing",
        ),
        "admin": dict(
            who="Ada, keeping things tidy.",
            work="Community operations.",
            offer="Finding the best threads.",
            seeking="Good questions.",
            city="Berlin",
            tags="community",
        ),
        "guest": dict(
            who="Wang, growth consultant.",
            work="Growth audits for small teams.",
            offer="Weekly office hours.",
            seeking="Interesting cases.",
            city="Beijing",
            tags="growth, pricing",
        ),
        "member": dict(
            who="Mia, learning in public.",
            work="Building a habit tracker.",
            offer="Notes from my launches.",
            seeking="Accountability partners.",
            city="London",
            tags="indie, saas",
        ),
    },
    challenge=("30 days of shipping", "Every day, post one thing you shipped, however small."),
    checkin="Day {n}: shipped a small fix to the onboarding.",
    assignments=(
        ("Assignment 1: your pricing page", "Write the three plans you would offer, and why."),
        ("Assignment 2: your launch post", "Draft the post you will publish on launch day."),
    ),
    hand_in="Free, Pro at $9/month, Team at $29/month; Pro is the one I want people to pick.",
    grade_comment="Clear tiers. Say who each plan is for, in one line each.",
    event=("Monthly office hours", "Bring your questions about pricing and launches.", "Zoom"),
    poll=("What should the next office hours cover?", ("Pricing", "First customers", "SEO")),
    lottery=("Check-in raffle: a year of hosting", "A year of hosting"),
    report="Looks like spam (a demo report)",
    held=("cheap followers", "Where can I buy cheap followers for a new account?"),
    column=(
        "Launch in five lessons",
        "From idea to first paying customers, in order.",
        (
            ("Lesson 1: pick a painful problem", "Talk to ten people before you write any code."),
            ("Lesson 2: a landing page that sells", "One promise, one picture, one button."),
            ("Lesson 3: your first price", "Charge from day one and ask why people paid."),
        ),
    ),
    scheduled=("Office hours next week", "Live Q&A next Wednesday at 8 pm: send questions."),
    faq_summary="Find them where they already talk about the problem, then ask ten of them.",
    files=("Launch checklist.pdf", "Launch checklist: ship in five weeks", "Pricing page.zip"),
)

# Days ago each person checked in (consecutive days make a streak; today is 0).
CHECKIN_DAYS = {"member": (6, 5, 4, 3, 2, 1, 0), "guest": (3, 2, 1, 0), "admin": (6, 5, 1, 0)}
# Funnel: (days ago, source, stage, visitors).
FUNNEL = (
    (6, FunnelSource.DISCOVER, FunnelStage.VIEW, 9),
    (5, FunnelSource.REFERRAL, FunnelStage.VIEW, 6),
    (4, FunnelSource.DIRECT, FunnelStage.VIEW, 7),
    (4, FunnelSource.REFERRAL, FunnelStage.CHECKOUT, 3),
    (3, FunnelSource.DISCOVER, FunnelStage.CHECKOUT, 2),
    (3, FunnelSource.REFERRAL, FunnelStage.PAID, 2),
    (2, FunnelSource.DISCOVER, FunnelStage.PAID, 1),
    (1, FunnelSource.DIRECT, FunnelStage.VIEW, 4),
)


def seed_community(planet: Planet, users: dict[str, User], now: datetime) -> dict[str, int]:
    """Fill `planet`'s community tabs (flushes; the caller commits). Returns counts."""
    texts = EN if planet.currency == "usd" else ZH
    owner = users["owner"]
    for key, fields in texts.intros.items():
        introductions.write_introduction(planet, users[key], fields)
    checkins_made = _challenge(planet, users, texts, now)
    graded = _homework(planet, users, texts, now)
    event = events.create_event(
        planet,
        owner,
        title=texts.event[0],
        description=texts.event[1],
        location=texts.event[2],
        local_date=local_day(planet, now) + timedelta(days=12),  # after a week of weekly ones
        local_time=time(20, 0),
        now=now,
    )
    events.rsvp(planet, event, users["member"], now=now)
    events.rsvp(planet, event, users["guest"], now=now)
    question, options = texts.poll
    poll = polls.create_poll(
        planet, owner, question, list(options), multiple=False,
        closes_at=now + timedelta(days=5), now=now,
    )  # fmt: skip
    for key, choice in (("admin", 0), ("guest", 1)):  # the member has not voted yet: try it
        polls.vote(planet, poll, users[key], [poll.options[choice].id], now=now)
    lottery = polls.create_lottery(
        planet, owner, texts.lottery[0], texts.lottery[1],
        LotteryEligibility.CHECKED_IN_THIS_WEEK, 1,
    )  # fmt: skip
    lottery.seed, lottery.seed_hash = LOTTERY_SEED, polls.seed_hash(LOTTERY_SEED)
    polls.draw_lottery(planet, lottery, owner, now=now)
    _report(planet, users, texts)
    _column(planet, users, texts)
    _scheduled_announcement(planet, owner, texts, now)
    funnel = _funnel(planet, now)
    _reads(planet, users, now)
    _held_question(planet, users, texts)
    _faq(planet, users, texts)
    _files(planet, users, texts)
    if planet.is_free:
        _join_request(planet, users)
    return {"check-ins": checkins_made, "graded": graded, "funnel": funnel}


def _challenge(planet: Planet, users: dict[str, User], texts: Texts, now: datetime) -> int:
    today = local_day(planet, now)
    challenge = checkins.create_challenge(
        planet,
        users["owner"],
        checkins.ChallengeInput(
            title=texts.challenge[0],
            rules=texts.challenge[1],
            start_date=today - timedelta(days=6),
            length_days=21,
        ),
    )
    made = 0
    for days_ago in range(6, -1, -1):  # oldest first, so the streaks build up as in real use
        day = today - timedelta(days=days_ago)
        at = now if days_ago == 0 else to_utc(planet, day, time(12, 0))
        for key, days in CHECKIN_DAYS.items():
            if days_ago in days:
                body = texts.checkin.format(n=7 - days_ago)
                checkins.check_in(planet, challenge, users[key], body, now=at)
                made += 1
    return made


def _homework(planet: Planet, users: dict[str, User], texts: Texts, now: datetime) -> int:
    (done_title, done_body), (open_title, open_body) = texts.assignments
    posted = now - timedelta(days=6)
    graded_one = homework.post_assignment(
        planet, users["owner"], done_title, done_body, now - timedelta(days=2), now=posted
    )
    graded = 0
    for key, score in (("member", 92), ("admin", 85)):
        submission = homework.hand_in(
            planet, graded_one, users[key], texts.hand_in, now=now - timedelta(days=4)
        )
        homework.grade(
            planet, submission, users["owner"], score, texts.grade_comment,
            featured=key == "member", now=now - timedelta(days=1),
        )  # fmt: skip
        graded += 1
    open_one = homework.post_assignment(
        planet, users["owner"], open_title, open_body, now + timedelta(days=5), now=now
    )
    homework.hand_in(planet, open_one, users["admin"], texts.hand_in, now=now)
    return graded


def _column(planet: Planet, users: dict[str, User], texts: Texts) -> None:
    """A column of lessons; the member has read the first one (the column page shows where
    they stopped)."""
    from planet.content.columns import services as columns
    from planet.content.services.topics import create_topic

    owner = users["owner"]
    title, description, lessons = texts.column
    column = columns.create_column(planet, owner, title=title, description=description)
    topics = [create_topic(planet, owner, title=name, body=body) for name, body in lessons]
    for topic in topics:
        columns.add_topic(planet, owner, column, topic.id)
    columns.mark_read(planet, users["member"], column, topics[0])


def _scheduled_announcement(planet: Planet, owner: User, texts: Texts, now: datetime) -> None:
    """An announcement the owner scheduled for two days from now (on their drafts page)."""
    from planet.content.drafts import services as drafts

    title, body = texts.scheduled
    draft = drafts.save_draft(planet, owner, title=title, body=body, announce=True)
    drafts.schedule(planet, owner, draft, now + timedelta(days=2), now=now)


def _report(planet: Planet, users: dict[str, User], texts: Texts) -> None:
    from planet.content.services.reports import file_report

    topic = db.session.scalars(
        select(Topic)
        .where(Topic.planet_id == planet.id, Topic.author_id == users["owner"].id)
        .order_by(Topic.id.desc())
        .limit(1)
    ).first()
    if topic is not None:
        file_report(planet, users["member"], topic=topic, reason=texts.report)


def _funnel(planet: Planet, now: datetime) -> int:
    counted = 0
    for days_ago, source, stage, visitors in FUNNEL:
        at = now - timedelta(days=days_ago)
        for n in range(visitors):
            key = f"demo-{source}-{stage}-{days_ago}-{n}"
            counted += health.record_funnel_event(planet.id, stage, source, key, at)
    return counted


def _reads(planet: Planet, users: dict[str, User], now: datetime) -> None:
    """Members' reads over the last week, so the owner's weekly report ranks topics."""
    topics = db.session.scalars(
        select(Topic.id)
        .where(Topic.planet_id == planet.id, Topic.deleted_at.is_(None))
        .order_by(Topic.id.desc())
        .limit(4)
    ).all()
    readers = [user for key, user in users.items() if key != "owner"]
    for rank, topic_id in enumerate(topics):
        for n, reader in enumerate(readers[: len(readers) - rank]):
            day = local_day(planet, now - timedelta(days=1 + n % 6))
            db.session.add(
                TopicRead(planet_id=planet.id, topic_id=topic_id, user_id=reader.id, day=day)
            )
    db.session.flush()


def _held_question(planet: Planet, users: dict[str, User], texts: Texts) -> None:
    """A word list, and a member's question it held: the review queue has something in it."""
    from planet.moderation import services as moderation
    from planet.moderation.models import HeldKind

    word, question = texts.held
    moderation.set_words(planet, users["owner"], word)
    payload = {"addressee_id": users["owner"].id, "body": question, "anonymous": False}
    moderation.hold_if_sensitive(planet, users["member"], HeldKind.QUESTION, payload, question)


def _faq(planet: Planet, users: dict[str, User], texts: Texts) -> None:
    """The FAQ: the owner recommends the first answered question with a summary of their own,
    and the admin found an answer there instead of asking."""
    from planet.content.faq import queries as faq
    from planet.content.faq import services as faq_services

    topic_id = db.session.scalar(
        select(Topic.id).where(faq.answered(planet.id)).order_by(Topic.id).limit(1)
    )
    if topic_id is None:
        return
    faq_services.set_promoted(planet, users["owner"], topic_id, True)
    faq_services.set_summary(planet, users["owner"], topic_id, texts.faq_summary)
    faq_services.record_deflection(planet, users["admin"], topic_id)
    db.session.flush()


def _files(planet: Planet, users: dict[str, User], texts: Texts) -> None:
    """The library: the owner's two-page PDF (its thumbnail is drawn by the worker's job) and
    a ZIP of templates, each downloaded a few times."""
    import io
    import zipfile

    from PIL import Image, ImageDraw
    from werkzeug.datastructures import FileStorage

    from planet.content.library import services as library
    from planet.images import cjk_font

    pdf_name, title, zip_name = texts.files
    pages = []
    for number in (1, 2):
        page = Image.new("RGB", (595, 842), (255, 255, 255))
        draw = ImageDraw.Draw(page)
        draw.rectangle((0, 0, 595, 120), fill=(15, 118, 110))
        draw.text((40, 40), title, font=cjk_font(26), fill=(255, 255, 255))
        draw.text((40, 180), f"{number} / 2", font=cjk_font(20), fill=(60, 60, 60))
        pages.append(page)
    pdf = io.BytesIO()
    pages[0].save(pdf, "PDF", save_all=True, append_images=pages[1:])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("README.txt", title)
    for name, data, downloads in ((pdf_name, pdf, 12), (zip_name, archive, 5)):
        upload = FileStorage(stream=io.BytesIO(data.getvalue()), filename=name)
        library.store(planet, users["owner"], upload).download_count = downloads
    db.session.flush()


def _join_request(planet: Planet, users: dict[str, User]) -> None:
    """A visitor's request to join, waiting in the owner's queue (screening itself stays off
    in the demo, so anyone can still join the free planet directly)."""
    import json

    from planet.members.models import ApplicationStatus, JoinApplication

    answers = [["What brings you here?", "I run a small community and want to learn."]]
    db.session.add(
        JoinApplication(
            planet_id=planet.id, user_id=users["visitor"].id, status=ApplicationStatus.PENDING,
            answers=json.dumps(answers, ensure_ascii=False),
        )
    )  # fmt: skip
    db.session.flush()
