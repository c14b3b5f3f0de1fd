"""Organisation: officials, units and scope, postings, the roster import (read / plan / apply),
risk lists and their import, requirements and the assignments they make.

May import: app.content (module facts), app.models, app.clock, app.services.audit, app.services.compliance.status,
app.services.compliance.maintained (assignment writes keep the compliance counts in the same transaction).
Also app.metrics (the recompute time, for /metrics).
"""
