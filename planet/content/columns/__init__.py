"""Columns (专栏): topics gathered by the owner and admins into an ordered series (a course, a
series), with each member's reading progress.

models    the column, its entries (one topic in at most one column) and members' reads
services  create, edit, delete, add, remove, move, mark as read (flush, never commit)
queries   the lists: a planet's columns, a column's contents with the viewer's progress, a
          topic's place in its column (next/previous), the landing page's contents lists
forms     the column form (bounded fields)
views     routes on the content blueprint
"""
