"""The stores: ports for the event log, read models, claims, run logs and users, and their adapters."""
