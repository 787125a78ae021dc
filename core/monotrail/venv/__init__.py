"""Linking store entries into a real virtualenv (venv-install, export-venv, pip-monotrail)."""
