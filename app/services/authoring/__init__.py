"""Authoring: what authors see of the module library (lint status, previews), the scene map and
the risk factor coverage.

May import: app.content only (it knows nothing of the database).
"""
