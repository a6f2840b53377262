"""Events: one-off and weekly events in the planet's time zone, RSVPs and reminders."""
