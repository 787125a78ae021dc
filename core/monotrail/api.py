"""monotrail's public core API: what front ends and notebooks call, with no argv and no
private names.

Notebooks: ``interactive`` and ``from_git`` (as ``monotrail.interactive`` and
``monotrail.from_git``) add packages to the running interpreter (targets/notebook.py).
"""

from __future__ import annotations

from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Any

__all__ = ["choose_python", "from_git", "interactive"]


def interactive(
    lock: str | os.PathLike[str] | None = None, **packages: str | dict[str, Any]
) -> None:
    """Make packages importable in this interpreter now, e.g.
    ``interactive(numpy="^1.21", pandas={"version": "^2", "extras": ["excel"]})``.

    Calling it again adds to the same set. ``lock=PATH`` installs exactly what a saved lock
    holds. The lock is saved beside the notebook when its path is known, else in the store.
    """
    from monotrail.targets import notebook

    notebook.interactive(lock, packages)


def from_git(url: str, rev: str) -> None:
    """Check out ``url`` at ``rev`` (once, into the store), install what it declares and make
    its own package and its dependencies importable in this interpreter now."""
    from monotrail.targets import notebook

    notebook.from_git(url, rev)


def choose_python(requested: str | None = None, project_root: str | None = None) -> str:
    """The interpreter ``monotrail run`` uses: ``requested`` (``X.Y``, ``X.Y.Z`` or a path; a
    version nothing on the machine provides is provisioned), else the project's
    ``.python-version``, else the newest Python its ``requires-python`` allows, else the newest
    found. ``project_root`` None: the project around the working directory, if there is one."""
    from monotrail.python import choice
    from monotrail.targets.project import discover

    if project_root is None:
        try:
            project_root = discover().root_dir
        except MonotrailError:
            pass
    return choice.for_project(requested, project_root)
