"""monotrail's public Python API.

For notebooks and REPLs: ``interactive`` and ``from_git`` (targets/notebook.py), also reachable
as ``monotrail.interactive`` and ``monotrail.from_git``.
"""

from __future__ import annotations

from monotrail.targets.notebook import InteractiveError, from_git, interactive

__all__ = ["InteractiveError", "from_git", "interactive"]
