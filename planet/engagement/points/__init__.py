"""Points and levels: awards for taking part, per-period totals and leaderboards."""
