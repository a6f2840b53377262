"""Hostile input through every form of the URL map is never a 500 (RELIABILITY 25, DESIGN 8).

Every POST route of the app is found in the URL map; its fields come from the form classes its
view builds (with their prefixes) and from the keys it reads from `request.form` by hand
(tests/planet/hostile_world.py). For each (route, field) the form is posted as the owner with
valid values everywhere but that one field, which gets each hostile value (2^63, 2^64, -1,
10^30, NaN, infinities, 1e309, the years 1 and 9999, NUL and control characters, 100,000
characters, a list for a scalar) and then what hypothesis draws. The answer must be below 500,
and when it is a 4xx no table gained or lost a row. URL ids beyond 64 bits are a 404, and what
GET views read from the query string by hand is fuzzed the same way.

Speed: one world per module (an owner, members, a topic, questions, a comment, a challenge, an
event, a poll, a lottery, an assignment with a submission, a report, a coupon, a payment),
restored from an SQLite snapshot before every request; each case runs the fixed hostile values
plus a few drawn ones.
"""

from __future__ import annotations

import inspect
import re
import secrets
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from payments.gateway import StripeGateway
from tests.conftest import login, make_test_app
from tests.planet.access_helpers import TAG, Snapshot, module_app
from tests.planet.hostile_world import HostileWorld, post_routes, row_counts
from tests.plugins.stripe import FakeStripeHTTP

HUGE_TEXT = "x" * 100_000
HOSTILE = [
    str(2**63),
    str(2**64),
    "-1",
    "0",
    str(10**30),
    str(-(10**30)),
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "\x00",
    "\x01\x08\x1b[2J\x7f\u202e",
    HUGE_TEXT,
    ["1", str(2**64)],
    ["a", "b", "c"],
]
DRAWN = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.lists(st.text(max_size=8), min_size=2, max_size=4),
)
DRAWN_EXAMPLES = 6
# Tables that record a refused attempt on purpose: a coupon code tried at checkout is counted
# even when refused (the rate limit that keeps coupon codes from being guessed).
AUDITED_REFUSALS = {"payment_coupon_attempts"}
SETTINGS = settings(
    max_examples=DRAWN_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _routes():
    """The app's URL map and forms (this app serves no request)."""
    app = make_test_app("sqlite://", Path(tempfile.mkdtemp(prefix="planet-hostile-")))
    return app, post_routes(app)


_APP, ROUTES = _routes()
_RULES = {f"{r.endpoint}:{r.rule}": r for r in _APP.url_map.iter_rules()}
CASES = [
    pytest.param(route, spec, id=f"{route.endpoint}:{spec.name}")
    for route in ROUTES
    for spec in route.fields
]


def _refund(params):
    return {
        "id": f"re_{secrets.token_hex(6)}",
        "object": "refund",
        "amount": int(params.get("amount") or 0),
        "status": "succeeded",
        "payment_intent": params.get("payment_intent"),
    }


# Just enough provider for the payment routes: no refund made yet, a refund succeeds, a
# customer is made, no card token is known.
PROVIDER = {
    ("GET", "/v1/refunds"): {"object": "list", "has_more": False, "data": []},
    ("POST", "/v1/refunds"): _refund,
    ("POST", "/v1/customers"): {"id": "cus_fuzz", "object": "customer"},
    ("GET", "/v1/charges"): {"object": "list", "has_more": False, "data": []},
    ("POST", "/v1/customers/cus_fuzz/sources"): lambda params: {
        "_status": 400,
        "error": {"type": "invalid_request_error", "message": "No such token"},
    },
}


def _hostile(test):
    """Every fixed hostile value as an explicit example, then what DRAWN draws."""
    for value in reversed(HOSTILE):
        test = example(value=value)(test)
    return SETTINGS(given(value=DRAWN)(test))


# ---------------------------------------------------------------- the world


class Fuzz:
    def __init__(self, app, world: HostileWorld):
        self.app = app
        self.world = world
        self.keys = {}
        for who in ("owner", "member"):
            with app.test_client() as client:
                self.keys[who] = login(client, world.user(who))
        self.snapshot = Snapshot()

    def client(self, who: str = "owner"):
        """A fresh client signed in as `who` (no row written: the session is in the
        snapshot), asking for Chinese."""
        self.snapshot.restore()
        client = self.app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = self.keys[who]
            session["_fresh"] = True
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
        return client

    def url(self, rule, endpoint: str, **override) -> str:
        values = {**self.world.url_values(endpoint), **override}
        missing = set(rule.arguments) - set(values)
        if missing:
            pytest.fail(f"{endpoint}: no value for URL variables {sorted(missing)}")
        with self.app.test_request_context():
            return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]

    def post(self, route, data: MultiDict, who: str = "owner", **override):
        rule = self.rules[route.id]
        client = self.client(who)
        path = self.url(rule, route.endpoint, **override)
        before = row_counts()
        try:
            response = client.post(path, data=data)
        except Exception as error:  # noqa: BLE001 - a propagated exception is the 500
            raise AssertionError(f"POST {path}: 500 ({type(error).__name__}: {error})") from error
        status = response.status_code
        assert status < 500, f"POST {path}: {status}"
        if status >= 400:
            after = row_counts()
            changed = {
                t: (before[t], after[t])
                for t in before
                if before[t] != after[t] and t not in AUDITED_REFUSALS
            }
            assert not changed, f"POST {path}: {status} but rows changed {changed}"
        return response

    @property
    def rules(self):
        return {f"{r.endpoint}:{r.rule}": r for r in self.app.url_map.iter_rules()}


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    with module_app(tmp_path_factory, "hostile") as app:
        app.extensions["payments_gateway"] = StripeGateway(
            "sk_test_fake", "http://fake.invalid", http_client=FakeStripeHTTP(PROVIDER)
        )
        world = HostileWorld(app)
        yield Fuzz(app, world)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) < 60 else f"{text[:40]}...({len(text)} chars)"


