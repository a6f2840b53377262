"""Discover page (placeholder; the discovery work replaces it)."""

from flask import Blueprint, render_template_string

bp = Blueprint("discovery", __name__)


@bp.get("/discover")
def discover():
    return render_template_string('{% extends "base.html" %}{% block content %}{% endblock %}')
