"""The file library through the HTTP app: every accepted kind is recognised by its bytes and
stored; every bad file is a clear 4xx with no row and no stored object; downloads go through
the policy as no-store attachments and are counted; PDFs and images get thumbnails; search
finds files by name; topics carry files; watermarking marks PDFs for each reader."""

from __future__ import annotations

import io
import zipfile

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import func, select

from planet.content.library.models import PlanetFile
from planet.engagement.insights import landing_views
from planet.extensions import db
from planet.storage import storage
from tests.planet.content.conftest import image_bytes

pytestmark = pytest.mark.usefixtures("storage_backend")


def pdf_bytes(pages: int = 1) -> bytes:
    sheets = [Image.new("RGB", (300, 400), (250, 250, 250 - 40 * n)) for n in range(pages)]
    buffer = io.BytesIO()
    sheets[0].save(buffer, "PDF", save_all=True, append_images=sheets[1:])
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def office(part: str) -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", f"{part}/document.xml": b"<x/>"})


MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"\x00" * 64 + b"\xff\xfb\x90\x00" + b"\x00" * 400
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 400
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x10\x00\x00\x00\x01\x00\x02\x00" + b"\x00" * 400
ACCEPTED = [
    ("报告.pdf", pdf_bytes(), "pdf", "application/pdf"),
    ("notes.docx", office("word"), "word", None),
    ("sheet.xlsx", office("xl"), "excel", None),
    ("slides.pptx", office("ppt"), "powerpoint", None),
    ("bundle.zip", zip_bytes({"a.txt": b"hello"}), "zip", "application/zip"),
    ("talk.mp3", MP3, "audio", "audio/mpeg"),
    ("clip.mp4", MP4, "video", "video/mp4"),
    ("voice.wav", WAV, "audio", "audio/wav"),
    ("photo.png", image_bytes("PNG", (60, 40)), "image", "image/png"),
    ("no-extension", pdf_bytes(), "pdf", "application/pdf"),
]


