"""The project's own code: which folders make its packages importable, and its scripts.

The project is the first editable package of its environment (``env.editables``): its folder is
read as any editable's is, from its pyproject.toml.
"""

from __future__ import annotations

from monotrail.env import editables
from monotrail.env.writer import ProjectSource
from monotrail.targets.project import POETRY, UV, Project


def read(project: Project) -> ProjectSource:
    """The project's own source, from its pyproject.toml (Poetry, PEP 621 and uv projects)."""
    if project.kind not in (POETRY, UV) or not (project.root / "pyproject.toml").is_file():
        return ProjectSource()
    return editables.read(project.root)
