"""In Debian's Chromium (Playwright): publish a topic with an image, like, comment, search."""

from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.planet.content.conftest import image_bytes

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def _log_in(browser, base, user):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/accounts/login")
    page.fill('input[name="email"]', user.email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form button[type="submit"]:not(.link)')
    page.wait_for_load_state()
    return page


def test_topic_with_image_like_comment_and_search(world, live_server, browser, tmp_path):
    picture = tmp_path / "cover.png"
    picture.write_bytes(image_bytes(size=(40, 30)))
    owner = _log_in(browser, live_server, world.owner)
    owner.goto(f"{live_server}/p/moon/new")
    owner.fill('input[name="title"]', "欢迎来到月球")
    owner.fill('textarea[name="body"]', "第一篇关于 #社群运营 的**主题**")
    owner.set_input_files('input[name="images"]', str(picture))
    owner.click('form[enctype] button[type="submit"]')
    owner.wait_for_url("**/p/moon/t/*")
    assert owner.locator("h2.topic-title").inner_text() == "欢迎来到月球"
    assert owner.locator(".topic .body strong").inner_text() == "主题"
    image = owner.locator(".gallery img").first
    image.wait_for()
    assert owner.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle()) == 40

    member = _log_in(browser, live_server, world.member)
    member.goto(f"{live_server}/p/moon/")
    member.click(".topic .actions button.like")
    member.wait_for_load_state()
    assert "liked" in member.locator(".topic .actions button.like").first.get_attribute("class")
    member.click(".topic .topic-title a")
    member.fill(".comment-form textarea", "写得好 @Owner")
    member.click(".comment-form button")
    member.wait_for_load_state()
    assert "写得好" in member.locator(".comments").inner_text()
    member.goto(f"{live_server}/p/moon/")
    member.fill('input[name="q"]', "社群运营")
    member.press('input[name="q"]', "Enter")
    member.wait_for_url("**/search?q=*")
    assert "欢迎来到月球" in member.locator("main").inner_text()
    member.click("a.hashtag")
    member.wait_for_url("**/tags/*")
    assert "欢迎来到月球" in member.locator("main").inner_text()

    outsider = _log_in(browser, live_server, world.outsider)
    outsider.goto(f"{live_server}/p/moon/")
    assert "欢迎来到月球" not in outsider.content()
