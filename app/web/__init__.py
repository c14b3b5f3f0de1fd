"""HTTP only: one router per audience, turning requests into service calls and results into pages."""
