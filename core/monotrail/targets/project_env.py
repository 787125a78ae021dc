"""A project folder as a target: which file decides its packages, its key, its owner fields.

The file that decides (``targets.project.kind_of``): ``uv.lock`` (read as ``uv sync --frozen``
would, never rewritten), ``poetry.lock`` / ``[tool.poetry]`` (read; locked with Poetry's own
solver when missing or stale), ``pylock.toml`` (read), a
``requirements.txt`` (resolved once by pip, then kept in the resolution cache). What a Poetry
lock selects for one interpreter is kept too, keyed by content alone, so that a copy or clone of
the project gets its environment without Poetry or a parse of the lock.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from monotrail.env import launch
from monotrail.env.prepare import Target
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import LockedPackage
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter
from monotrail.resolve import resolution_cache
from monotrail.store.inventory import sha256_file
from monotrail.targets import project_source
from monotrail.targets.project import POETRY, PYLOCK, REQUIREMENTS, UV, Project


def target(
    project: Project, interpreter: Interpreter, extras: list[str], groups: list[str]
) -> Target:
    """``project`` with these extras and groups on ``interpreter``."""
    key = launch.env_key(project, interpreter.executable, extras, groups)
    extra_inputs = {}
    if project.kind == REQUIREMENTS:
        extra_inputs = requirement_file_includes(project.requirements)
    return Target(
        key=key,
        packages=lambda target: packages(project, target, extras, groups, key),
        owner={
            "project": str(project.root),
            "project_kind": project.kind,
            "extras": sorted(set(extras)),
            "groups": sorted(set(groups)),
        },
        input_files=project.input_files,
        source=project_source.read(project),
        extra_inputs=extra_inputs,
    )


def packages(
    project: Project, interpreter: Interpreter, extras: list[str], groups: list[str], key: str
) -> list[LockedPackage]:
    """The packages the project needs on ``interpreter``, resolving only without a valid lock.

    ``key`` is the env key: a requirements file's resolution is kept under it.
    """
    from monotrail.fetch import credentials

    credentials.use_project(
        project.root, project.requirements if project.kind == REQUIREMENTS else None
    )
    if project.kind == UV:
        from monotrail.lockfile import uv_lock

        logger.debug("reading %s", project.root / uv_lock.FILENAME)
        return uv_lock.select(project.root, interpreter, extras, groups)
    if project.kind == POETRY:
        return _poetry_packages(project, interpreter, extras, groups)
    if project.kind == REQUIREMENTS:
        if extras or groups:
            raise MonotrailError(
                f"{project.requirements}: a requirements file has no extras or groups "
                "(-E/--group apply to Poetry projects)"
            )
        from monotrail.resolve import pip_resolver

        def resolve() -> list[LockedPackage]:
            args = ["-r", str(project.requirements)]
            report = pip_resolver.run_pip_report(args, interpreter, project.root)
            return pip_resolver.packages_from_report(report)

        return resolution_cache.remembered(key, f"{project.requirements} with pip", resolve)
    if project.kind == PYLOCK:
        from monotrail.lockfile import pylock

        return pylock.select(project.root / pylock.FILENAME, interpreter, extras, groups)
    raise MonotrailError(f"{project.root}: unsupported project kind {project.kind}")


def _poetry_packages(
    project: Project, interpreter: Interpreter, extras: list[str], groups: list[str]
) -> list[LockedPackage]:
    selection = _selection_key(project, interpreter, extras, groups)
    remembered = resolution_cache.load(selection)
    if remembered is not None:
        return remembered
    from monotrail import toml
    from monotrail.fetch import indexes
    from monotrail.lockfile import poetry_lock
    from monotrail.resolve import poetry_resolver

    lock_path = project.root / "poetry.lock"
    if lock_path.is_file():
        toml.load(lock_path)  # a lock that does not parse is the user's to fix, not ours
    if not poetry_resolver.lock_is_fresh(project.root):
        poetry_resolver.ensure_lock(project.root)
        selection = _selection_key(project, interpreter, extras, groups)  # the new lock
    logger.debug("reading %s", lock_path)
    found = poetry_lock.select(project.root, interpreter, extras, groups, indexes.pypi_simple_url())
    if not any(p.source_dir for p in found):  # path dependencies make it depend on the folder
        resolution_cache.save(selection, found)
    return found


def _selection_key(
    project: Project, interpreter: Interpreter, extras: list[str], groups: list[str]
) -> str:
    """Names what a fresh Poetry lock selects for this target, by content alone."""
    files = ("pyproject.toml", "poetry.lock")  # not input_files: the lock may be new
    contents = [launch.file_digest(os.path.join(project.root_dir, name)) for name in files]
    return launch.env_key(None, interpreter.executable, extras, groups, ["selection", *contents])


def requirement_file_includes(path: Path, seen: set[Path] | None = None) -> dict[str, str]:
    """Files a requirements file pulls in with -r/-c (recursively), with their sha256."""
    seen = seen if seen is not None else set()
    found: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return found
    pattern = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)")
    for line in text.splitlines():
        match = pattern.match(line)
        if not match or "://" in match.group(1):
            continue
        included = (path.parent / match.group(1)).resolve()
        if included in seen:
            continue
        seen.add(included)
        try:
            found[str(included)] = sha256_file(included)
        except OSError:
            raise MonotrailError(f"{path}: included file {match.group(1)} does not exist") from None
        found.update(requirement_file_includes(included, seen))
    return found
