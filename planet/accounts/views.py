"""Accounts views (placeholder endpoints; the accounts work replaces them)."""

from flask import Blueprint, abort

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


@bp.route("/login", methods=["GET", "POST"])
def login():
    abort(404)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    abort(404)


@bp.post("/logout")
def logout():
    abort(404)


@bp.get("/settings")
def settings():
    abort(404)


@bp.get("/avatars/<key>")
def avatar(key):
    abort(404)
