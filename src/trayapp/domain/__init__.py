"""Clients, credentials and validation: plain Python, no GUI, keyring or browser."""
