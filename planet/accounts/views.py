"""Account pages: sign up, log in/out, email verification, password reset and change, settings,
avatars and public profiles. Thin: the rules are in planet.accounts.services."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from planet import images
from planet.accounts import (
    emails,  # noqa: F401 - registers the mail job handlers
    services,
)
from planet.accounts.forms import (
    AvatarForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from planet.accounts.models import User
from planet.extensions import db, limiter
from planet.storage import storage
from planet.text import render_markdown
from planet.web.forms import apply_service_error
from planet.web.redirects import safe_next

bp = Blueprint("accounts", __name__)


# ---------------------------------------------------------------- helpers


def _too_many_attempts() -> str:
    return _("Too many attempts. Please wait a few minutes and try again.")


def _config_limit(name: str):
    return lambda: current_app.config[name]


def _post_limit(config_name: str, **options):
    """A rate limit on POSTs, its rate read from the config key `config_name` at request time."""
    return limiter.limit(
        _config_limit(config_name),
        methods=["POST"],
        error_message=_too_many_attempts,
        **options,
    )


def _submitted_email() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed_login(response) -> bool:
    return response.status_code == 401


def _locale() -> str:
    return str(get_locale())


def _render(template: str, status: int = 200, **context):
    return render_template(template, **context), status


# ---------------------------------------------------------------- sign up, log in, log out


def _entry_form(form, target: str, template: str):
    """The shared start of sign-up and log-in: a signed-in user goes on to the target, a GET
    shows the empty form (remembering ``next``), an invalid POST shows it again with a 400.
    None means the form is valid and the caller goes on."""
    if current_user.is_authenticated:
        return redirect(target)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return _render(template, form=form)
    if not form.validate():
        return _render(template, 400, form=form)
    return None


@bp.route("/accounts/signup", methods=["GET", "POST"])
@_post_limit("SIGNUP_RATE_LIMIT")
def signup():
    form = SignupForm()
    target = safe_next(form.next.data or request.args.get("next"))
    if request.method == "GET":  # an invitation link prefills the address it was sent to
        form.email.data = (request.args.get("email") or "")[: services.EMAIL_MAX]
    early = _entry_form(form, target, "accounts/signup.html")
    if early is not None:
        return early
    try:
        user = services.sign_up(
            form.email.data, form.display_name.data, form.password.data, locale=_locale()
        )
    except services.ServiceError as error:
        apply_service_error(form, error)
        return _render("accounts/signup.html", error.status, form=form)
    services.log_in(user)
    flash(
        _("Welcome, %(name)s! We sent a confirmation link to %(email)s.",
          name=user.display_name, email=user.email),
        "success",
    )  # fmt: skip
    return redirect(target)


@bp.route("/accounts/login", methods=["GET", "POST"])
@_post_limit("LOGIN_RATE_LIMIT")
@_post_limit(
    "ACCOUNT_LOGIN_RATE_LIMIT",
    key_func=_submitted_email,
    deduct_when=_failed_login,
)
def login():
    form = LoginForm()
    target = safe_next(form.next.data or request.args.get("next"))
    early = _entry_form(form, target, "accounts/login.html")
    if early is not None:
        return early
    user = services.authenticate(form.email.data, form.password.data)
    if user is None:
        form.form_errors.append(_("The email or password is not correct."))
        return _render("accounts/login.html", 401, form=form)
    services.log_in(user, remember=bool(form.remember.data))
    return redirect(target)


@bp.post("/accounts/logout")
def logout():
    if current_user.is_authenticated:
        services.log_out(current_user._get_current_object())
        flash(_("You have logged out."), "success")
    return redirect(url_for("web.home"))


# ---------------------------------------------------------------- email verification


@bp.route("/accounts/verify/<token>", methods=["GET", "POST"])
def verify_email(token):
    """GET shows a confirm button (a GET never writes; link scanners only GET); POST verifies."""
    form = ConfirmForm()
    if request.method == "GET":
        user = services.user_for_verification(token)
        return _render("accounts/verify_email.html", form=form, user=user)
    if not form.validate():
        abort(400)
    user = services.verify_email(token)
    flash(_("Thank you! Your email address %(email)s is confirmed.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.settings"))
    return redirect(url_for("accounts.login"))


@bp.post("/accounts/verify/resend")
@login_required
@limiter.limit(
    _config_limit("RESEND_VERIFICATION_RATE_LIMIT"),
    key_func=lambda: f"resend:{getattr(current_user, 'id', None)}",
    error_message=_too_many_attempts,
)
def resend_verification():
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    if current_user.email_verified_at is None:
        services.queue_verification_email(current_user, locale=_locale())
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email))
    else:
        flash(_("Your email address is already confirmed."))
    return redirect(url_for("accounts.settings"))


# ---------------------------------------------------------------- password reset


@bp.route("/accounts/password/forgot", methods=["GET", "POST"])
@_post_limit("RESET_RATE_LIMIT")
@_post_limit(
    "RESET_PER_EMAIL_RATE_LIMIT",
    key_func=lambda: "reset:" + _submitted_email(),
)
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "GET":
        return _render("accounts/forgot_password.html", form=form)
    if not form.validate():
        return _render("accounts/forgot_password.html", 400, form=form)
    services.request_password_reset(form.email.data, locale=_locale())
    # The same answer whether or not an account uses this address.
    return _render("accounts/reset_sent.html")


@bp.route("/accounts/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = services.user_for_reset(token)  # expired, tampered or used -> 400 with the reason
    form = ResetPasswordForm()
    if request.method == "GET":
        return _render("accounts/reset_password.html", form=form, user=user)
    if not form.validate():
        return _render("accounts/reset_password.html", 400, form=form, user=user)
    try:
        services.reset_password(token, form.password.data)
    except services.InvalidInput as error:
        apply_service_error(form, error)
        return _render("accounts/reset_password.html", error.status, form=form, user=user)
    if current_user.is_authenticated and current_user.id == user.id:
        services.log_out(current_user._get_current_object())  # its session was just revoked
    flash(_("Your password is changed. Please log in with the new password."), "success")
    return redirect(url_for("accounts.login"))


# ---------------------------------------------------------------- settings


def _saved(message: str):
    """Back to the settings page with a success message."""
    flash(message, "success")
    return redirect(url_for("accounts.settings"))


def _settings_page(status=200, profile_form=None, avatar_form=None):
    user = current_user
    if profile_form is None:
        profile_form = ProfileForm(
            formdata=None,
            display_name=user.display_name,
            bio=user.bio,
            locale=user.locale or "",
        )
    return _render(
        "accounts/settings.html",
        status,
        profile_form=profile_form,
        avatar_form=avatar_form or AvatarForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        avatar_max_bytes=services.avatar_max_bytes(),
        avatar_max_mb=images.megabytes(services.avatar_max_bytes()),
    )


@bp.route("/accounts/settings", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "GET":
        return _settings_page()
    form = ProfileForm()
    if not form.validate():
        return _settings_page(400, profile_form=form)
    try:
        services.update_profile(current_user, form.display_name.data, form.bio.data,
                                form.locale.data or None)  # fmt: skip
    except services.InvalidInput as error:
        apply_service_error(form, error)
        return _settings_page(error.status, profile_form=form)
    return _saved(_("Your profile is saved."))


@bp.post("/accounts/settings/avatar")
@login_required
def upload_avatar():
    form = AvatarForm()
    if not form.validate():
        return _settings_page(400, avatar_form=form)
    try:
        key = services.save_avatar_file(form.avatar.data.stream)
    except services.InvalidInput as error:
        apply_service_error(form, error)
        return _settings_page(error.status, avatar_form=form)
    services.set_avatar(current_user, key)
    return _saved(_("Your avatar is updated."))


@bp.post("/accounts/settings/avatar/remove")
@login_required
def remove_avatar():
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    services.remove_avatar(current_user)
    return _saved(_("Your avatar is removed."))


@bp.route("/accounts/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if request.method == "GET":
        return _render("accounts/change_password.html", form=form)
    if not form.validate():
        return _render("accounts/change_password.html", 400, form=form)
    try:
        services.change_password(current_user, form.current_password.data, form.new_password.data)
    except services.InvalidInput as error:
        apply_service_error(form, error)
        return _render("accounts/change_password.html", error.status, form=form)
    return _saved(_("Your password is changed. You were signed out on your other devices."))


# ---------------------------------------------------------------- avatars and profiles


@bp.get("/accounts/avatars/<key>")
def avatar(key):
    stored = services.avatar_storage_key(key)
    mimetype = "image/png" if key.endswith(".png") else "image/jpeg"
    response = storage().send(stored, mimetype, max_age=365 * 24 * 3600) if stored else None
    if response is None:
        abort(404)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/u/<int:user_id>")
def profile(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return _render("accounts/profile.html", user=user, bio_html=render_markdown(user.bio))
