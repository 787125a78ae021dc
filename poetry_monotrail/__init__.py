"""Poetry application plugin: ``poetry monotrail run`` and ``poetry monotrail install``."""
