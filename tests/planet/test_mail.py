"""planet.mail: messages over real SMTP (the smtp_catcher fixture)."""

from __future__ import annotations

import smtplib

import pytest

from planet.mail import build_message, send_email


def test_text_and_html_as_multipart_alternative(app, smtp_catcher):
    send_email(
        "ada@example.com",
        "Hello 星球",
        "Plain body ✓",
        "<p>HTML body ✓</p>",
        headers={"List-Unsubscribe": "<https://planet.example/unsubscribe>"},
    )
    mail = smtp_catcher.last
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "Hello 星球"
    assert mail["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert mail["List-Unsubscribe"] == "<https://planet.example/unsubscribe>"
    assert mail["Message-ID"] and mail["Date"]
    assert smtp_catcher.text(mail).strip() == "Plain body ✓"
    assert smtp_catcher.html(mail).strip() == "<p>HTML body ✓</p>"
    assert smtp_catcher.envelopes[-1] == ("no-reply@planet.local", ["ada@example.com"])
    stored = list(smtp_catcher.directory.glob("*.eml"))
    assert len(stored) == 1


def test_text_only_and_several_recipients(app, smtp_catcher):
    send_email(["a@example.com", "b@example.com"], "Hi", "Just text")
    mail = smtp_catcher.last
    assert mail.get_content_type() == "text/plain"
    assert smtp_catcher.html(mail) == ""
    assert smtp_catcher.envelopes[-1][1] == ["a@example.com", "b@example.com"]
    assert len(smtp_catcher.to("B@example.com")) == 1


@pytest.mark.parametrize(
    "to, subject, headers",
    [
        ("a@example.com\r\nBcc: x@example.com", "Hi", None),
        ("a@example.com", "Hi\nBcc: x@example.com", None),
        ("a@example.com", "Hi", {"X-Test": "a\r\nBcc: x@example.com"}),
        ([], "Hi", None),
    ],
)
def test_header_injection_and_no_recipient_are_refused(app, to, subject, headers):
    with pytest.raises(ValueError):
        build_message(to, subject, "body", headers=headers)


def test_unreachable_server_raises(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT=2)
    with pytest.raises((OSError, smtplib.SMTPException)):
        send_email("a@example.com", "Hi", "body")


def test_wait_for_returns_the_messages(app, smtp_catcher):
    send_email("a@example.com", "One", "1")
    send_email("a@example.com", "Two", "2")
    assert [m["Subject"] for m in smtp_catcher.wait_for(2)] == ["One", "Two"]
    smtp_catcher.clear()
    assert smtp_catcher.messages == []


@pytest.mark.parametrize(
    "subject, text, html",
    [
        ("Hi", "Plain ascii\n", None),
        ("你的导出已就绪", "下载：\nhttps://planet.example/e/1", None),
        ("Hello 星球 — news", "Plain body ✓\nsecond line", "<p>HTML ✓ &amp; more</p>"),
        ("Long", "x" * 2000 + "\n" + "é" * 900, "<p>" + "y" * 1200 + "</p>"),
        ("Ascii " * 30, "short", "<b>short</b>"),
    ],
)
def test_the_fast_builder_matches_email_message(app, subject, text, html):
    """build_message (compat32 classes) and the email.policy builder give the same message
    once parsed: headers, content types, decoded bodies."""
    from email import message_from_bytes, policy

    from planet import mail

    headers = {"List-Unsubscribe": "<https://planet.example/u/" + "t" * 120 + ">"}
    sender = app.config["MAIL_DEFAULT_SENDER"]
    fast = build_message("ada@example.com", subject, text, html, headers)
    slow = mail._build_email_message(["ada@example.com"], subject, text, html, headers, sender)
    assert type(fast) is not type(slow)
    parsed = [message_from_bytes(m.as_bytes(), policy=policy.default) for m in (fast, slow)]
    for name in ("From", "To", "Subject", "List-Unsubscribe", "MIME-Version"):
        assert parsed[0][name] == parsed[1][name], name
    for a, b in zip(parsed[0].walk(), parsed[1].walk(), strict=True):
        assert a.get_content_type() == b.get_content_type()
        assert a["Content-Transfer-Encoding"] == b["Content-Transfer-Encoding"]
        if not a.is_multipart():
            assert a.get_content() == b.get_content()
    assert all(len(line) <= 998 for line in fast.as_bytes().splitlines())


@pytest.mark.parametrize("html", [None, "<p>你好</p>"])
def test_a_short_chinese_body_is_sent_and_read_back(app, smtp_catcher, html):
    """A short non-ASCII body goes as 8bit: it must reach the server and decode as written."""
    send_email("ada@example.com", "导出已就绪", "下载：\nhttps://planet.example/e/1", html)
    message = smtp_catcher.last
    assert message["Subject"] == "导出已就绪"
    plain = message.get_body(("plain",)) if html else message
    assert plain.get_content().splitlines() == ["下载：", "https://planet.example/e/1"]


def test_a_non_ascii_display_name_is_encoded(app, smtp_catcher):
    app.config["MAIL_DEFAULT_SENDER"] = "星球 Planet <no-reply@planet.local>"
    send_email("ada@example.com", "Hi", "body")
    assert smtp_catcher.last["From"] == "星球 Planet <no-reply@planet.local>"
    assert smtp_catcher.envelopes[-1][0] == "no-reply@planet.local"
