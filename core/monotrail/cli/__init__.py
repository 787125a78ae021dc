"""The ``monotrail`` command line."""
