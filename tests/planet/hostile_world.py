"""Helpers for tests/planet/test_hostile_input.py: the POST routes of the URL map, the fields each
one reads (from the form classes its view builds, and from what it reads from `request.form` by
hand), a valid value for every field, and a world with one real row behind every URL variable.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms.fields.core import UnboundField

from payments.grant import apply_payment_success
from payments.models import Coupon, Payment, PaymentKind, PaymentStatus
from planet.content.models import Report
from planet.engagement.checkins.models import Challenge
from planet.engagement.events.models import Event
from planet.engagement.homework.models import Assignment, Submission
from planet.engagement.polls.models import Lottery, Poll, PollOption
from planet.extensions import db
from planet.members.models import MemberImport
from planet.models import utcnow
from tests.planet.access_helpers import SecurityWorld

SLUG = "moon"

# ---------------------------------------------------------------- fields of a route

FILE_FIELDS = {"FileField", "MultipleFileField"}

# A value each field class accepts, so that one hostile field at a time reaches the service.
VALID_BY_CLASS = {
    "StringField": "Hello",
    "TextAreaField": "Hello there",
    "HiddenField": "",
    "EmailField": "fuzz@example.com",
    "PasswordField": "correct-horse-battery-9",
    "BooleanField": "y",
    "IntegerField": "3",
    "DecimalField": "10",
    "DateField": "2030-01-15",
    "DateTimeField": "2030-01-15 10:00:00",
    "DateTimeLocalField": "2030-01-15T10:00",
    "TimeField": "10:00",
}
# Field names whose valid value is not the class default.
VALID_BY_NAME = {
    "slug": "fuzzplanet",
    "price": "99",
    "options": "Red\nBlue",
    "code": "FUZZCODE2030",
    "email": "fuzz@example.com",
    "tags": "one two",
    "confirm": "",
    "next": "",
    "parent_id": "",
    "window_start": "06:00",
    "window_end": "22:00",
    # a month ahead: the schedule field refuses the past and more than two years ahead
    "publish_at": (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT10:00"),
}
# What views read from request.form by hand, with a value they accept ("{prefix}": the prefix
# of the form being fuzzed, for views that hold several forms and a `form` discriminator).
HAND_VALID = {
    "payments.money_settings": {"form": "{prefix}"},
    "content.feature": {"what": "essence", "on": "1"},
    "payments.auto_renew": {"enabled": "1"},
    "web.set_language": {"lang": "zh"},
    "engagement.vote": {"option": "{option}"},
    "engagement.remind_introductions": {"user_id": "{member_uid}"},
    "notifications.mark_read": {"id": "1"},
    "engagement.points_settings": {"topic": "2", "level_threshold": "10", "level_name": "One"},
    "content.add_to_column": {"column_id": "{column}"},
    "content.reorder": {"topic_id": "{lesson}"},
    "content.mark_read": {"go": "next"},
    "content.new_topic": {"intent": "schedule"},
    "content.edit_draft": {"intent": "schedule"},
}

_FORM_CALL = re.compile(r"\b(?:(\w+)\.)?(\w+Form)\(([^()]*)\)")
_PREFIX = re.compile(r"prefix\s*=\s*[\"'](\w+)[\"']")
_HAND_KEY = re.compile(
    r"(?:request\.(?:form|values)|\bdata)(?:\.get(?:list)?\(|\[)\s*[\"']([\w-]+)[\"']"
)


@dataclass
class FieldSpec:
    name: str  # as posted, prefix included
    kind: str  # the WTForms class name, or "hand" for a key read from request.form by hand
    prefix: str = ""


@dataclass
class Route:
    endpoint: str
    rule: str
    fields: list[FieldSpec] = field(default_factory=list)
    valid: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.rule}"


def _form_classes(view) -> list[tuple[type, str]]:
    source = inspect.getsource(view)
    found = []
    for module_name, class_name, arguments in _FORM_CALL.findall(source):
        scope = view.__globals__
        owner = scope.get(module_name) if module_name else None
        cls = getattr(owner, class_name, None) if owner else scope.get(class_name)
        if inspect.isclass(cls) and issubclass(cls, FlaskForm):
            prefix = _PREFIX.search(arguments)
            entry = (cls, prefix.group(1) if prefix else "")
            if entry not in found:
                found.append(entry)
    return found


def _choice(unbound: UnboundField) -> str | None:
    choices = unbound.kwargs.get("choices") or (unbound.args[1] if len(unbound.args) > 1 else None)
    if callable(choices):
        choices = choices()
    for choice in choices or ():
        if isinstance(choice, tuple | list):
            choice = choice[0]
        return str(getattr(choice, "value", choice))
    return None


def fields_of(view, endpoint: str) -> tuple[list[FieldSpec], dict[str, str]]:
    """The fields a view reads and a valid value for each (file fields get no valid value)."""
    view = inspect.unwrap(view)
    specs: list[FieldSpec] = []
    valid: dict[str, str] = {}
    for cls, prefix in _form_classes(view):
        for name in dir(cls):
            unbound = getattr(cls, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            kind = unbound.field_class.__name__
            posted = f"{prefix}-{name}" if prefix else name
            specs.append(FieldSpec(posted, kind, prefix))
            if kind in FILE_FIELDS:
                continue
            value = VALID_BY_NAME.get(name)
            if value is None and kind == "SelectField":
                value = _choice(unbound) or "{owner_uid}"
            valid[posted] = value if value is not None else VALID_BY_CLASS.get(kind, "1")
    hand = HAND_VALID.get(endpoint, {})
    for key in dict.fromkeys([*_HAND_KEY.findall(inspect.getsource(view)), *hand]):
        if key in valid:
            continue
        specs.append(FieldSpec(key, "hand"))
        valid[key] = hand.get(key, VALID_BY_NAME.get(key, "1"))
    return specs, valid


def post_routes(app) -> list[Route]:
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "POST" not in rule.methods:
            continue
        specs, valid = fields_of(app.view_functions[rule.endpoint], rule.endpoint)
        routes.append(Route(rule.endpoint, rule.rule, specs, valid))
    return routes


# ---------------------------------------------------------------- the world


class HostileWorld(SecurityWorld):
    """The access-table world (an owner, a member of each standing, a topic, questions, a
    comment) plus one of each engagement object, a report, a coupon and a payment: a real row
    behind every URL variable of the POST routes."""

    def __init__(self, app):
        super().__init__(app, slug=SLUG)
        self.add_column()
        self.add_drafts()
        self._add_engagement()

    def _add_engagement(self):
        """Made through the HTTP app with the valid values the fuzz starts from (which checks
        those values are accepted), except the payment, which the provider's success makes."""
        owner, member = self.client("owner"), self.client("member")
        routes = {route.endpoint: route for route in post_routes(self.app)}
        made = {
            "engagement.new_challenge": {},
            "engagement.new_event": {},
            "engagement.new_assignment": {},
            "engagement.new_poll": {},
            "engagement.new_lottery": {},
            "payments.money_settings": {"form": "coupon"},
        }
        for endpoint, extra in made.items():
            route = routes[endpoint]
            data = {k: self.fill(v, "coupon") for k, v in route.valid.items()}
            path = route.rule.replace("<slug>", self.slug)
            response = owner.post(path, data={**data, **extra})
            assert response.status_code == 302, (endpoint, data, _errors(response))
        models = dict(
            challenge=Challenge, event=Event, assignment=Assignment, poll=Poll, lottery=Lottery
        )
        self.ids.update({name: first_id(model) for name, model in models.items()})
        self.ids["option"] = first_id(PollOption)
        self.ids["coupon"] = first_id(Coupon)
        response = member.post(
            self.url(f"homework/{self.ids['assignment']}/submit"), data={"body": "Done"}
        )
        assert response.status_code == 302, response.status_code
        response = member.post(self.url(f"c/{self.ids['comment']}/report"), data={"reason": "x"})
        assert response.status_code in (200, 302), response.status_code
        self.ids["submission"] = first_id(Submission)
        self.ids["report"] = first_id(Report)
        payment = Payment(
            planet_id=self.planet_id,
            user_id=self.uid("member"),
            membership_id=self.mid("member"),
            kind=PaymentKind.RENEWAL,
            status=PaymentStatus.PROCESSING,
            amount=9900,
            list_price=9900,
            currency="cny",
            provider_intent_id="pi_fuzz_seed",
        )
        db.session.add(payment)
        db.session.flush()
        intent = {"amount": 9900, "currency": "cny", "status": "succeeded"}
        assert apply_payment_success(payment, intent, utcnow()) != "mismatch"
        db.session.commit()
        self.ids["payment"] = payment.id
        member_import = MemberImport(
            planet_id=self.planet_id, created_by_id=self.uid("owner"), content_hash="0" * 64,
            rows_json="[]", report_json="{}", total_rows=0,
        )  # fmt: skip
        db.session.add(member_import)
        db.session.commit()
        self.ids["import"] = member_import.id
        assert all(self.ids.values()), self.ids

    def url_values(self, endpoint: str) -> dict[str, object]:
        """A real value for every URL variable the POST routes take."""
        topic = self.ids["topic"]
        if endpoint in ("content.answer", "content.edit_answer", "content.delete_answer"):
            topic = self.ids["open_question" if endpoint == "content.answer" else "question"]
        if endpoint in ("content.remove_topic", "content.move_topic", "content.mark_read"):
            topic = self.ids["lesson"]  # the topic in the column
        return {
            "slug": self.slug,
            "topic_id": topic,
            "comment_id": self.ids["comment"],
            "column_id": self.ids["column"],
            "draft_id": self.ids["draft"],
            "report_id": self.ids["report"],
            "cid": self.ids["challenge"],
            "eid": self.ids["event"],
            "aid": self.ids["assignment"],
            "sid": self.ids["submission"],
            "pid": self.ids["poll"],
            "lid": self.ids["lottery"],
            "mid": self.mid("member"),
            "membership_id": self.mid("member"),
            "payment_id": self.ids["payment"],
            "import_id": self.ids["import"],
            "user_id": self.uid("member"),
            "token": "not-a-token",
            "held_id": 1,
            "application_id": 1,
            "campaign_id": 1,
            "file_id": self.ids.get("file", 1),
        }

    def fill(self, value: str, prefix: str = "") -> str:
        known = {
            "prefix": prefix,
            "option": self.ids.get("option", 1),
            "member_uid": self.uid("member"),
            "owner_uid": self.uid("owner"),
            "column": self.ids.get("column", 1),
            "lesson": self.ids.get("lesson", 1),
        }
        for name, real in known.items():
            value = value.replace("{" + name + "}", str(real))
        return value


def _errors(response) -> list[str]:
    return re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', response.get_data(as_text=True))


def row_counts() -> dict[str, int]:
    """Rows in every table, in one statement."""
    tables = db.metadata.sorted_tables
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
    db.session.rollback()
    values = db.session.execute(select(*counts)).one()
    db.session.rollback()
    return dict(zip([t.name for t in tables], values, strict=True))


def first_id(model) -> int:
    return db.session.scalar(select(model.id).order_by(model.id))
