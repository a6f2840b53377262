import pytest

from tests.planet.planets.helpers import fresh_request_globals


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app, client):
    fresh_request_globals(app)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read the English text
