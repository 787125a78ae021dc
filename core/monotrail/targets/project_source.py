"""The project's own code: which folders make its packages importable, and its scripts.

The project is the first editable package of its environment (``env.editables``): its folder is
read as any editable's is, from its pyproject.toml.
"""

from __future__ import annotations

from monotrail.env import editables
from monotrail.env.writer import ProjectSource
from monotrail.targets.project import POETRY, PYPROJECT, UV, Project


def read(project: Project) -> ProjectSource:
    """The project's own source, from its pyproject.toml (Poetry, uv and PEP 621 projects)."""
    if (
        project.kind not in (POETRY, UV, PYPROJECT)
        or not (project.root / "pyproject.toml").is_file()
    ):
        return ProjectSource()
    return editables.read(project.root)
