"""Account write operations: sign up, log in, verify the email, reset and change the password,
edit the profile and the avatar.

Services flush but never commit (the request lifecycle commits once); mails are deferred jobs
that run after the commit (planet/accounts/emails.py).
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from planet import images, jobs
from planet.accounts import auth, tokens
from planet.accounts.models import AuthSession, User
from planet.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.storage import storage

DISPLAY_NAME_MAX = 60
BIO_MAX = 2000
EMAIL_MAX = 254
PASSWORD_MAX = 256  # longer inputs are refused rather than hashed (argon2 cost is per byte)
LOCALES = ("zh", "en")
AVATAR_FOLDER = "avatars"
AVATAR_MAX_SIDE = 512
AVATAR_KEY = re.compile(r"^[0-9a-f]{32}\.(png|jpg)$")

PASSWORD_PROBLEMS = {
    "too_short": _l("Use at least 8 characters (12 or more is better)."),
    "too_common": _l("This password is too common. Please choose a less guessable one."),
}


class InvalidInput(ServiceError):
    """Bad input for one form field (or the whole form when `field` is None)."""

    status = 400

    def __init__(self, reason, field: str | None = None, status: int | None = None):
        super().__init__(reason, status)
        self.field = field


class EmailTaken(Conflict):
    field = "email"


class LinkError(ServiceError):
    """A verification or reset link that cannot be used (expired, tampered, already used)."""

    status = 400


# ---------------------------------------------------------------- input rules


def normalize_email(raw: str) -> str:
    """The stored form of an address: trimmed, checked and lower-cased."""
    value = (raw or "").strip()
    if not value or len(value) > EMAIL_MAX:
        raise InvalidInput(_l("Please enter a valid email address."), "email")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(_l("Please enter a valid email address."), "email") from None
    return result.normalized.lower()


def clean_display_name(raw: str) -> str:
    """Trimmed, inner whitespace collapsed, control and format characters removed."""
    text = "".join(
        " " if ch.isspace() else ch
        for ch in (raw or "")
        if ch.isspace() or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    text = re.sub(r" {2,}", " ", text).strip()
    if not text:
        raise InvalidInput(_l("Please enter a display name."), "display_name")
    if len(text) > DISPLAY_NAME_MAX:
        raise InvalidInput(
            _l("The display name may have at most %(n)s characters.", n=DISPLAY_NAME_MAX),
            "display_name",
        )
    return text


def check_new_password(
    password: str, field: str = "password", personal: tuple[str, ...] = ()
) -> None:
    if len(password or "") > PASSWORD_MAX:
        raise InvalidInput(
            _l("The password may have at most %(n)s characters.", n=PASSWORD_MAX), field
        )
    problem = password_problem(password or "", personal=personal)
    if problem is not None:
        raise InvalidInput(PASSWORD_PROBLEMS[problem], field)


def email_taken(email: str) -> bool:
    return db.session.scalar(select(func.count()).where(User.email == email)) > 0


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


# ---------------------------------------------------------------- sign up, log in


def sign_up(email: str, display_name: str, password: str, locale: str | None = None) -> User:
    """Create an account (not yet verified) and queue the verification mail."""
    email = normalize_email(email)
    display_name = clean_display_name(display_name)
    check_new_password(password, personal=(email, display_name))
    if email_taken(email):
        raise EmailTaken(_l("An account with this email already exists. Try logging in."))
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        bio="",
        is_platform_admin=False,
        password_changed_at=utcnow(),
        locale=locale if locale in LOCALES else None,  # later mails follow the browser's language
    )
    db.session.add(user)
    db.session.flush()
    queue_verification_email(user, locale)
    return user


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None. Unknown emails cost the same hashing time."""
    user = user_by_email(email or "") if len(email or "") <= EMAIL_MAX else None
    if len(password or "") > PASSWORD_MAX:
        return None
    if user is None:
        verify_password(_dummy_hash(), password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def log_in(user: User, remember: bool = False) -> AuthSession:
    """Start a fresh server-side session (a new key at every login)."""
    return auth.start_session(user, remember=remember)


def log_out(user: User) -> None:
    auth.end_session(user)


# ---------------------------------------------------------------- email verification


def queue_verification_email(user: User, locale: str | None = None) -> None:
    jobs.defer(
        "accounts.send_verification_email",
        user_id=user.id,
        locale=locale,
        request_key=secrets.token_hex(8),
    )


def verification_token(user: User) -> str:
    return tokens.make_token(tokens.VERIFY_EMAIL, {"uid": user.id, "email": user.email})


def user_for_verification(token: str) -> User:
    """The user a verification link is for; raises LinkError when it cannot be used."""
    payload = _read_link(tokens.VERIFY_EMAIL, token)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if user is None or payload.get("email") != user.email:
        raise LinkError(_l("This link is not valid. Please request a new one."))
    if user.email_verified_at is not None:
        raise LinkError(_l("This link has already been used: your email address is verified."))
    return user


def verify_email(token: str) -> User:
    user = user_for_verification(token)
    user.email_verified_at = utcnow()
    db.session.flush()
    return user


# ---------------------------------------------------------------- password reset and change


def request_password_reset(email: str, locale: str | None = None) -> None:
    """Queue a reset mail when the account exists; callers answer the same either way."""
    try:
        normalized = normalize_email(email)
    except InvalidInput:
        return
    user = user_by_email(normalized)
    if user is not None:
        jobs.defer(
            "accounts.send_password_reset_email",
            user_id=user.id,
            locale=locale,
            request_key=secrets.token_hex(8),
        )


def reset_token(user: User) -> str:
    return tokens.make_token(
        tokens.RESET_PASSWORD,
        {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)},
    )


