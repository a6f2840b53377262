"""planet/storage.py on both backends: the local folder and an S3 bucket on a local moto server."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from planet import create_app
from planet.config import ConfigError
from planet.storage import LocalStorage, S3Storage, copy_missing, storage
from tests.plugins.s3 import new_bucket, s3_client

pytestmark = pytest.mark.usefixtures("storage_backend")

PRODUCTION = {
    "PLANET_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
}


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(output, format="PNG")
    return output.getvalue()


def test_put_read_size_list_delete(app, storage_backend):
    store = storage()
    assert store.name == storage_backend["STORAGE_BACKEND"]
    store.put("attachments/ab/abcdef", b"hello", "text/plain")
    store.put("avatars/one.png", b"png!", "image/png")
    assert store.read("attachments/ab/abcdef") == b"hello"
    assert store.size("avatars/one.png") == 4
    assert store.exists("avatars/one.png")
    assert [(o.key, o.size) for o in store.iter_keys("avatars/")] == [("avatars/one.png", 4)]
    assert {o.key for o in store.iter_keys()} == {"attachments/ab/abcdef", "avatars/one.png"}
    store.delete("avatars/one.png")
    assert not store.exists("avatars/one.png")
    assert store.read("avatars/one.png") is None
    assert store.size("avatars/one.png") is None


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../b", "/abs", "a//b", "", "sp ace"])
def test_a_key_outside_the_store_is_refused(app, key):
    with pytest.raises(ValueError):
        storage().put(key, b"x", "text/plain")


def test_send_streams_with_etag_and_answers_304(app):
    storage().put("attachments/zz/file", b"0123456789", "application/octet-stream")
    with app.test_request_context("/"):
        response = storage().send("attachments/zz/file", "image/png")
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        response.direct_passthrough = False
        assert response.get_data() == b"0123456789"
        etag = response.headers["ETag"]
    with app.test_request_context("/", headers={"If-None-Match": etag}):
        assert storage().send("attachments/zz/file", "image/png").status_code == 304
    with app.test_request_context("/"):
        assert storage().send("attachments/zz/missing", "image/png") is None


def test_an_uploaded_avatar_is_served_from_the_configured_store(app, client, make):
    from tests.conftest import login

    user = make.user()
    login(client, user)
    response = client.post(
        "/accounts/settings/avatar",
        data={"avatar": (io.BytesIO(_png()), "me.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 303)
    keys = [o.key for o in storage().iter_keys("avatars/")]
    assert len(keys) == 1
    served = client.get("/accounts/avatars/" + keys[0].removeprefix("avatars/"))
    assert served.status_code == 200
    assert served.data[:3] == b"\xff\xd8\xff"  # re-encoded: an opaque image becomes a JPEG


def test_s3_files_never_touch_the_upload_folder(app, storage_backend, tmp_path):
    storage().put("attachments/ab/xyz", b"data", "text/plain")
    on_disk = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    if storage_backend["STORAGE_BACKEND"] == "s3":
        assert on_disk == []
    else:
        assert [p.name for p in on_disk] == ["xyz"]


# ---------------------------------------------------------------- migrate and production


def test_migrate_copies_what_is_missing_and_resumes(app, runner, s3_settings, tmp_path):
    local = LocalStorage(tmp_path / "old-uploads")
    for index in range(5):
        local.put(f"attachments/a{index}/a{index}xyz", b"x" * (index + 1), "image/png")
    local.put("avatars/face.png", b"face", "image/png")
    bucket = S3Storage(s3_client(s3_settings["S3_ENDPOINT_URL"]), s3_settings["S3_BUCKET"])
    # A run killed after two files: the next run copies the other four, then nothing.
    bucket.put("attachments/a0/a0xyz", b"x", "image/png")
    bucket.put("attachments/a1/a1xyz", b"stale", "image/png")  # wrong size: copied again
    app.extensions["planet.storage"] = bucket
    result = runner.invoke(args=["storage", "migrate", "--source", str(local.root)])
    assert result.exit_code == 0, result.output
    assert "5 copied, 1 already there." in result.output
    assert {o.key: o.size for o in bucket.iter_keys()} == {o.key: o.size for o in local.iter_keys()}
    assert bucket.read("attachments/a1/a1xyz") == b"xx"
    assert copy_missing(local, bucket).copied == 0


def test_migrate_refuses_without_a_bucket(app, runner, tmp_path):
    app.extensions["planet.storage"] = LocalStorage(tmp_path / "uploads")
    result = runner.invoke(args=["storage", "migrate"])
    assert result.exit_code != 0
    assert "STORAGE_BACKEND is local" in result.output


def test_production_refuses_local_files_shared_by_several_web_processes(tmp_path):
    with pytest.raises(ConfigError, match="several web processes"):
        create_app({**PRODUCTION, "UPLOAD_DIR": str(tmp_path), "WEB_CONCURRENCY": 4})


def test_production_refuses_a_public_bucket_and_starts_with_a_private_one(s3_endpoint, tmp_path):
    private = new_bucket(s3_endpoint)
    app = create_app({**PRODUCTION, **private, "WEB_CONCURRENCY": 4, "UPLOAD_DIR": str(tmp_path)})
    assert isinstance(app.extensions["planet.storage"], S3Storage)
    public = new_bucket(s3_endpoint)
    s3_client(s3_endpoint).put_bucket_acl(Bucket=public["S3_BUCKET"], ACL="public-read")
    with pytest.raises(ConfigError, match="can be read by anyone"):
        create_app({**PRODUCTION, **public, "WEB_CONCURRENCY": 4, "UPLOAD_DIR": str(tmp_path)})
