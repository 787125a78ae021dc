"""from-git: a repository at one revision, run with its dependencies and its own code.

The checkout (fetch/git.py) is an ordinary project (requirements.txt, pyproject.toml,
poetry.lock) whose own packages import from the checkout, as with an editable install.
``env_key`` is stdlib-only: it runs on ``from-git``'s fast path.
"""

from __future__ import annotations

import os

from monotrail.env import launch
from monotrail.errors import MonotrailError
from monotrail.fetch.git import ensure_checkout

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from monotrail.env.prepare import Target
    from monotrail.python.interpreter import Interpreter
    from monotrail.targets.project import Project


def env_key(project: Project, executable: str, extras: list[str], groups: list[str]) -> str:
    # Not the key `run --project CHECKOUT` would use: this record also imports the checkout.
    return launch.env_key(project, executable, extras, groups, ["from-git"])


def find_project(url: str, rev: str, checkout: str) -> Project:
    """The checkout as a project (its top folder declares the dependencies)."""
    from monotrail.targets.project import discover

    try:
        return discover(explicit=checkout)
    except MonotrailError:
        from monotrail.fetch.credentials import redact

        raise MonotrailError(
            f"{redact(url)} at {rev}: no requirements.txt, pyproject.toml or poetry.lock at the "
            "top of the repository, so its dependencies are unknown"
        ) from None


def target(
    url: str,
    rev: str,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    refresh: bool = False,
) -> Target:
    """The checkout of ``url`` at ``rev`` (fetched once) as a target: the project's target
    (targets/project_env.py) under its own key, with its own packages importable from the
    checkout; ``refresh`` resolves again."""
    from dataclasses import replace

    from monotrail.fetch.credentials import strip
    from monotrail.targets import project_env
    from monotrail.targets.project import POETRY

    checkout = ensure_checkout(url, rev)
    project = find_project(url, rev, checkout)
    if project.kind == POETRY:
        from monotrail.resolve import poetry_resolver

        # Lock first: the key covers poetry.lock, so that the next run finds this record.
        poetry_resolver.ensure_lock(project.root)
        project = find_project(url, rev, checkout)
    base = project_env.target(project, interpreter, extras, groups, refresh)
    if not base.source.head and not base.source.flat:
        # Like an editable install: the repository's own packages import from the checkout.
        src = os.path.join(checkout, "src")
        flat_src = os.path.isfile(os.path.join(src, "__init__.py"))
        base.source.head.append(src if os.path.isdir(src) and not flat_src else checkout)
    return replace(
        base,
        key=env_key(project, interpreter.executable, extras, groups),
        owner={**base.owner, "project": checkout, "tool": f"from-git {strip(url)} {rev}"},
    )