def _upload(world, name, data, who="owner"):
    return world.client(who).post(
        world.url("library"),
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _stored() -> list[str]:
    return [o.key for o in storage().iter_keys("library/")]


@pytest.mark.parametrize(("name", "data", "kind", "content_type"), ACCEPTED,
                         ids=[a[0] for a in ACCEPTED])  # fmt: skip
def test_each_accepted_kind_is_recognised_by_its_bytes(world, name, data, kind, content_type):
    response = _upload(world, name, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    row = db.session.scalar(select(PlanetFile))
    assert (row.kind, row.name, row.size) == (kind, name, len(data))
    if content_type:
        assert row.content_type == content_type
    assert storage().read(f"library/{world.planet.id}/{row.key}") == data
    listing = world.client("member").get(world.url("library")).get_data(as_text=True)
    assert name in listing


def _bomb() -> bytes:
    return zip_bytes({"zeros.bin": b"\x00" * (20 * 1024 * 1024)})


BAD = [
    ("program.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, 400, "not accepted"),
    ("report.docx", pdf_bytes(), 400, "the file is PDF"),
    ("empty.pdf", b"", 400, "empty"),
    ("bomb.zip", _bomb(), 400, "ZIP bomb"),
    (
        "vector.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        400,
        "SVG",
    ),
    ("page.html", b"<html><script>alert(1)</script></html>", 400, "not accepted"),
    ("broken.zip", b"PK\x03\x04" + b"\x00" * 30, 400, "damaged"),
]


@pytest.mark.parametrize(("name", "data", "status", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_are_refused_with_nothing_written(world, name, data, status, reason):
    world.client("owner").environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = _upload(world, name, data)
    assert response.status_code == status
    assert reason.casefold() in response.get_data(as_text=True).casefold()
    assert db.session.scalar(select(func.count(PlanetFile.id))) == 0
    assert _stored() == []


def test_a_file_over_the_limit_is_a_413_beside_its_field(world, app):
    app.config["FILE_MAX_BYTES"] = 1000
    response = _upload(world, "big.pdf", pdf_bytes() + b"\x00" * 2000)
    assert response.status_code == 413
    assert 'class="field has-error' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PlanetFile.id))) == 0 and _stored() == []


def test_downloads_are_private_attachments_counted_and_members_only(world):
    document = pdf_bytes()  # once: a PDF carries the second it was made
    _upload(world, "季度报告 Q3.pdf", document)
    row = db.session.scalar(select(PlanetFile))
    url = world.url(f"library/{row.id}/download")
    for _ in range(3):
        response = world.client("member").get(url)
        assert response.status_code == 200 and response.data == document
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A%20Q3.pdf" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for who in ("expired", "banned", "outsider", "anonymous"):
        refused = world.client(who).get(url)
        assert refused.status_code in (302, 401, 403, 404) and refused.data != document
    landing_views.flush_landing_views()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PlanetFile, row.id).download_count == 3


def test_pdfs_and_images_get_a_thumbnail(world):
    _upload(world, "deck.pdf", pdf_bytes(2))
    _upload(world, "bundle.zip", zip_bytes({"a": b"b"}))
    pdf, archive = db.session.scalars(select(PlanetFile).order_by(PlanetFile.id)).all()
    assert pdf.thumbnail and not archive.thumbnail
    thumb = world.client("member").get(world.url(f"library/{pdf.id}/thumbnail"))
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 480
    assert (
        world.client("member").get(world.url(f"library/{archive.id}/thumbnail")).status_code == 404
    )
    page = world.client("member").get(world.url("library")).get_data(as_text=True)
    assert f"library/{pdf.id}/thumbnail" in page


def test_search_finds_files_by_name(world):
    _upload(world, "增长模型 cheatsheet.pdf", pdf_bytes())
    _upload(world, "other.zip", zip_bytes({"a": b"b"}))
    search = world.client("member").get(world.url("search?q=增长模型")).get_data(as_text=True)
    assert "增长模型 cheatsheet.pdf" in search and "other.zip" not in search
    tab = world.client("member").get(world.url("library?q=cheat")).get_data(as_text=True)
    assert "cheatsheet" in tab and "other.zip" not in tab
    by_kind = world.client("member").get(world.url("library?kind=zip")).get_data(as_text=True)
    assert "other.zip" in by_kind and "cheatsheet" not in by_kind
    assert world.client("member").get(world.url("library?kind=exe")).status_code == 400


def test_a_topic_carries_its_files(world):
    response = world.client("owner").post(
        world.url("new"),
        data={"body": "This week's deck", "documents": [(io.BytesIO(pdf_bytes()), "deck.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    row = db.session.scalar(select(PlanetFile))
    assert row.topic_id is not None and row.listed
    page = world.client("member").get(world.url(f"t/{row.topic_id}")).get_data(as_text=True)
    assert "deck.pdf" in page and f"library/{row.id}/download" in page


def test_a_bad_file_with_a_topic_refuses_the_whole_topic(world):
    from planet.content.models import Topic

    response = world.client("owner").post(
        world.url("new"),
        data={"body": "Deck", "documents": [(io.BytesIO(b"MZ" + b"\x00" * 99), "deck.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Topic.id))) == 0
    assert db.session.scalar(select(func.count(PlanetFile.id))) == 0


def test_members_upload_where_members_publish(world):
    assert _upload(world, "m.pdf", pdf_bytes(), who="member").status_code == 403
    world.planet.posting_policy = "members"
    db.session.commit()
    assert _upload(world, "m.pdf", pdf_bytes(), who="member").status_code == 302


def test_the_uploader_or_a_moderator_deletes(world):
    _upload(world, "deck.pdf", pdf_bytes())
    row = db.session.scalar(select(PlanetFile))
    url = world.url(f"library/{row.id}/delete")
    assert world.client("member").post(url).status_code == 403
    assert world.client("admin").post(url).status_code == 302
    assert _stored() == []
    assert world.client("member").get(world.url(f"library/{row.id}/download")).status_code == 404
    assert "deck.pdf" not in world.client("member").get(world.url("library")).get_data(True)


def test_watermarked_pdfs_carry_the_readers_mark_page_by_page(world):
    _upload(world, "deck.pdf", pdf_bytes(3))
    row = db.session.scalar(select(PlanetFile))
    world.planet.watermark = True
    db.session.commit()
    url = world.url(f"library/{row.id}/download")
    first = world.client("member").get(url)
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert first.headers["Content-Disposition"].startswith("attachment;")
    assert first.data != pdf_bytes(3)
    assert len(pdfium.PdfDocument(first.data)) == 3
    assert world.client("member").get(url).data == first.data  # cached for this reader
    assert world.client("admin").get(url).data != first.data  # another reader, another mark
    marked = pdfium.PdfDocument(first.data)[0].render().to_pil().convert("RGB")
    plain = pdfium.PdfDocument(pdf_bytes(3))[0].render().to_pil().convert("RGB")
    assert marked.resize(plain.size).tobytes() != plain.tobytes()
