"""Accounts: signing in (passwords), sign-in sessions and API tokens.

May import: app.models, app.clock, app.services.audit, app.services.organisation.scope.
"""
