"""Learning: the player (the attempt state machine), "Your training", results and item analysis.

May import: app.content, app.models, app.clock, app.services.organisation (a pass updates assignments),
app.services.audit (a CSV download is recorded), app.services.spreadsheet (cells safe for spreadsheets).
"""
