"""Log lines: JSON that parses, one request id on every line of a request (and of the jobs it
ran), the user and planet ids, and no secret in any line."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from planet import logs
from planet.config import load_config

PROXY_ID = "proxy-7f3a9c21-request"
PASSWORD = "Correct-Horse-Battery-9417"


@pytest.fixture
def log_lines():
    """Every record logged during the test, formatted by Planet's JSON handler; call it to
    get the lines parsed (each must be one JSON object)."""
    buffer = io.StringIO()
    handler = logs.make_handler("json", buffer)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_every_line_of_a_request_and_its_jobs_carries_its_request_id(
    client, make, login_as, log_lines
):
    planet = make.planet()
    joiner = make.user()
    login_as(joiner)
    response = client.post(
        f"/p/{planet.slug}/join", data={"accept_rules": "y"}, headers={"X-Request-ID": PROXY_ID}
    )
    assert response.status_code in (302, 303)
    assert response.headers["X-Request-ID"] == PROXY_ID
    lines = log_lines()
    request_lines = [line for line in lines if line["logger"] == "planet.request"]
    assert len(request_lines) == 1
    assert request_lines[0]["status"] == response.status_code
    assert request_lines[0]["user_id"] == joiner.id
    assert request_lines[0]["planet_id"] == planet.id
    job_lines = [line for line in lines if line.get("job") == "notifications.member_joined"]
    assert job_lines, lines  # the job the request deferred ran, and said so
    assert {line["request_id"] for line in lines} == {PROXY_ID}
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)


def test_a_request_without_an_id_gets_a_new_one_per_request(client, log_lines):
    first = client.get("/healthz")
    second = client.get("/healthz")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert ids[0] != ids[1]
    assert [line["request_id"] for line in log_lines()] == ids


@pytest.mark.parametrize(
    "given",
    [
        "short",
        "x" * 129,
        "has spaces in it",
        'quote"injected;request-id',
        "<script>alert(1)</script>",
    ],
)
def test_a_malformed_request_id_is_replaced(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] != given
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_failed_login_logs_no_password(client, make, log_lines):
    user = make.user(email="someone@example.com")
    for password in (PASSWORD, f"password={PASSWORD}"):
        response = client.post("/accounts/login", data={"email": user.email, "password": password})
        assert response.status_code in (200, 400, 401, 403)
    lines = log_lines()
    assert len(lines) >= 2 and all(line["request_id"] for line in lines)
    assert not [line for line in lines if PASSWORD in json.dumps(line)]


def test_secrets_are_masked_in_messages_fields_and_tracebacks(log_lines):
    card = "4242 4242 4242 4242"
    secrets = [
        "4242424242424242",
        card,
        "tok_1PzQxYAbCdEf",
        "sk_live_51HqABCDEF",
        "whsec_abc123",
        "pi_123_secret_456",
        "s3cr3t-bearer",
        "Ik1.reset-token.Zz",
    ]
    log = logging.getLogger("tests.logs")
    log.info(
        "payment 12345 at 1733356800: card %s, token tok_1PzQxYAbCdEf, key sk_live_51HqABCDEF, "
        "hook whsec_abc123, client pi_123_secret_456, Authorization: Bearer s3cr3t-bearer, "
        "link https://planet.example/accounts/password/reset/Ik1.reset-token.Zz",
        card,
        extra={"card": {"number": "4242424242424242", "cvc": "123"}, "password": "hunter2"},
    )
    try:
        raise ValueError("No such token: 'tok_1PzQxYAbCdEf' for card 4242424242424242")
    except ValueError:
        log.exception("provider refused")
    lines = log_lines()
    text = "\n".join(json.dumps(line) for line in lines)
    for secret in [*secrets, "hunter2"]:
        assert secret not in text, secret
    first = lines[0]
    assert first["card"] == "[redacted]" and first["password"] == "[redacted]"
    # What is not secret survives: ids, timestamps, the shape of the sentence.
    assert "payment 12345 at 1733356800: card [card]" in first["message"]
    assert "ValueError" in lines[1]["exc_info"]


def test_the_text_format_carries_the_context_and_masks_too():
    buffer = io.StringIO()
    handler = logs.make_handler("text", buffer)
    log = logging.getLogger("tests.logs.text")
    log.addHandler(handler)
    try:
        with logs.bound(request_id="req-12345678", job="area.verb_noun"):
            log.warning("card 4000000000000341 declined")
    finally:
        log.removeHandler(handler)
    line = buffer.getvalue().strip()
    assert "[request_id=req-12345678 job=area.verb_noun]" in line
    assert "4000000000000341" not in line and "[card]" in line
    assert not line.startswith("{")


def test_log_format_defaults_to_json_in_production_and_text_elsewhere(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.setenv("PLANET_ENV", "production")
    assert load_config()["LOG_FORMAT"] == "json"
    monkeypatch.setenv("PLANET_ENV", "development")
    assert load_config()["LOG_FORMAT"] == "text"
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert load_config()["LOG_FORMAT"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        load_config()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key sk_live_51HqABCDEF", "51HqABCDEF"),
        ("restricted rk_test_9Zy", "9Zy"),
        ("hook whsec_abc123", "abc123"),
        ("client pi_123_secret_456", "456"),
        ("setup seti_1Ab_secret_2Cd", "2Cd"),
        ("source src_1Ab_secret_2Cd", "2Cd"),
        ("card token tok_visa", "visa"),
        ("bank btok_1Ab_secret_2Cd", "2Cd"),
        ("login password=hunter2", "hunter2"),
        ("link /verify/Ik1abc", "Ik1abc"),
        ("number 4000 0000 0000 0341", "4000 0000 0000 0341"),
    ],
)
def test_each_secret_alone_is_masked(text, secret):
    """The one scan that lets a line through untouched never lets a secret through."""
    assert secret not in logs.redact_text(text)


def test_a_request_line_with_its_context_is_left_as_it_is():
    line = "INFO planet.request [request_id=b817ae user_id=3 planet_id=1] GET /p/<slug>/ 200"
    assert logs.redact_text(line) == line
    assert logs._SUSPECT.search(line) is None  # not scanned by every mask


def test_the_text_formats_time_is_not_mistaken_for_a_secret(monkeypatch):
    """Every text line starts with a time, which the masks' scan would take for a card number:
    the scan sees what follows it, so a plain line is not run through every mask."""
    scanned: list[str] = []
    real = logs.redact_text
    monkeypatch.setattr(logs, "redact_text", lambda text: scanned.append(text) or real(text))
    record = logging.LogRecord("planet.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    line = logs.TextFormatter().format(record)
    assert scanned and not scanned[0].startswith(record.asctime)
    assert line.startswith(record.asctime) and line.endswith("GET / 200")
    assert logs._SUSPECT.search(scanned[0]) is None
