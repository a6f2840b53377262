"""Script injection through every text field, submitted through the real form routes and read
back on every page that renders it: the DOM (parsed with html.parser) has no script, event
handler or javascript:/data: URL from user input, and template syntax is not evaluated.

Short fields (names, titles, codes) get one case per payload; long text fields (bodies,
descriptions) get the payloads in batches, one submission per batch.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from io import BytesIO

import pytest
from PIL import Image

from planet.extensions import db
from planet.models import utcnow
from tests.planet.access_helpers import SecurityWorld, Snapshot, module_app

M = "Xq"  # marks text that came from a payload

PAYLOADS = [
    f"<script>alert('{M}1')</script>",
    f"<SCRIPT SRC=//evil.example/{M}2.js></SCRIPT>",
    f"<scr<script>ipt>alert('{M}3')</scr</script>ipt>",
    f"<img src=x onerror=alert('{M}4')>",
    f"<img src=x OnErRoR=alert('{M}5')>",
    f"<svg onload=alert('{M}6')>",
    f"<svg><script>alert('{M}7')</script></svg>",
    f"<svg><a xlink:href=\"javascript:alert('{M}8')\"><text>x</text></a></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror=alert('{M}9')>",
    f"<math href=\"javascript:alert('{M}10')\">CLICK</math>",
    f"<body onload=alert('{M}11')>",
    f"<iframe src=\"javascript:alert('{M}12')\"></iframe>",
    f'<iframe srcdoc="<script>alert(1)</script>{M}13"></iframe>',
    f"<a href=\"javascript:alert('{M}14')\">x</a>",
    f"<a href=\"JaVaScRiPt:alert('{M}15')\">x</a>",
    f"<a href=\"&#106;avascript:alert('{M}16')\">x</a>",
    f"<a href=\"jav&#x09;ascript:alert('{M}17')\">x</a>",
    f"<a href=\" javascript:alert('{M}18')\">x</a>",
    f'<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">{M}19</a>',
    f"<a href=\"vbscript:msgbox('{M}20')\">x</a>",
    f"[x](javascript:alert('{M}21'))",
    f"[x](JAVASCRIPT:alert('{M}22'))",
    f"[x](  javascript:alert('{M}23'))",
    f"[x](data:text/html,<script>alert('{M}24')</script>)",
    f"![x](javascript:alert('{M}25'))",
    f"![x](x\" onerror=\"alert('{M}26'))",
    f"[x](<javascript:alert('{M}27')>)",
    f"[x]: javascript:alert('{M}28')\n\n[y][x]",
    f"<javascript:alert('{M}29')>",
    f"\"><script>alert('{M}30')</script>",
    f"'><img src=x onerror=alert('{M}31')>",
    f'" onmouseover="alert(\'{M}32\')" x="',
    f"' onfocus='alert(`{M}33`)' autofocus='",
    f"</textarea><script>alert('{M}34')</script>",
    f"</title><script>alert('{M}35')</script>",
    f"</style><script>alert('{M}36')</script>",
    f"<!--<script>alert('{M}37')</script>-->",
    f"<![CDATA[<script>alert('{M}38')</script>]]>",
    f"&lt;script&gt;alert('{M}39')&lt;/script&gt;",
    f"&#60;script&#62;alert('{M}40')&#60;/script&#62;",
    f"\u003cscript\u003ealert('{M}41')\u003c/script\u003e",
    f"\uff1cscript\uff1ealert('{M}42')\uff1c/script\uff1e",
    f"<scr\u200bipt>alert('{M}43')</script>",
    f"\u202e<script>alert('{M}44')</script>",
    f"{M}45{{{{7*7}}}}Z",
    f"{M}46${{7*7}}Z",
    f"{M}47{{% raw %}}{{{{7*7}}}}Z",
    f"{M}48{{{{ config }}}}",
    f"{M}49#{{7*7}}Z",
    f"<details open ontoggle=alert('{M}50')>",
    f"<video><source onerror=alert('{M}51')></video>",
    f"<input autofocus onfocus=alert('{M}52')>",
    f"<form action=\"javascript:alert('{M}53')\"><button>x</button></form>",
    f"<button formaction=\"javascript:alert('{M}54')\">x</button>",
    f"<object data=\"javascript:alert('{M}55')\"></object>",
    f"<embed src=\"javascript:alert('{M}56')\">",
    f"<meta http-equiv=refresh content=\"0;url=javascript:alert('{M}57')\">",
    f"<base href=\"javascript:alert('{M}58')//\">",
    f'<link rel=import href="data:text/html,<script>{M}59</script>">',
    f"<div style=\"background:url(javascript:alert('{M}60'))\">x</div>",
    f'<a href="#" onclick="alert(\'{M}61\')">x</a>',
    f"`<script>alert('{M}62')</script>`",
    f"```\n</code><script>alert('{M}63')</script>\n```",
]
assert len(PAYLOADS) >= 50

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "background",
             "poster", "srcdoc", "style"}  # fmt: skip
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data:text/html)", re.I)
SCRIPT_SRC_OK = re.compile(r"^(/static/|https://js\.stripe\.com/|http://127\.0\.0\.1)")


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if re.fullmatch(r"on\w+", name):
                self.problems.append(f"<{tag} {name}={value!r}>")
            cleaned = re.sub(r"[\x00-\x20]", "", unescape(value))
            if name in URL_ATTRS and BAD_URL.match(cleaned):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and "javascript" in cleaned.lower():
                self.problems.append(f"<{tag} style={value!r}>")
        names = dict(attrs)
        if tag == "script":
            src = names.get("src")
            if src is not None and not SCRIPT_SRC_OK.match(src):
                self.problems.append(f"<script src={src!r}>")
            self._in_script = True
        if tag in ("iframe", "object", "embed", "base", "form") and M in str(attrs):
            self.problems.append(f"<{tag} {attrs}> from user input")
        if tag == "meta" and "refresh" in (names.get("http-equiv") or "").lower():
            self.problems.append("<meta refresh> from user input")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and (M in data or "alert(" in data):
            self.problems.append(f"script text {data[:80]!r}")


def inert(html: str) -> list[str]:
    """The problems found in a page (empty when every payload is inert)."""
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    problems = list(inspector.problems)
    if re.search(rf"{M}4[59]49Z", html) or re.search(rf"{M}4649Z", html):
        problems.append("template expression evaluated (7*7 -> 49)")
    if f"{M}48<Config" in html or "SECRET_KEY" in html:
        problems.append("template expression evaluated ({{ config }})")
    return problems


# ---------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "xss") as app:
        world = SecurityWorld(app, content=True)
        world.sign_in_everyone()
        world.snapshot = Snapshot()
        yield world


@pytest.fixture
def w(world):
    world.snapshot.restore()
    return world


def _ok(response, what):
    assert response.status_code < 400 or response.status_code in (400, 409, 413), (
        what,
        response.status_code,
    )
    assert response.status_code < 500, (what, response.status_code)
    return response


def _check_pages(w, who, paths, payload_hint):
    seen = False
    for path in paths:
        response = w.client(who).get(path)
        assert response.status_code < 500, (path, response.status_code)
        html = response.get_data(as_text=True)
        problems = inert(html)
        assert not problems, (path, payload_hint[:60], problems[:3])
        seen = seen or response.status_code == 200
    return seen


def _settings_form(w, **overrides):
    planet = w.planet
    data = {
        "name": planet.name, "description": planet.description, "category": "tech",
        "tags": "", "price": "99", "currency": planet.currency, "posting_policy": "staff",
        "questions_enabled": "y", "comments_enabled": "y", "private_messages_enabled": "y",
        "roster_visible": "y", "preview_essence_count": "3", "rules": "", "is_listed": "y",
        "public_directory": "y",
    }  # fmt: skip
    data.update(overrides)
    return data


def _future():
    day = date.today() + timedelta(days=10)
    return day.isoformat()


# Each field: (who submits, how to submit (w, text) -> response, pages that render it).
def _submit_profile(field):
    def submit(w, text):
        data = {"display_name": "Plain", "bio": "", "locale": "en"}
        data[field] = text
        return w.client("member").post("/accounts/settings", data=data)

    return submit


def _pages_profile(w):
    return [f"/u/{w.uid('member')}", w.url(f"t/{w.ids['question']}"), w.url("members"),
            w.url(f"u/{w.uid('member')}")]  # fmt: skip


def _submit_planet(field):
    def submit(w, text):
        return w.client("owner").post(w.url("settings"), data=_settings_form(w, **{field: text}))

    return submit


def _pages_planet(w):
    return [w.url("about"), "/discover", w.url(""), w.url("settings"), "/me/planets"]


def _topic(w, title="", body="x"):
    return w.client("owner").post(w.url("new"), data={"title": title, "body": body})


def _last_topic_pages(w):
    from sqlalchemy import select

    from planet.content.models import Topic

    last = db.session.scalar(select(Topic.id).order_by(Topic.id.desc()).limit(1))
    return [w.url(""), w.url(f"t/{last}"), w.url(f"u/{w.uid('owner')}"), w.url("search?q=Xq")]


def _ask(w, text):
    return w.client("member").post(w.url("ask"), data={"addressee": w.uid("owner"), "body": text})


def _answer(w, text):
    return w.client("owner").post(w.url(f"t/{w.ids['open_question']}/answer"), data={"body": text})


def _comment(w, text):
    return w.client("member").post(w.url(f"t/{w.ids['topic']}/comments"), data={"body": text})


def _report(w, text):
    return w.client("member").post(w.url(f"c/{w.ids['comment']}/report"), data={"reason": text})


def _message(w, text):
    return w.client("member").post(f"/messages/{w.slug}/{w.uid('author')}", data={"body": text})


def _intro(field):
    def submit(w, text):
        data = {"who": "me", "work": "", "offer": "", "seeking": "", "city": "", "tags": "",
                "contact": ""}  # fmt: skip
        data[field] = text
        return w.client("member").post(w.url("introduction"), data=data)

    return submit


def _challenge_and_checkin(field):
    def submit(w, text):
        data = {"title": "Run", "rules": "", "start_date": date.today().isoformat(),
                "length_days": "21", "late_allowed": "y"}  # fmt: skip
        if field in data:
            data[field] = text
        created = w.client("owner").post(w.url("challenges/new"), data=data)
        if created.status_code != 302:
            return created
        w.cid = int(created.headers["Location"].rstrip("/").split("/")[-1])
        if field == "checkin":
            return w.client("member").post(w.url(f"challenges/{w.cid}/checkin"),
                                           data={"body": text})  # fmt: skip
        return created

    return submit


def _homework(field):
    def submit(w, text):
        data = {"title": "HW", "body": "", "due_date": _future(), "due_time": "20:00",
                "late_days": "0"}  # fmt: skip
        if field in data:
            data[field] = text
        created = w.client("owner").post(w.url("homework/new"), data=data)
        if created.status_code == 302:
            w.aid = int(created.headers["Location"].rstrip("/").split("/")[-1])
            if field == "submission":
                return w.client("member").post(w.url(f"homework/{w.aid}/submit"),
                                               data={"body": text})  # fmt: skip
        return created

    return submit


def _poll(field):
    def submit(w, text):
        data = {"question": "Q?", "options": "A\nB", "closes_date": _future(),
                "closes_time": "20:00", "results": "after_vote"}  # fmt: skip
        if field == "options":
            data["options"] = f"{text}\nB"
        else:
            data[field] = text
        created = w.client("owner").post(w.url("polls/new"), data=data)
        if created.status_code == 302:
            w.pid = int(created.headers["Location"].rstrip("/").split("/")[-1])
        return created

    return submit


def _event(field):
    def submit(w, text):
        data = {"title": "Live", "description": "", "location": "", "date": _future(),
                "time": "20:00", "recurrence": "none", "duration_minutes": "60",
                "remind_minutes": "60"}  # fmt: skip
        data[field] = text
        created = w.client("owner").post(w.url("events/new"), data=data)
        if created.status_code == 302:
            w.eid = int(created.headers["Location"].rstrip("/").split("/")[-1])
        return created

    return submit


def _coupon(w, text):
    return w.client("owner").post(
        w.url("money"),
        data={
            "form": "coupon",
            "coupon-code": text[:32],
            "coupon-kind": "percent",
            "coupon-value": "10",
        },  # fmt: skip
    )


def _file_name(w, text):
    pdf = BytesIO()
    Image.new("RGB", (20, 20), (250, 250, 250)).save(pdf, "PDF")
    data = {"file": (BytesIO(pdf.getvalue()), f"{text}.pdf")}
    return w.client("owner").post(w.url("library"), data=data, content_type="multipart/form-data")


def _search(w, text):
    return w.client("member").get(w.url("search"), query_string={"q": text})


FIELDS = {
    # name: (viewer, submit, pages, short?)
    "display_name": ("owner", _submit_profile("display_name"), _pages_profile, True),
    "bio": ("owner", _submit_profile("bio"), _pages_profile, False),
    "planet_name": ("anonymous", _submit_planet("name"), _pages_planet, True),
    "planet_description": ("anonymous", _submit_planet("description"), _pages_planet, False),
    "planet_rules": ("anonymous", _submit_planet("rules"), _pages_planet, False),
    "planet_tags": ("anonymous", _submit_planet("tags"), _pages_planet, True),
    "planet_category": ("anonymous", _submit_planet("category"), _pages_planet, True),
    "topic_title": ("member", lambda w, t: _topic(w, title=t), _last_topic_pages, True),
    "topic_body": ("member", lambda w, t: _topic(w, body=t), _last_topic_pages, False),
    "question": (
        "owner",
        _ask,
        lambda w: [w.url("questions?show=waiting"), *_last_topic_pages(w)],
        False,
    ),  # fmt: skip
    "answer": (
        "member",
        _answer,
        lambda w: [w.url(f"t/{w.ids['open_question']}"), w.url("")],
        False,
    ),  # fmt: skip
    "comment": ("owner", _comment, lambda w: [w.url(f"t/{w.ids['topic']}")], False),
    "report_reason": ("owner", _report, lambda w: [w.url("reports")], True),
    "message": (
        "author",
        _message,
        lambda w: [f"/messages/{w.slug}/{w.uid('member')}", "/messages"],
        False,
    ),  # fmt: skip
    "intro_who": ("owner", _intro("who"), lambda w: [w.url("directory")], False),
    "intro_city": ("owner", _intro("city"), lambda w: [w.url("directory")], True),
    "intro_tags": ("owner", _intro("tags"), lambda w: [w.url("directory")], True),
    "intro_contact": ("owner", _intro("contact"), lambda w: [w.url("directory")], True),
    "challenge_title": (
        "member",
        _challenge_and_checkin("title"),
        lambda w: [w.url("challenges"), w.url(f"challenges/{getattr(w, 'cid', 0)}")],
        True,
    ),  # fmt: skip
    "checkin": (
        "owner",
        _challenge_and_checkin("checkin"),
        lambda w: [w.url(f"challenges/{getattr(w, 'cid', 0)}")],
        False,
    ),  # fmt: skip
    "homework_title": (
        "member",
        _homework("title"),
        lambda w: [w.url("homework"), w.url(f"homework/{getattr(w, 'aid', 0)}")],
        True,
    ),  # fmt: skip
    "homework_body": (
        "member",
        _homework("body"),
        lambda w: [w.url(f"homework/{getattr(w, 'aid', 0)}")],
        False,
    ),  # fmt: skip
    "homework_submission": (
        "owner",
        _homework("submission"),
        lambda w: [w.url(f"homework/{getattr(w, 'aid', 0)}")],
        False,
    ),  # fmt: skip
    "poll_question": (
        "member",
        _poll("question"),
        lambda w: [w.url("polls"), w.url(f"polls/{getattr(w, 'pid', 0)}")],
        True,
    ),  # fmt: skip
    "poll_option": (
        "member",
        _poll("options"),
        lambda w: [w.url(f"polls/{getattr(w, 'pid', 0)}")],
        True,
    ),  # fmt: skip
    "event_title": (
        "member",
        _event("title"),
        lambda w: [w.url("events"), w.url(f"events/{getattr(w, 'eid', 0)}"), w.url("")],
        True,
    ),  # fmt: skip
    "event_description": (
        "member",
        _event("description"),
        lambda w: [w.url(f"events/{getattr(w, 'eid', 0)}")],
        False,
    ),  # fmt: skip
    "event_location": (
        "member",
        _event("location"),
        lambda w: [w.url(f"events/{getattr(w, 'eid', 0)}")],
        True,
    ),  # fmt: skip
    "coupon_code": ("owner", _coupon, lambda w: [w.url("money")], True),
    "file_name": ("member", _file_name, lambda w: [w.url("library"), w.url("search?q=Xq")], True),
    "search_query": ("member", None, None, True),
}

BATCH = 16


def _cases():
    cases = []
    for name, (_viewer, _submit, _pages, short) in FIELDS.items():
        if short:
            # one case per payload would be slow on shared machines: batches of payloads, each
            # submitted on its own (the field holds one value) in the same case
            for start in range(0, len(PAYLOADS), BATCH):
                cases.append(pytest.param(name, start, False, id=f"{name}-{start}"))
        else:
            for start in range(0, len(PAYLOADS), BATCH):
                cases.append(pytest.param(name, start, True, id=f"{name}-{start}-joined"))
    return cases


@pytest.mark.parametrize(("field", "start", "joined"), _cases())
def test_payloads_render_inert(w, field, start, joined):
    viewer, submit, pages, _short = FIELDS[field]
    payloads = PAYLOADS[start : start + BATCH]
    if field == "search_query":
        for payload in payloads:
            response = _search(w, payload)
            assert response.status_code == 200
            assert not inert(response.get_data(as_text=True)), payload
        return
    texts = ["\n\n".join(payloads)] if joined else payloads
    rendered = False
    statuses = []
    for text in texts:
        response = _ok(submit(w, text), (field, text[:40]))
        statuses.append(response.status_code)
        db.session.remove()
        if response.status_code >= 400:
            # refused as invalid input (too long, bad characters...): a clear 4xx, no 500; the
            # error page must be inert too
            assert not inert(response.get_data(as_text=True)), (field, text[:40])
            continue
        rendered |= _check_pages(w, viewer, pages(w), text)
    assert rendered or field in ("planet_category", "coupon_code", "planet_tags"), (
        f"no payload of {field} was accepted and shown: the case checked nothing {statuses}"
    )


def test_the_inspector_catches_live_markup():
    """Control: the checker flags what a browser would run."""
    assert inert("<p><img src=x onerror=alert(1)></p>")
    assert inert('<a href=" jav&#x09;ascript:alert(1)">x</a>')
    assert inert("<script>alert('Xq1')</script>")
    assert inert("<p>Xq4549Z</p>")
    assert not inert("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    assert not inert('<script src="/static/js/app.js"></script>')


def test_untouched_world_pages_are_clean(w):
    for path in ("/", "/discover", w.url("about"), w.url(""), w.url(f"t/{w.ids['topic']}")):
        assert not inert(w.client("owner").get(path).get_data(as_text=True)), path
    assert utcnow()
