"""Reading content (being split by concern; for now all in rows.py)."""

from planet.content.queries.rows import *  # noqa: F403
