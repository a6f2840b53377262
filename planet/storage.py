"""Where uploaded files live: one small interface, two implementations chosen by configuration.

`STORAGE_BACKEND=local` keeps files under UPLOAD_DIR (the embedded default, one machine);
`STORAGE_BACKEND=s3` keeps them in an S3-compatible bucket through boto3 (AWS S3, MinIO,
Alibaba OSS, Tencent COS, Cloudflare R2), so every web machine serves what any one received.

Keys are relative paths such as `attachments/ab/<key>` or `avatars/<key>`. Files are private
either way: a view asks the access policy first, then `send()` streams the file through Flask
(never a public bucket URL); the view sets its own caching and disposition headers.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Response, current_app, request, send_file
from flask.cli import with_appcontext

from planet.config import ConfigError

KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")
CHUNK = 64 * 1024
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


class StorageError(RuntimeError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


def _checked(key: str) -> str:
    if not KEY.match(key) or ".." in key:
        raise ValueError(f"bad storage key: {key!r}")
    return key


class LocalStorage:
    """Files in a folder on this machine, written atomically (a temporary name, then rename)."""

    name = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def read(self, key: str) -> bytes | None:
        path = self.path(key)
        return path.read_bytes() if path.is_file() else None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def iter_keys(self, prefix: str = "") -> Iterator[StoredObject]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix) and KEY.match(key):
                    yield StoredObject(key, path.stat().st_size)

    def send(self, key: str, mimetype: str, max_age: int = 0) -> Response | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=max_age)


class S3Storage:
    """Files in an S3-compatible bucket. The bucket must not be public (checked at start in
    production); members reach a file only through `send()`, after the access check."""

    name = "s3"

    def __init__(self, client, bucket: str):
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_config(cls, config) -> S3Storage:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=config["S3_ENDPOINT_URL"] or None,
            region_name=config["S3_REGION"],
            aws_access_key_id=config["S3_ACCESS_KEY_ID"] or None,
            aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"] or None,
            config=Config(
                s3={"addressing_style": config["S3_ADDRESSING_STYLE"]},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        return cls(client, config["S3_BUCKET"])

    def _missing(self, error) -> bool:
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=_checked(key), Body=data, ContentType=content_type
        )

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"]
        except ClientError as error:
            if self._missing(error):
                return None
            raise
        with body:
            return body.read()

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=_checked(key))
        except ClientError as error:
            if self._missing(error):
                return None
            raise
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))

    def iter_keys(self, prefix: str = "") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield StoredObject(item["Key"], int(item["Size"]))

    def send(self, key: str, mimetype: str, max_age: int = 0) -> Response | None:
        from botocore.exceptions import ClientError

        try:
            found = self.client.get_object(Bucket=self.bucket, Key=_checked(key))
        except ClientError as error:
            if self._missing(error):
                return None
            raise
        body = found["Body"]
        response = Response(body.iter_chunks(CHUNK), mimetype=mimetype, direct_passthrough=True)
        response.content_length = int(found["ContentLength"])
        response.set_etag(found["ETag"].strip('"'))
        response.cache_control.max_age = max_age
        response.call_on_close(body.close)
        return response.make_conditional(request)

    def is_public(self) -> bool:
        """Does the bucket grant reading to everyone (an ACL grant or a public policy)?"""
        from botocore.exceptions import ClientError

        grants = self.client.get_bucket_acl(Bucket=self.bucket).get("Grants", [])
        if any(grant.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for grant in grants):
            return True
        try:
            status = self.client.get_bucket_policy_status(Bucket=self.bucket)
        except ClientError:
            return False  # no bucket policy (or the provider does not report one)
        return bool(status.get("PolicyStatus", {}).get("IsPublic"))


Storage = LocalStorage | S3Storage


def build(config) -> Storage:
    backend = config["STORAGE_BACKEND"]
    if backend == "local":
        return LocalStorage(config["UPLOAD_DIR"])
    if backend == "s3":
        if not config["S3_BUCKET"]:
            raise StorageError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage.from_config(config)
    raise StorageError(f"unknown STORAGE_BACKEND {backend!r} (local or s3)")


def init_app(app) -> None:
    store = build(app.config)
    if isinstance(store, LocalStorage):
        store.root.mkdir(parents=True, exist_ok=True)
    elif app.config.get("PLANET_ENV") == "production" and store.is_public():
        raise ConfigError(
            f"the bucket {store.bucket!r} can be read by anyone: make it private "
            "(members get files only through Planet's access checks)"
        )
    app.extensions["planet.storage"] = store


def storage() -> Storage:
    return current_app.extensions["planet.storage"]


# ---------------------------------------------------------------- moving to a bucket


@dataclass
class MigrationReport:
    copied: int = 0
    skipped: int = 0


def copy_missing(source: Storage, target: Storage, progress=None) -> MigrationReport:
    """Copy every object of `source` that `target` lacks (or holds with another size).
    Resumable and idempotent: a second run after a kill copies only what is still missing."""
    report = MigrationReport()
    for stored in source.iter_keys():
        if target.size(stored.key) == stored.size:
            report.skipped += 1
        else:
            data = source.read(stored.key)
            if data is not None:
                content_type = mimetypes.guess_type(stored.key)[0] or "application/octet-stream"
                target.put(stored.key, data, content_type)
                report.copied += 1
        if progress is not None:
            progress.update(1)
    return report


@click.group("storage", help="Where uploaded files live.")
def storage_cli():
    pass


@storage_cli.command("migrate")
@click.option("--source", "source_dir", default=None, help="Local folder (default UPLOAD_DIR).")
@with_appcontext
def migrate_command(source_dir):
    """Copy the local upload folder into the configured bucket (resumable)."""
    target = storage()
    if isinstance(target, LocalStorage):
        raise click.ClickException("STORAGE_BACKEND is local: set it to s3 and the S3_* settings")
    source = LocalStorage(source_dir or current_app.config["UPLOAD_DIR"])
    total = sum(1 for _ in source.iter_keys())
    with click.progressbar(length=total, label=f"Copying to {target.bucket}") as progress:
        report = copy_missing(source, target, progress)
    click.echo(f"{report.copied} copied, {report.skipped} already there.")


cli_commands = [storage_cli]