def user_for_reset(token: str) -> User:
    """The user a reset link is for; raises LinkError when it cannot be used."""
    payload = _read_link(tokens.RESET_PASSWORD, token)
    user = db.session.get(User, payload.get("uid")) if isinstance(payload.get("uid"), int) else None
    if user is None:
        raise LinkError(_l("This link is not valid. Please request a new one."))
    if payload.get("pw") != tokens.password_fingerprint(user.password_hash):
        raise LinkError(
            _l(
                "This link has already been used or your password has changed since it was sent. "
                "Please request a new one."
            )
        )
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; every session of the account is ended."""
    user = user_for_reset(token)
    check_new_password(new_password, personal=(user.email, user.display_name))
    _set_password(user, new_password)
    # Whoever could read the mailbox may now sign in; nobody else stays signed in.
    auth.revoke_all_sessions(user)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link proved control of the address
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Change the password (the current one is required); other sessions are ended."""
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidInput(_l("The current password is not correct."), "current_password")
    check_new_password(new_password, "new_password", personal=(user.email, user.display_name))
    if verify_password(user.password_hash, new_password):
        raise InvalidInput(_l("The new password must differ from the current one."), "new_password")
    _set_password(user, new_password)
    auth.revoke_all_sessions(user, keep=user.current_auth_session)
    db.session.flush()
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def _read_link(purpose: str, token: str) -> dict:
    try:
        return tokens.read_token(purpose, token or "")
    except tokens.TokenExpired:
        raise LinkError(_l("This link has expired. Please request a new one.")) from None
    except tokens.TokenInvalid:
        raise LinkError(_l("This link is not valid. Please request a new one.")) from None


# ---------------------------------------------------------------- profile


def update_profile(user: User, display_name: str, bio: str, locale: str | None) -> User:
    user.display_name = clean_display_name(display_name)
    bio = (bio or "").strip()
    if len(bio) > BIO_MAX:
        raise InvalidInput(_l("The bio may have at most %(n)s characters.", n=BIO_MAX), "bio")
    user.bio = bio
    user.locale = locale if locale in LOCALES else None
    db.session.flush()
    return user


def set_avatar(user: User, key: str) -> None:
    old = user.avatar_path
    user.avatar_path = key
    db.session.flush()
    if old and old != key:
        jobs.defer("accounts.remove_avatar_file", key=old)


def remove_avatar(user: User) -> None:
    old = user.avatar_path
    user.avatar_path = None
    db.session.flush()
    if old:
        jobs.defer("accounts.remove_avatar_file", key=old)


# ---------------------------------------------------------------- avatar files


def avatar_max_bytes() -> int:
    return int(current_app.config["AVATAR_MAX_BYTES"])


def save_avatar_file(stream) -> str:
    """Check an upload is a real PNG/JPEG/WebP/GIF image, re-encode it (dropping metadata and
    anything appended), store it under a random key and return the key."""
    limit = avatar_max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            images.too_large_reason(limit),
            "avatar",
            status=413,
        )
    not_an_image = InvalidInput(
        _l("The avatar must be an image (PNG, JPEG, GIF or WebP)."), "avatar"
    )
    if not data:
        raise not_an_image
    try:
        images.check_image(data)
    except images.BadImage:
        raise not_an_image from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.seek(0)  # first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info
            )
            image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail((AVATAR_MAX_SIDE, AVATAR_MAX_SIDE))
            output = io.BytesIO()
            if has_alpha:
                extension = "png"
                image.save(output, format="PNG", optimize=True)
            else:
                extension = "jpg"
                image.save(output, format="JPEG", quality=88, optimize=True)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    key = f"{secrets.token_hex(16)}.{extension}"
    content_type = "image/png" if extension == "png" else "image/jpeg"
    storage().put(f"{AVATAR_FOLDER}/{key}", output.getvalue(), content_type)
    return key


def avatar_storage_key(key: str) -> str | None:
    """Where an avatar with this key is stored (None for a malformed key)."""
    if not key or not AVATAR_KEY.match(key):
        return None
    return f"{AVATAR_FOLDER}/{key}"


def delete_avatar_file(key: str) -> None:
    stored = avatar_storage_key(key)
    if stored is not None and not db.session.scalar(
        select(func.count()).where(User.avatar_path == key)
    ):
        storage().delete(stored)
