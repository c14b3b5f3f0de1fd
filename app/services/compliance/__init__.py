"""Compliance: the status of an assignment, counts, the dashboard views, snapshots and the trend,
exports and the API's paging.

May import: app.models, app.clock, app.services.organisation (scope, assignments).
"""
