"""Community life: introductions and the directory, check-ins, homework, points and levels,
events, polls and lotteries, and the community-health view for owners."""
