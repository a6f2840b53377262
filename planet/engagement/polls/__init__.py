"""Polls and lotteries (verifiable draws among eligible members)."""
