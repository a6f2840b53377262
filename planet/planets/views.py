"""Planet views (placeholder; the planets work replaces it)."""

from flask import Blueprint, abort

bp = Blueprint("planets", __name__)


@bp.get("/me/planets")
def mine():
    abort(404)
