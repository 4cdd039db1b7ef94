"""Outgoing email: queued in the database with the change that caused it, sent after commit."""
