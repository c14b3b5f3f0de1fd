"""The JSON API for departmental HR/BI systems, mounted at /api/v1 as its own FastAPI application."""
