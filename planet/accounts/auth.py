"""Server-side login sessions for Flask-Login.

The session and remember-me cookies carry a random AuthSession key, never the user id, so
logging out (or changing the password) revokes the session on the server: a copied cookie
replayed afterwards is refused.
"""

from __future__ import annotations

import functools
import secrets

from flask import request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from sqlalchemy import and_, bindparam, select, update

from planet.accounts.models import AuthSession, User
from planet.extensions import db, login_manager
from planet.models import utcnow

# Flask-Login flashes this when a logged-out visitor opens a page that needs an account; without
# these two lines it is its built-in English sentence on every page, Chinese included.
login_manager.login_message = _l("Please log in to see this page.")
login_manager.localize_callback = str  # the lazy string, in the visitor's language


@functools.cache
def _live_session_statement():
    """Built once (every request runs it): a reused statement keeps its SQLAlchemy cache key."""
    return select(AuthSession).where(live_session_condition())


def session_key() -> str | None:
    """The server-side session key this browser's cookie carries (None: signed out, or only a
    remember-me cookie, which Flask-Login's own loader handles)."""
    key = session.get("_user_id")
    return key if isinstance(key, str) else None


def live_session_condition():
    """The WHERE of a live session: the key matches and it was not revoked."""
    return and_(AuthSession.key == bindparam("key"), AuthSession.revoked_at.is_(None))


def adopt(user: User, auth_session: AuthSession) -> None:
    """Make `user`, read by a caller's own statement with `live_session_condition()`, this
    request's current user, as `load_user` would."""
    user.current_auth_session = auth_session
    login_manager._update_request_context_with_user(user)


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    auth_session = db.session.scalar(_live_session_statement(), {"key": session_key})
    if auth_session is None:
        return None
    user = auth_session.user
    user.current_auth_session = auth_session
    return user


def start_session(user: User, remember: bool = False) -> AuthSession:
    """Log `user` in on a fresh server-side session (a new key at every login)."""
    session.clear()
    auth_session = AuthSession(
        key=secrets.token_urlsafe(32),
        user_id=user.id,
        user_agent=(request.user_agent.string or "")[:255],
    )
    db.session.add(auth_session)
    db.session.flush()
    user.current_auth_session = auth_session
    login_user(user, remember=remember)
    return auth_session


def end_session(user: User) -> None:
    """Log out: revoke this device's server-side session and clear its cookies."""
    if user.current_auth_session is not None:
        user.current_auth_session.revoked_at = utcnow()
    logout_user()
    session.clear()
    session["_remember"] = "clear"  # logout_user's marker, wiped by clear(): drop the cookie


def revoke_all_sessions(user: User, keep: AuthSession | None = None) -> None:
    """Revoke every session of `user` (e.g. after a password change), optionally but one."""
    statement = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep.id)
    db.session.execute(statement.values(revoked_at=utcnow()))
