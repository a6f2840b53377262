"""The app's Jinja environment (planet/web/templating.py): an imported template's globals."""

from planet.web.templating import PlanetEnvironment


def test_an_import_sees_the_pages_own_globals_and_the_environments_live(app):
    """What Jinja promises for imports holds with the set-valued keys: a macro imported by a
    page sees a global the page was loaded with, and a global the environment gains after
    the templates were loaded."""
    from jinja2 import DictLoader

    env = PlanetEnvironment(app, loader=DictLoader({
        "macros.html": "{% macro shout() %}{{ greeting }} {{ late }}!{% endmacro %}",
        "page.html": '{% from "macros.html" import shout %}{{ shout() }}',
    }))  # fmt: skip
    page = env.get_template("page.html", globals={"greeting": "hello"})
    env.globals["late"] = "world"
    with app.app_context():
        assert page.render() == "hello world!"
    keys = page.globals.keys()
    assert isinstance(keys, set) and {"greeting", "late", "range"} <= keys


def test_the_app_renders_with_it(app):
    assert isinstance(app.jinja_env, PlanetEnvironment)
    assert isinstance(app.jinja_env.get_template("base.html").globals.keys(), set)
