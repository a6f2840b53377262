"""The FAQ (常见问题): answered questions gathered, grouped by hashtag and searchable; the owner
and admins promote, summarise or hide entries; suggestions offered while a member types a
question, and the questions those suggestions made unnecessary."""
