"""Finding the project a command runs for, and the files that define its dependencies.

Stdlib only: this runs on the ``run`` fast path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from monotrail.errors import MonotrailError

POETRY = "poetry"
REQUIREMENTS = "requirements"

_MARKERS = ("poetry.lock", "pyproject.toml", "requirements.txt")


@dataclass(frozen=True)
class Project:
    """A project directory and how its dependencies are declared."""

    root: Path
    kind: str
    #: The files whose content decides the environment (hashed into the env key).
    inputs: tuple[Path, ...] = field(default=())

    @property
    def requirements(self) -> Path:
        return self.root / "requirements.txt"


def kind_of(directory: Path) -> str | None:
    """How ``directory`` declares dependencies, or None when it is not a project root."""
    if (directory / "poetry.lock").is_file():
        return POETRY
    pyproject = directory / "pyproject.toml"
    has_pyproject = pyproject.is_file()
    if has_pyproject:
        try:
            text = pyproject.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        if "[tool.poetry" in text:
            return POETRY
    if (directory / "requirements.txt").is_file():
        return REQUIREMENTS
    if has_pyproject:
        return POETRY  # a PEP 621 project: Poetry 2 locks it
    return None


def discover(start: Path | None = None, explicit: Path | None = None) -> Project:
    """The nearest project at or above ``start`` (the working directory), or ``explicit``."""
    if explicit is not None:
        root = explicit.absolute()
        if not root.is_dir():
            raise MonotrailError(f"{root}: --project is not a directory")
        kind = kind_of(root)
        if kind is None:
            raise MonotrailError(
                f"{root}: not a project (no pyproject.toml, poetry.lock or requirements.txt)"
            )
        return _project(root, kind)
    here = (start or Path(os.getcwd())).absolute()
    for directory in (here, *here.parents):
        kind = kind_of(directory)
        if kind is not None:
            return _project(directory, kind)
    raise MonotrailError(
        f"no project found in {here} or its parents: monotrail looks for pyproject.toml, "
        "poetry.lock or requirements.txt (or pass --project DIR)"
    )


def _project(root: Path, kind: str) -> Project:
    if kind == POETRY:
        inputs = tuple(p for p in (root / "pyproject.toml", root / "poetry.lock") if p.is_file())
    else:
        inputs = (root / "requirements.txt",)
    return Project(root, kind, inputs)
