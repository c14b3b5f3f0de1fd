"""Demo data for `aptrain seed --demo`: accounts for each role and a believable population.
Never used in production (the command refuses). May import anything in app.services."""
