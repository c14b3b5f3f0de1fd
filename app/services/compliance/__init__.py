"""Compliance: the status of an assignment (status), counts and a page's one scan (counts), the dashboard views
(dashboards), their tables (breakdowns), the officials behind a figure (officials), group names (groups),
snapshots and the trend, exports, and the API's paging (paging).

May import: app.models, app.clock, app.services.organisation (scope, assignments, countries, lookups),
app.services.audit (an export is recorded), app.services.spreadsheet (cells safe for spreadsheets).
"""
