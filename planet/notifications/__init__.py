"""Notifications: in-app list with unread count, per-kind email preferences, the email outbox
and periodic digests."""
