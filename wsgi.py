"""WSGI entry point: `gunicorn wsgi:app`."""

from planet import create_app

app = create_app()
