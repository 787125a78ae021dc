"""pip-compatible front end: ``pip-monotrail install``."""
