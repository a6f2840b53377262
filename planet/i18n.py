"""Language selection and translation catalogs (Simplified Chinese and English)."""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- punctuation between parts
#
# A label and its value, or a figure in brackets, are often two pieces of a template. Chinese
# takes full-width punctuation there (「星主：王老师」, 「收入（3）」), English an ASCII colon
# and a space; templates use these instead of typing the punctuation (tests/test_i18n.py).


def _chinese() -> bool:
    return str(get_locale() or "").startswith("zh")


def colon() -> str:
    """The colon after a label: 「：」 in Chinese, ": " in English."""
    return "：" if _chinese() else ": "


def parens(text) -> str:
    """`text` in brackets after a word: 「（3）」 in Chinese, " (3)" in English."""
    return f"（{text}）" if _chinese() else f" ({text})"


TRANSLATIONS_ROOT = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    """The user's saved choice, then the session's, then the browser's, then the default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    if session.get("lang") in languages:
        return session["lang"]
    return browser_locale(request, current_app.config)


def request_locale() -> Locale:
    """Flask-Babel's locale selector: `select_locale`, parsed once per identifier."""
    return _parsed(select_locale())


_parsed = functools.lru_cache(maxsize=32)(Locale.parse)


def browser_locale(browser_request, config) -> str:
    """The locale of someone with no saved choice: their browser's, else the default."""
    header = browser_request.headers.get("Accept-Language", "")
    return _best_locale(header, tuple(config["LANGUAGES"]), config["BABEL_DEFAULT_LOCALE"])


@functools.lru_cache(maxsize=256)
def _best_locale(header: str, languages: tuple[str, ...], default: str) -> str:
    """The header parsed once per value: browsers send the same one with every request."""
    return parse_accept_header(header, LanguageAccept).best_match(languages) or default


def translation_directories() -> list[str]:
    """One catalog folder per area (`translations/<area>/`), merged at run time.

    Areas keep their own catalogs so that work on one area never edits another's file.
    """
    return sorted(str(path) for path in TRANSLATIONS_ROOT.iterdir() if path.is_dir())


def compile_catalogs() -> int:
    """Compile every .po that is newer than its .mo. Returns how many were compiled."""
    compiled = 0
    for po_path in TRANSLATIONS_ROOT.glob("*/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            # Write then rename, so a parallel process never reads a half-written catalog.
            with tempfile.NamedTemporaryFile("wb", dir=mo_path.parent, delete=False) as mo_file:
                write_mo(mo_file, catalog)
            os.replace(mo_file.name, mo_path)
            compiled += 1
        except OSError:  # a read-only deployment compiles at build time instead
            log.warning("could not compile %s", po_path)
    return compiled


# ---------------------------------------------------------------- the templates' gettext
#
# Flask-Babel's template callables find the request's translations anew for every string
# (several context lookups each); a page asks for a hundred or more. These keep the answer on
# Flask-Babel's own per-request namespace, for as long as its locale object is the same one:
# `force_locale` and `refresh` replace or clear it, and the translations are found again.


def _translations():
    from flask import g
    from flask_babel import get_translations

    namespace = g.get("_flask_babel") if g else None
    kept = getattr(namespace, "planet_translations", None)
    if kept is not None and kept[0] is getattr(namespace, "babel_locale", None):
        return kept[1]
    translations = get_translations()
    namespace = g.get("_flask_babel") if g else None
    if namespace is not None and getattr(namespace, "babel_locale", None) is not None:
        namespace.planet_translations = (namespace.babel_locale, translations)
    return translations


def _kept_messages(translations) -> dict:
    """Each translated message a template asked for without variables, as it rendered it
    (escaped or not), kept on the catalog object (one per language, for the process)."""
    kept = translations.__dict__.get("_planet_messages")
    if kept is None:
        kept = translations.__dict__["_planet_messages"] = {}
    return kept


@pass_eval_context
def _template_gettext(eval_context, string: str, **variables):
    """Jinja's newstyle `gettext` (autoescaped, always a %-format), without its two context
    calls per string, and kept per catalog when the message has no variables."""
    translations = _translations()
    key = (string, eval_context.autoescape)
    if not variables and (message := _kept_messages(translations).get(key)) is not None:
        return message
    message = translations.ugettext(string)
    if eval_context.autoescape:
        message = Markup(message)  # noqa: S704 - the catalog is trusted, as in Jinja's own gettext
    message = message % variables
    if not variables:
        _kept_messages(translations)[key] = message
    return message


def install_template_gettext(app) -> None:
    """The templates' `_`, `gettext`, `ngettext`, `pgettext` and `npgettext`, as Flask-Babel's
    (newstyle: autoescaped, with %-placeholders), through the request's kept translations."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
