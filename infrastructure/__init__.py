"""Ports and their adapters: the message bus and the stores, plus process plumbing (settings, logging)."""
