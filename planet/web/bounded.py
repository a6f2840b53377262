"""The one way a per-process cache here stays bounded: the newest entry last, the oldest
dropped first (the page and visitors' caches, the short-lived values, the signatures kept)."""

from __future__ import annotations

from collections import OrderedDict


def put_newest(values: OrderedDict, key, value, bound: int) -> None:
    """`values[key] = value` as the most recent entry, the oldest dropped past `bound`."""
    values[key] = value
    values.move_to_end(key)
    while len(values) > bound:
        values.popitem(last=False)
