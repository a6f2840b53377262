"""A local S3 server for the storage tests: moto in server mode on a free port, for the session.

Like localstripe for Stripe, the app talks to it over HTTP through the real boto3 client. A test
module that stores files runs against both backends with
`pytestmark = pytest.mark.usefixtures("storage_backend")`; `PLANET_TEST_STORAGE=s3` runs every
test's app on the bucket.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

S3_KEYS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}  # noqa: S105


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"],
    )


def new_bucket(endpoint: str) -> dict:
    """A fresh private bucket; returns the app settings that point at it."""
    bucket = f"planet-test-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    return {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": endpoint,
        "S3_BUCKET": bucket,
        "S3_REGION": "us-east-1",
        **S3_KEYS,
    }


@pytest.fixture
def s3_settings(s3_endpoint):
    return new_bucket(s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def storage_backend(request):
    """App settings for each storage backend (the `app` fixture applies them)."""
    if request.param == "local":
        return {"STORAGE_BACKEND": "local"}
    return new_bucket(request.getfixturevalue("s3_endpoint"))


@pytest.fixture
def storage_overrides(request):
    if "storage_backend" in request.fixturenames:
        return request.getfixturevalue("storage_backend")
    if os.environ.get("PLANET_TEST_STORAGE") == "s3":
        return new_bucket(request.getfixturevalue("s3_endpoint"))
    return {}
