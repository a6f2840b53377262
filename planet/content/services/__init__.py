"""Content write operations, one module per concern. Each asks planet.policy first, validates
its input, flushes and never commits; the request (or task) commits once. Counters (likes,
comments, topics, hashtag uses) are updated with SQL expressions so concurrent requests do not
lose increments.

topics      publish, edit, delete, feature (essence, pin) a topic
questions   ask the owner or a guest, answer, edit and withdraw an answer
comments    comment and reply, edit, delete
likes       like and unlike a topic or comment
reports     report content, resolve or dismiss a report
feed        hashtags and counters as a topic enters or leaves the timeline
text        length limits, cleaning, rendering, @mentions
common      the policy as a ServiceError, same-planet checks, counters, closing reports
"""
