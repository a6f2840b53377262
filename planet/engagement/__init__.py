"""Community life: introductions and the directory, check-ins, homework, points and levels,
events, polls and lotteries, and the community insights (health, funnel) for owners.

One package per feature (models, services, views, forms); the area shares the blueprint and
view helpers (common.py), planet-local time (clock.py), SVG charts (charts.py) and column
helpers (columns.py). views.py assembles the blueprint that the app factory registers."""
