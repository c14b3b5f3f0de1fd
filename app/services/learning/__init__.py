"""Learning: the player (the attempt state machine), "Your training", results, item analysis, Your record and
certificates, and learning records (xAPI statements for the LRS).

May import: app.content, app.models, app.clock, app.services.organisation (a pass updates assignments),
app.services.audit (a CSV download is recorded), app.services.spreadsheet (cells safe for spreadsheets),
app.services.compliance.status (a certificate's expiry), app.services.outbox (statements are enqueued).
"""
