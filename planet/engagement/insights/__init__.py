"""Community insights for owners: recorded activity, the health view and its snapshots, the join
funnel."""
