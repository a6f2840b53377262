"""An announcement's mail carries its title and text (issue 11 point 10): members may read it,
so they get it in the mail, Markdown rendered and sanitized in the HTML part and as plain text
in the text part, bounded (the first ANNOUNCEMENT_MAIL_CHARS characters and a link to the rest),
the words around it in the recipient's language."""

from __future__ import annotations

from planet import jobs
from planet.content.services.topics import create_topic
from planet.notifications import services

BODY = (
    "Our **live session** moves to Friday.\n\n"
    "- bring your questions\n- read [the notes](https://example.com/notes)\n\n"
    "<script>alert('x')</script> and <img src=x onerror=alert(1)>"
)


def _announce(app, make, body: str, title: str = "Friday session"):
    owner = make.user(name="Olga", email="owner@example.com")
    planet = make.planet(owner, name="Alpha")
    for email, locale in (("en@example.com", "en"), ("zh@example.com", "zh")):
        make.member(planet, make.user(email=email, locale=locale))
    with app.test_request_context():
        topic = create_topic(planet, owner, title=title, body=body, announce=True)
    jobs.commit()
    return planet, topic


def test_the_mail_carries_the_title_and_the_text_sanitized(app, make, smtp_catcher):
    planet, topic = _announce(app, make, BODY)

    [mail] = smtp_catcher.to("en@example.com")
    html, text = smtp_catcher.html(mail), smtp_catcher.text(mail)
    assert "Alpha" in mail["Subject"]
    assert "Friday session" in html and "Friday session" in text
    assert "<strong>live session</strong>" in html
    assert "<li>bring your questions</li>" in html
    assert 'href="https://example.com/notes"' in html
    # Raw HTML in the Markdown reaches the mail as escaped text, never as a tag.
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "Our live session moves to Friday." in text and "**" not in text
    assert "- bring your questions" in text
    assert "the notes (https://example.com/notes)" in text
    assert "<strong>" not in text
    link = f"http://127.0.0.1:5000/p/{planet.slug}/t/{topic.id}"
    assert link in smtp_catcher.links(mail)
    assert "Read the whole announcement" not in html  # nothing was cut

    # The Chinese member's mail: the same text, the words around it in Chinese.
    [mail] = smtp_catcher.to("zh@example.com")
    text = smtp_catcher.text(mail)
    assert "公告" in mail["Subject"] and "Friday session" in text and "你好" in text
    assert "Our live session moves to Friday." in text
    # The author is not mailed their own announcement.
    assert smtp_catcher.to("owner@example.com") == []


def test_a_long_announcement_is_cut_with_a_link_to_the_rest(app, make, smtp_catcher):
    paragraphs = [f"Paragraph {n}: " + "word " * 60 for n in range(20)]
    _planet, _topic = _announce(app, make, "\n\n".join(paragraphs) + "\n\nTHE-VERY-END")

    [mail] = smtp_catcher.to("en@example.com")
    html, text = smtp_catcher.html(mail), smtp_catcher.text(mail)
    assert "Paragraph 0:" in text and "Paragraph 0:" in html
    assert "THE-VERY-END" not in text and "THE-VERY-END" not in html
    assert len(text) < services.ANNOUNCEMENT_MAIL_CHARS + 1000
    assert "Read the whole announcement" in html and "Read the whole announcement" in text
    [mail] = smtp_catcher.to("zh@example.com")
    assert "阅读完整公告" in smtp_catcher.text(mail)
