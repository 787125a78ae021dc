"""Test support code: build real wheels/sdists and serve them from a local PEP 503 index."""
