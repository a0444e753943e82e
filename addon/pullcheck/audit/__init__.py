"""Audit a user's own archive export with the engine."""
