"""Pytest fixtures for the test portal (registered from conftest.py)."""
