"""A planet's plain excerpt is stored when its description is set, never rendered per page."""

from markupsafe import escape

from planet.extensions import db
from planet.planets.models import EXCERPT_CHARS
from planet.text import plain_excerpt


def test_the_excerpt_follows_the_description_and_cuts_like_plain_excerpt(app, make):
    planet = make.planet()
    long_text = "**Bold** start, then " + "word " * 80
    for description in ["Short *one*", long_text, ""]:
        planet.description = description
        db.session.commit()
        db.session.expire_all()
        assert planet.excerpt == plain_excerpt(description, EXCERPT_CHARS)
        for limit in (40, 120, EXCERPT_CHARS):
            assert planet.short_excerpt(limit) == plain_excerpt(description, limit)


def test_discover_shows_the_stored_excerpt(app, make, client):
    planet = make.planet()
    planet.description = "Learn **fast**, then <script>x</script> more"
    db.session.commit()
    page = client.get("/discover").get_data(as_text=True)
    assert str(escape(planet.short_excerpt(120))) in page
    assert "<strong>fast" not in page and "<script>x" not in page
