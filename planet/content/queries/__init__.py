"""Reading content: keyset-paginated lists with a constant number of SQL queries per page.

Every list orders by an indexed key ((feed_at, id) or id) and fetches one row more than the
page to know whether there is a next page. Reading pages get plain records
(planet/content/cards.py) from Core selects built once per process. One module per concern:

feed        the timeline and its filters, pinned topics, hashtags, the Q&A lists
topic_page  one topic as a card, its comments and replies, the topic for editing
search      searching published topics
reports     the moderators' queue of open reports
rows        the topic card's shared select and its rows turned into cards
paging      Page, the page size and the `?after=` cursors (planet.web.cursors)
"""
