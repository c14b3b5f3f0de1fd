"""Learning: the player (the attempt state machine), "Your training", results and item analysis.

May import: app.content, app.models, app.clock, app.services.organisation (a pass updates assignments).
"""
