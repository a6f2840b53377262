"""The file library in the browser, in Chinese on a phone and in English on a laptop: the owner
uploads a PDF from the Files tab and sees its first page as a thumbnail; a file whose name lies
about its content is refused beside the field; a member finds the PDF by search and downloads
it as a file named as uploaded."""

from __future__ import annotations

import uuid
from io import BytesIO

import pytest
from PIL import Image

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
CASES = {
    "zh-CN": {"slug": "community-lab", "tab": "文件", "upload": "上传文件", "send": "上传",
              "lie": "但内容是 PDF", "search": "搜索"},
    "en-US": {"slug": "indie-builders", "tab": "Files", "upload": "Upload a file",
              "send": "Upload", "lie": "but the file is PDF", "search": "Search"},
}  # fmt: skip


def _pdf(path) -> None:
    buffer = BytesIO()
    Image.new("RGB", (400, 560), (15, 118, 110)).save(buffer, "PDF")
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize(
    ("locale", "viewport"), [("zh-CN", MOBILE), ("en-US", DESKTOP)], ids=["zh-phone", "en-desktop"]
)
def test_upload_find_and_download_a_file(people, shot, tmp_path, locale, viewport):
    case = CASES[locale]
    slug = case["slug"]
    marker = uuid.uuid4().hex[:6]
    pdf = tmp_path / f"playbook-{marker}.pdf"
    _pdf(pdf)
    liar = tmp_path / f"slides-{marker}.docx"
    liar.write_bytes(pdf.read_bytes())

    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    owner.goto(f"/p/{slug}/")
    owner.locator(".planet-tabs a", has_text=case["tab"]).first.click()
    owner.wait_for_url(f"**/p/{slug}/library")
    owner.locator("details.file-upload summary", has_text=case["upload"]).click()
    owner.set_input_files('input[name="file"]', str(liar))
    owner.locator(".file-upload button[type=submit]", has_text=case["send"]).click()
    owner.wait_for_load_state()
    assert case["lie"] in owner.locator(".file-upload").inner_text()
    shot(owner, "a file whose name lies is refused")
    owner.set_input_files('input[name="file"]', str(pdf))
    owner.locator(".file-upload button[type=submit]", has_text=case["send"]).click()
    owner.wait_for_url(f"**/p/{slug}/library")
    item = owner.locator(".file-item", has_text=pdf.name)
    item.wait_for(state="visible")
    owner.reload()  # the thumbnail is drawn by a job after the upload commits
    thumb = owner.locator(".file-item", has_text=pdf.name).locator("img.file-thumb")
    thumb.wait_for(state="visible")
    owner.wait_for_function("img => img.complete && img.naturalWidth > 0",
                            arg=thumb.element_handle())  # fmt: skip
    assert owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(owner, "the PDF with its first page")

    member = people.as_demo("member", viewport=viewport, locale=locale)
    member.goto(f"/p/{slug}/library")
    member.fill('input[name="q"]', marker)
    member.get_by_role("button", name=case["search"]).click()
    member.wait_for_url(f"**/p/{slug}/library?q=*")
    assert member.locator(".file-item").count() == 1
    with member.expect_download() as download:
        member.locator(".file-item a.file-name", has_text=pdf.name).click()
    assert download.value.suggested_filename == pdf.name
    saved = tmp_path / "saved.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == pdf.read_bytes()
    shot(member, "the member found the file")
