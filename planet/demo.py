"""`flask seed-demo`: a small, realistic data set to click through (Chinese and English).

It goes through the same services as the web pages (planets, members, content), so every
counter (member_count, topic_count, comment_count, like_count, hashtag counts) is kept exactly
as in real use. One transaction; `--if-empty` does nothing when any account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from planet import jobs
from planet.accounts.models import User
from planet.accounts.passwords import hash_password
from planet.extensions import db
from planet.members import services as members
from planet.models import utcnow
from planet.planets import services as planets
from planet.planets.models import Planet, PostingPolicy, Role

WIN_BACK_DEMO = timedelta(days=21)
PASSWORD = "planet-demo-2026"  # noqa: S105 - printed demo credentials, development only

PEOPLE = [
    # key, email, display name, bio
    ("owner", "owner@demo.planet", "林星主", "社群运营老兵，写了十年增长笔记。"),
    ("admin", "admin@demo.planet", "Ada Admin", "Keeps the planets tidy."),
    ("guest", "guest@demo.planet", "嘉宾·王老师", "产品增长顾问，每周答疑。"),
    ("member", "member@demo.planet", "Mia Member", "Learning in public."),
    ("visitor", "visitor@demo.planet", "Victor Visitor", "Just looking around."),
]


@dataclass(frozen=True)
class PlanetSpec:
    slug: str
    name: str
    description: str
    category: str
    tags: tuple[str, ...]
    price: str
    currency: str
    rules: str
    posts: tuple[tuple[str, str, bool], ...]  # (title, body, essence)
    pinned: int  # index of the pinned post
    questions: tuple[tuple[str, str, str | None], ...]  # (addressee key, question, answer)
    comments: tuple[tuple[str, str, str], ...]  # (author key, comment, reply by owner)


PLANETS = [
    PlanetSpec(
        slug="community-lab",
        name="社群运营实验室",
        description="免费星球：分享 **社群运营** 的方法、模板和复盘。每周更新，欢迎提问。",
        category="business",
        tags=("社群运营", "增长", "免费"),
        price="0",
        currency="cny",
        rules="1. 友善交流，对事不对人\n2. 禁止广告和引流\n3. 分享内容请注明出处",
        posts=(
            (
                "新人必读：星球使用指南",
                "欢迎来到社群运营实验室！先看置顶，再逛 #社群运营 标签。",
                True,
            ),
            (
                "社群冷启动的七个步骤",
                "从种子用户到第一次活动：\n\n1. 找到 20 个种子用户\n"
                "2. 设计欢迎仪式\n3. 每周固定栏目\n\n#社群运营 #冷启动",
                True,
            ),
            ("活动复盘模板", "复盘四问：目标是什么？结果如何？差距在哪？下次怎么做？ #复盘", True),
            ("本周闲聊", "大家最近在做什么社群项目？评论区聊聊。", False),
        ),
        pinned=0,
        questions=(
            (
                "owner",
                "社群活跃度下降了怎么办？",
                "先看数据：是新人留存差还是老成员流失？#社群运营",
            ),
            ("guest", "王老师，私域社群怎么定价？", "先按价值定价，再用早鸟价验证需求。#定价"),
            ("owner", "新人进群第一周应该做什么？#社群运营", "先写自我介绍，再参加一次打卡。"),
            ("guest", "有没有推荐的社群工具？", None),
        ),
        comments=(
            ("member", "七个步骤很实用，已收藏！", "谢谢，欢迎实践后来分享。"),
            ("guest", "补充一点：欢迎仪式可以加自我介绍模板。", "好建议！"),
        ),
    ),
    PlanetSpec(
        slug="growth-club",
        name="产品增长研习社",
        description="付费星球（¥199/年）：产品增长实战案例拆解，嘉宾每周答疑。",
        category="business",
        tags=("增长", "产品", "社群运营"),
        price="199",
        currency="cny",
        rules="付费内容请勿外传。提问前请先搜索精华区。",
        posts=(
            ("增长模型入门：AARRR", "获取、激活、留存、变现、推荐。#增长 #AARRR", True),
            ("案例：一个知识星球从 0 到 1000 人", "关键在于前 100 位成员的口碑。#社群运营", True),
            ("每周增长周报 第 1 期", "本周三个值得关注的增长案例…… #周报", False),
        ),
        pinned=1,
        questions=(
            ("owner", "留存率多少算健康？", "看品类：内容社区次月留存 30% 以上算不错。"),
            ("guest", "A/B 测试样本量怎么算？", None),
        ),
        comments=(("member", "AARRR 讲得很清楚，期待更多案例。", "下期讲留存。"),),
    ),
    PlanetSpec(
        slug="indie-builders",
        name="Indie Builders",
        description="A paid planet ($99/yr) for people shipping small software businesses.",
        category="tech",
        tags=("indie", "startups", "saas"),
        price="99",
        currency="usd",
        rules="Be generous with what you learn. No spam, no affiliate links.",
        posts=(
            ("Start here", "Introduce yourself and what you are building. #intro", True),
            (
                "Pricing your first SaaS",
                "Charge from day one; **double** your first guess. #pricing",
                True,
            ),
            ("Weekly wins thread", "Share one thing you shipped this week. #wins", False),
        ),
        pinned=0,
        questions=(
            ("owner", "How do I find my first ten customers?", "Go where they already talk."),
            ("guest", "Annual or monthly plans first?", "Monthly to learn, annual to fund."),
            (
                "owner",
                "Which payment provider should I start with? #payments",
                "Stripe: cards, invoices and taxes in one place. Add others when customers ask.",
            ),
            (
                "guest",
                "How do I price a yearly plan? #pricing",
                "Two months free compared with monthly is the anchor most people expect.",
            ),
        ),
        comments=(("member", "Doubled my price, nobody left!", "Told you :)"),),
    ),
]


def _make_users() -> dict[str, User]:
    hashed = hash_password(PASSWORD)
    now = utcnow()
    users = {}
    for key, email, name, bio in PEOPLE:
        user = User(
            email=email, display_name=name, password_hash=hashed, email_verified_at=now, bio=bio
        )
        db.session.add(user)
        users[key] = user
    db.session.flush()
    return users


def _make_planet(spec: PlanetSpec, users: dict[str, User]) -> Planet:
    settings = planets.PlanetSettings(
        name=spec.name,
        description=spec.description,
        category=spec.category,
        tags=list(spec.tags),
        price_amount=planets.parse_price(spec.price, spec.currency),
        currency=spec.currency,
        posting_policy=PostingPolicy.STAFF,
        rules=spec.rules,
        anonymous_questions=True,
    )
    planet = planets.create_planet(users["owner"], spec.slug, settings)
    expires = None if planet.is_free else utcnow() + members.YEAR
    for key, role in (("admin", Role.ADMIN), ("guest", Role.GUEST), ("member", Role.MEMBER)):
        # The admin's paid year is nearly over: the owner's win-back page has someone on it.
        until = expires - members.YEAR + WIN_BACK_DEMO if expires and key == "admin" else expires
        membership = members.grant_membership(planet, users[key].id, until)
        if role is not Role.MEMBER:
            members.set_role(planet, users["owner"], membership, role)
    return planet


def _make_content(planet: Planet, spec: PlanetSpec, users: dict[str, User]) -> dict[str, int]:
    from planet.content.services.comments import add_comment
    from planet.content.services.likes import like
    from planet.content.services.questions import answer_question, ask_question
    from planet.content.services.topics import create_topic, set_featured

    owner = users["owner"]
    topics = []
    for title, body, essence in spec.posts:
        topic = create_topic(planet, owner, title=title, body=body)
        if essence:
            set_featured(planet, owner, topic, what="essence", on=True)
        topics.append(topic)
    set_featured(planet, owner, topics[spec.pinned], what="pin", on=True)
    asked = answered = 0
    for addressee, question, answer in spec.questions:
        topic = ask_question(
            planet, users["member"], addressee_id=users[addressee].id, body=question
        )
        asked += 1
        if answer:
            answer_question(planet, users[addressee], topic, answer)
            answered += 1
    comments = likes = 0
    for index, (author, text, reply) in enumerate(spec.comments):
        topic = topics[index % len(topics)]
        comment = add_comment(planet, users[author], topic, text)
        add_comment(planet, owner, topic, reply, parent_id=comment.id)
        comments += 2
        like(planet, owner, comment=comment)
        likes += 1
    for topic in topics[:2]:
        for key in ("admin", "guest", "member"):
            like(planet, users[key], topic=topic)
            likes += 1
    return {"posts": len(topics), "questions": asked, "answered": answered,
            "comments": comments, "likes": likes}  # fmt: skip


def seed(if_empty: bool = False) -> dict | None:
    """Create the demo data in the current transaction (flushes; the caller commits)."""
    if if_empty and db.session.scalar(select(func.count(User.id))):
        return None
    emails = [email for _key, email, *_rest in PEOPLE]
    if db.session.scalar(select(func.count(User.id)).where(User.email.in_(emails))):
        raise click.ClickException("the demo accounts already exist; nothing was changed.")
    users = _make_users()
    summary = {}
    from planet.demo_community import seed_community

    now = utcnow()
    for spec in PLANETS:
        planet = _make_planet(spec, users)
        summary[spec.slug] = _make_content(planet, spec, users)
        summary[spec.slug].update(seed_community(planet, users, now))
    # A private message so the inbox is not empty.
    from planet.messages.services import send_message

    community = db.session.scalar(select(Planet).where(Planet.slug == PLANETS[0].slug))
    send_message(community, users["member"], users["owner"].id, "你好！请问新人从哪里开始？")
    summary["users"] = users
    return summary


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any account already exists.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Create demo accounts, planets and content (prints the credentials)."""
    base_url = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    # Services build links (hashtags) with url_for, which needs a request context.
    with current_app.test_request_context("/", base_url=base_url):
        summary = seed(if_empty=if_empty)
        if summary is None:
            click.echo("seed-demo: accounts already exist; nothing to do (--if-empty).")
            return
        users = summary.pop("users")
        jobs.commit()
        jobs.commit()  # job handlers run after the first commit; keep what they wrote
    _print_credentials(users, summary, base_url)


def _print_credentials(users: dict[str, User], summary: dict, base_url: str) -> None:
    roles = {
        "owner": "owner of all three planets",
        "admin": "admin in all three planets",
        "guest": "guest in all three planets",
        "member": "member of all three planets",
        "visitor": "no membership",
    }
    rows = [(key, users[key].email, PASSWORD, roles[key]) for key, *_ in PEOPLE]
    widths = [max(len(str(row[i])) for row in [("account", "email", "password", "role"), *rows])
              for i in range(4)]  # fmt: skip
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    click.echo("Demo data created.\n")
    click.echo(line)
    for row in [("account", "email", "password", "role"), None, *rows]:
        if row is None:
            click.echo(line)
            continue
        click.echo(
            "| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) + " |"
        )
    click.echo(line)
    click.echo("")
    for slug, counts in summary.items():
        click.echo(
            f"  {base_url}/p/{slug}/about  "
            + ", ".join(f"{name}: {value}" for name, value in counts.items())
        )


cli_commands = [seed_demo]
