"""Drafts and scheduled posts: the owner, admins and guests keep a topic (or the owner an
announcement) unpublished, and may schedule it for a date and time in their own zone.

A draft is not a topic: it lives in its own table until it is published, so no list, search,
tag page, digest, notification, feed or count of topics can show it. Publishing, by hand or by
the periodic sweep at its time, goes through `create_topic` (the same path as the topic form),
so its notifications, points and digest place are the publication's.

models    the draft (its state and its indexed due time)
services  save, schedule, unschedule, delete, publish now (flush, never commit)
publish   the sweep that publishes what is due, once, whatever the retries (commits)
forms     the topic form's extra fields and the draft form (bounded)
views     routes on the content blueprint
"""
