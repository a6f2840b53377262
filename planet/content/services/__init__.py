"""Content write operations (being split by concern; for now all in topics.py)."""

from planet.content.services.topics import *  # noqa: F403
from planet.content.services.topics import mentioned_user_ids  # noqa: F401
