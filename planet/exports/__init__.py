"""Taking everything out: a planet's whole content for its owner, a person's own data for them."""
