"""Moderation rules: sensitive words that hold members' posts, questions and comments for
review, the review queue, and the planet's audit list.

models    the word list, held submissions, audit entries
services  matching, holding, approving (the content is then created through its own service,
          so its notifications and digest place are the approval's), rejecting, the audit
views     the word list, the queue, the author's own held posts, the audit list
"""
