"""The owner imports people who paid elsewhere: from the Manage menu to the upload, the preview
(a past date is flagged on its row), the invitations; then an invited person opens the mailed
link, signs up with the address prefilled, accepts the rules and is in. In Chinese on a phone
(a GBK file, as Excel on a Chinese Windows saves it) and in English on a laptop (UTF-8 with a
BOM)."""

from __future__ import annotations

import csv
import email
import io
import re
import uuid
from datetime import date, timedelta
from email import policy
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, MOBILE, NEW_PASSWORD

pytestmark = pytest.mark.browser

SLUG = "community-lab"  # the demo owner's free planet, with rules
WORDS = {
    "zh-CN": {
        "import": "导入成员",
        "past": "这个日期已经过去。",
        "send": "发送 2 份邀请",
        "done": "已完成：邀请了 2 人",
        "create": "注册账号",
        "accept": "接受并加入",
        "encoding": "gb18030",
        "header": ["姓名", "邮箱", "到期日", "角色"],
    },
    "en": {
        "import": "Import members",
        "past": "This date is in the past.",
        "send": "Send 2 invitations",
        "done": "Done: 2 invited",
        "create": "Create an account",
        "accept": "Accept and join",
        "encoding": "utf-8-sig",
        "header": ["name", "email", "paid_until", "role"],
    },
}


def the_file(words, invitee: str, other: str) -> bytes:
    soon = (date.today() + timedelta(days=180)).isoformat()
    gone = (date.today() - timedelta(days=30)).isoformat()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(words["header"])
    writer.writerow(["李雷 Li", invitee, soon, ""])
    writer.writerow(["=cmd|' /C calc'!A0", other, soon, ""])
    writer.writerow(["Late", f"late-{uuid.uuid4().hex[:6]}@example.com", gone, ""])
    return out.getvalue().encode(words["encoding"])


def invitation_link(planet_server, address: str) -> str:
    """The link of the one invitation mailed to `address` (its sign-up mail aside)."""
    links = []
    for raw in planet_server.mails_to(address):
        message = email.message_from_string(raw, policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        links += re.findall(r"https?://\S+/invitation/\S+", text)
    [link] = links
    return urlsplit(link).path


@pytest.mark.parametrize(
    ("locale", "viewport"), [("zh-CN", MOBILE), ("en", DESKTOP)], ids=["zh-phone", "en-laptop"]
)
def test_import_preview_invitations_and_an_invited_person_joins(
    people, planet_server, shot, locale, viewport
):
    words = WORDS[locale]
    invitee = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    other = f"other-{uuid.uuid4().hex[:8]}@example.com"

    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    owner.goto(f"/p/{SLUG}")
    manage = owner.locator(".planet-tabs details.tab-more")
    manage.locator("summary").click()
    manage.get_by_role("link", name=words["import"]).click()
    owner.wait_for_url(f"**/p/{SLUG}/members/import")
    shot(owner, "import form")
    owner.set_input_files(
        'input[name="file"]',
        {"name": "members.csv", "mimeType": "text/csv", "buffer": the_file(words, invitee, other)},
    )
    owner.locator("form.import-form [type=submit]").click()
    owner.wait_for_url(re.compile(r".*/members/import/\d+$"))
    errors = owner.locator("table.import-errors")
    assert words["past"] in errors.inner_text()
    assert owner.locator(".to-invite").inner_text() == "2"
    assert "=cmd" in owner.locator("table.import-sample").inner_text()  # shown as text
    shot(owner, "preview")

    owner.get_by_role("button", name=words["send"]).click()
    owner.wait_for_load_state()
    owner.locator(".import-status", has_text=words["done"]).wait_for(timeout=30_000)
    shot(owner, "invitations sent")

    person = people.new(viewport=viewport, locale=locale)
    person.goto(invitation_link(planet_server, invitee))
    shot(person, "invitation")
    person.locator("main").get_by_role("link", name=words["create"]).click()
    person.wait_for_url(re.compile(r".*/accounts/signup\?.*"))
    assert person.input_value('input[name="email"]') == invitee
    person.fill('input[name="display_name"]', "李雷")
    person.fill('input[name="password"]', NEW_PASSWORD)
    person.locator('main form[action$="/accounts/signup"] [type="submit"]').click()
    person.wait_for_url(re.compile(r".*/invitation/[^/]+$"))
    rules = person.locator('input[name="accept_rules"]')
    if rules.count():
        rules.check()
    person.get_by_role("button", name=words["accept"]).click()
    person.wait_for_url(re.compile(rf".*/p/{SLUG}/?$"))
    assert "/invitation/" not in person.url
    shot(person, "joined")
    # The link works once: opened again, it says it was used (by this person: no error).
    person.goto(invitation_link(planet_server, invitee))
    assert person.get_by_role("button", name=words["accept"]).count() == 0
