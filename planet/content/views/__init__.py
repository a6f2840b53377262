"""The content blueprint (`content.*`, under /p/<slug>); its routes live in the modules below."""

from planet.content.views.writing import bp

__all__ = ["bp"]
