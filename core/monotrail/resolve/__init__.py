"""Resolving when no lock decides: pip's report, Poetry's solver, and the resolution cache."""
