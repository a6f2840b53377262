"""Check-in challenges (打卡): daily check-ins, streaks, leaderboards and reminders."""
