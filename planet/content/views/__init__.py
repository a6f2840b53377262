"""The content blueprint (`content.*`, under /p/<slug>), one module per concern:

common      the blueprint and the helpers every route shares (load, check, link)
reading     timeline, topic page, tags, authors, search, files
questions   the Q&A lists, asking, answering, editing and withdrawing an answer
writing     topics and uploads, comments, likes, edits and deletes
moderation  essence and pin, reports and the report queue
leaks       the owner's leak lookup (a member number to the member)

Columns (专栏), drafts, the FAQ and the file library add their routes to the same blueprint from
planet/content/{columns,drafts,faq,library}/views.py.
"""

from planet.content.columns import views as columns  # noqa: F401
from planet.content.drafts import views as drafts  # noqa: F401
from planet.content.faq import views as faq  # noqa: F401
from planet.content.library import views as library  # noqa: F401
from planet.content.views import leaks, moderation, questions, reading, writing  # noqa: F401
from planet.content.views.common import bp

__all__ = ["bp"]