# ---------------------------------------------------------------- forms


@pytest.mark.parametrize(("route", "spec"), CASES)
def test_hostile_field_is_never_a_500(fuzz, route, spec):
    @_hostile
    def check(value):
        data = MultiDict()
        for name, valid in route.valid.items():
            if name != spec.name:
                data.add(name, fuzz.world.fill(valid, spec.prefix))
        for item in value if isinstance(value, list) else [value]:
            data.add(spec.name, item)
        try:
            fuzz.post(route, data)
        except AssertionError as error:
            raise AssertionError(f"{spec.name}={_show(value)}: {error}") from None

    check()


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.id)
def test_hostile_fields_from_a_member_are_never_a_500(fuzz, route):
    """The same fixed hostile values in every field, sent by a plain member: the forms a member
    may use validate them, the others refuse them; neither answers 500 or writes on a 4xx."""
    for spec in route.fields:
        for value in HOSTILE:
            data = MultiDict()
            for name, valid in route.valid.items():
                if name != spec.name:
                    data.add(name, fuzz.world.fill(valid, spec.prefix))
            for item in value if isinstance(value, list) else [value]:
                data.add(spec.name, item)
            try:
                fuzz.post(route, data, who="member")
            except AssertionError as error:
                raise AssertionError(f"{spec.name}={_show(value)}: {error}") from None


def test_the_discovery_sees_every_input():
    """A route with no field found reads nothing from the form by hand either: otherwise its
    input would be skipped silently."""
    assert len(ROUTES) >= 70
    assert len(CASES) >= 150
    for route in ROUTES:
        if not route.fields:
            source = inspect.getsource(inspect.unwrap(_APP.view_functions[route.endpoint]))
            assert not re.search(r"request\.(form|values|get_json)", source), route.endpoint


def test_the_valid_values_are_accepted(fuzz):
    """The starting values pass: otherwise every case would stop at validation and prove
    little. Checked on the forms that create something."""
    for endpoint in ("engagement.new_challenge", "engagement.new_event", "content.comment"):
        route = next(r for r in ROUTES if r.endpoint == endpoint)
        data = MultiDict({k: fuzz.world.fill(v) for k, v in route.valid.items()})
        response = fuzz.post(route, data)
        assert response.status_code == 302, (endpoint, response.status_code)


# ---------------------------------------------------------------- URL ids

ID_CASES = [
    pytest.param(route, name, id=f"{route.endpoint}:{name}")
    for route in ROUTES
    for name, converter in _RULES[route.id]._converters.items()
    if isinstance(converter, IntegerConverter)
]


@pytest.mark.parametrize(("route", "name"), ID_CASES)
@pytest.mark.parametrize("huge", [2**63, 2**64, 10**30])
def test_url_ids_beyond_64_bits_are_404(fuzz, route, name, huge):
    rule = fuzz.rules[route.id]
    client = fuzz.client()
    path = fuzz.url(rule, route.endpoint).split("?")[0]
    real = str(fuzz.world.url_values(route.endpoint)[name])
    parts = path.split("/")
    parts[parts.index(real)] = str(huge)
    before = row_counts()
    response = client.post("/".join(parts), data={"body": "hi"})
    assert response.status_code == 404
    assert row_counts() == before


# ---------------------------------------------------------------- query strings read by hand

_ARG = re.compile(r"request\.args(?:\.get\(|\[)\s*[\"'](\w+)[\"']")


def _get_cases():
    extra = {"name": TAG, "hashtag": TAG, "token": "x", "key": "x", "filename": "x.png"}
    cases = []
    for rule in sorted(_APP.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        source = inspect.getsource(inspect.unwrap(_APP.view_functions[rule.endpoint]))
        for name in dict.fromkeys(_ARG.findall(source)):
            cases.append(pytest.param(rule.endpoint, rule.rule, name, extra, id=f"{rule}?{name}"))
    return cases


@pytest.mark.parametrize(("endpoint", "rule_text", "name", "extra"), _get_cases())
def test_hostile_query_argument_is_never_a_500(fuzz, endpoint, rule_text, name, extra):
    rule = fuzz.rules[f"{endpoint}:{rule_text}"]

    @_hostile
    def check(value):
        client = fuzz.client()
        path = fuzz.url(rule, endpoint, **extra)
        query = MultiDict([(name, v) for v in (value if isinstance(value, list) else [value])])
        try:
            response = client.get(path, query_string=query)
        except Exception as error:  # noqa: BLE001 - a propagated exception is the 500
            raise AssertionError(f"GET {path}?{name}={_show(value)}: 500 ({error!r})") from None
        assert response.status_code < 500, f"GET {path}?{name}={_show(value)}"

    check()
