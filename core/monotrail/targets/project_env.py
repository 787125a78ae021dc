"""A project folder as a target: which file decides its packages, its key, its owner fields.

The file that decides (``targets.project.kind_of``, with the table): ``uv.lock`` (read as
``uv sync --frozen`` would, never rewritten), ``poetry.lock`` / ``[tool.poetry]`` (read; locked
with Poetry's own solver when missing or stale), ``pylock.toml`` (read), a ``requirements.txt``
(resolved once by pip), a PEP 621 pyproject.toml without a lock (locked once by Poetry's solver
into the store, never into the folder).

What monotrail resolves itself is kept in the resolution cache under a key of content alone
(``resolution_key``): the inputs' content, the interpreter and pip's index configuration, so a
copy of the project in another folder gets its environment without a resolver. The folder
joins the key only when a requirements file names paths relative to it. What a Poetry lock
selects for one interpreter is kept the same way, so that a copy or clone of the project gets
its environment without Poetry or a parse of the lock.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from monotrail import fingerprint
from monotrail.env import launch
from monotrail.env.prepare import Target
from monotrail.errors import MonotrailError
from monotrail.lockfile import dependency_groups
from monotrail.lockfile.model import LockedPackage
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter
from monotrail.resolve import resolution_cache
from monotrail.targets import project_source
from monotrail.targets.project import (
    POETRY,
    PYLOCK,
    PYPROJECT,
    REQUIREMENTS,
    UV,
    Project,
    deciding_file,
)


def target(
    project: Project,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    refresh: bool = False,
) -> Target:
    """``project`` with these extras and groups (the group options' words) on ``interpreter``;
    ``refresh`` resolves again what the resolution cache keeps."""
    key = launch.env_key(project, interpreter.executable, extras, groups)
    extra_inputs = {}
    if project.kind == REQUIREMENTS:
        extra_inputs = requirement_file_includes(project.requirements)
    used: list[str] = []
    return Target(
        key=key,
        packages=lambda target: packages(project, target, extras, groups, refresh, used),
        owner={
            "project": str(project.root),
            "project_kind": project.kind,
            "extras": sorted(set(extras)),
            "groups": sorted(set(groups)),
            "resolutions": used,
        },
        input_files=project.input_files,
        source=project_source.read(project),
        extra_inputs=extra_inputs,
        # Only a lock file's packages are the same in any folder: what monotrail resolves itself
        # also depends on pip's configuration, which its resolution key (not this) holds.
        content_key=launch.content_key(project, interpreter.executable, extras, groups)
        if project.kind in (UV, POETRY, PYLOCK)
        else None,
        origin=deciding_file(project)[0],
    )


def packages(
    project: Project,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    refresh: bool = False,
    used: list[str] | None = None,
) -> list[LockedPackage]:
    """The packages the project needs on ``interpreter``, resolving only without a valid lock
    (or with ``refresh``); the keys of the resolution cache files they come from are added to
    ``used``."""
    from monotrail.fetch import credentials

    credentials.use_project(
        project.root, project.requirements if project.kind == REQUIREMENTS else None
    )
    used = used if used is not None else []
    if project.kind == UV:
        from monotrail.lockfile import uv_lock

        lock_path = (project.workspace or project.root) / uv_lock.FILENAME
        if not lock_path.is_file():
            raise MonotrailError(
                f"{lock_path.parent}: a uv workspace without uv.lock; run `uv lock`"
            )
        logger.debug("reading %s", lock_path)
        return uv_lock.select(project.root, interpreter, extras, groups, project.workspace)
    if project.kind == POETRY:
        return _poetry_packages(project, interpreter, extras, groups, used)
    if project.kind == PYPROJECT:
        return _pyproject_packages(project, interpreter, extras, groups, refresh, used)
    if project.kind == REQUIREMENTS:
        if extras or [g for g in groups if g not in dependency_groups.FLAGS]:
            raise MonotrailError(
                f"{project.requirements}: a requirements file has no extras or groups "
                "(-E and the group options apply to pyproject.toml projects)"
            )
        from monotrail.resolve import pip_resolver

        def resolve() -> list[LockedPackage]:
            args = ["-r", str(project.requirements)]
            report = pip_resolver.run_pip_report(args, interpreter, project.root)
            return pip_resolver.packages_from_report(report)

        key = resolution_key(project, interpreter.executable)
        used.append(key)
        what = f"{project.requirements} with pip"
        return resolution_cache.remembered(key, what, resolve, refresh)
    if project.kind == PYLOCK:
        from monotrail.lockfile import pylock

        return pylock.select(project.root / pylock.FILENAME, interpreter, extras, groups)
    raise MonotrailError(f"{project.root}: unsupported project kind {project.kind}")


def _poetry_packages(
    project: Project,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    used: list[str],
) -> list[LockedPackage]:
    selection = _selection_key(project, interpreter, extras, groups)
    remembered = resolution_cache.load(selection)
    if remembered is not None:
        used.append(selection)
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
        used.append(selection)
    return found


def _selection_key(
    project: Project,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    lock_path: str | None = None,
) -> str:
    """Names what a fresh Poetry lock (the project's, else ``lock_path``) selects for this
    target, by content alone."""
    files = [os.path.join(project.root_dir, "pyproject.toml")]
    files.append(lock_path or os.path.join(project.root_dir, "poetry.lock"))  # may be new
    contents = [fingerprint.file_digest(path) for path in files]
    return launch.env_key(None, interpreter.executable, extras, groups, ["selection", *contents])


def resolution_key(project: Project, executable: str) -> str:
    """The key of what monotrail resolves itself for a project (REQUIREMENTS, PYPROJECT):
    the inputs' content, the interpreter, pip's index configuration; not the folder, unless a
    requirements file names paths relative to it."""
    from monotrail.fetch import indexes

    words = [f"resolution={project.kind}", *indexes.pip_configuration()]
    if project.kind == REQUIREMENTS:
        files = {str(project.requirements): "", **requirement_file_includes(project.requirements)}
        for path in sorted(files):
            words.append(
                f"{os.path.relpath(path, project.root_dir)}={fingerprint.file_digest(path)}"
            )
            if _names_relative_paths(Path(path)):
                words.append(f"folder={project.root_dir}")
    else:
        words.append(f"pyproject={_pyproject_content(project)}")
    return launch.env_key(None, executable, [], [], words)


def _names_relative_paths(requirements: Path) -> bool:
    """Whether a requirements file names a local path relative to the working folder (``./x``,
    ``../libs/y``, ``-e src/z``, ``--find-links wheels``); includes (-r/-c) are keyed apart."""
    try:
        text = requirements.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] in ("-r", "-c", "--requirement", "--constraint"):
            continue
        for word in words:
            if word.startswith("-") and "=" in word:
                word = word.split("=", 1)[1]
            if "://" in word or word.startswith(("/", "-", "file:/")):
                continue
            if word.startswith((".", "file:")) or "/" in word or "\\" in word:
                return True
    return False


def _pyproject_content(project: Project) -> str:
    """A digest of what a PEP 621 project's resolution depends on: its ``[project]`` table,
    ``[dependency-groups]`` and ``[tool.poetry]`` (not, say, its ``[tool.ruff]``)."""
    import json

    from monotrail import fingerprint, toml

    data = toml.load(project.root / "pyproject.toml")
    relevant = {
        "project": data.get("project"),
        "dependency-groups": data.get("dependency-groups"),
        "poetry": data.get("tool", {}).get("poetry"),
    }
    return fingerprint.digest(json.dumps(relevant, sort_keys=True, default=str).encode())


def _pyproject_packages(
    project: Project,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    refresh: bool,
    used: list[str],
) -> list[LockedPackage]:
    """A PEP 621 project without a lock: Poetry's solver locks it once into the store (the
    universal lock, keyed by content), then the lock is read for the target like poetry.lock."""
    from monotrail import _fs, paths
    from monotrail.fetch import indexes
    from monotrail.lockfile import poetry_lock

    pyproject = project.root / "pyproject.toml"
    _check_pep621(pyproject)
    key = resolution_key(project, interpreter.executable)
    lock_path = resolution_cache.kept(f"{key}.poetry.lock")
    selection = _selection_key(project, interpreter, extras, groups, str(lock_path))
    remembered = None if refresh else resolution_cache.load(selection)
    if remembered is not None:
        used.extend((key, selection))
        return remembered
    if refresh or not lock_path.is_file():
        from monotrail.resolve import poetry_resolver

        print(f"Resolving {pyproject} with Poetry's solver...", file=sys.stderr)
        lock_path = paths.resolutions_dir() / f"{key}.poetry.lock"
        _fs.atomic_publish(
            lock_path,
            lambda tmp: poetry_resolver.lock_elsewhere(project.root, Path(tmp)),
            mkdir=True,
        )
        logger.debug("kept the lock of %s in %s", pyproject, lock_path)
        selection = _selection_key(project, interpreter, extras, groups, str(lock_path))
    else:
        logger.debug("reusing the lock of %s kept in %s", pyproject, lock_path)
    default_index = indexes.pip_index_urls()[0]
    found = poetry_lock.select(project.root, interpreter, extras, groups, default_index, lock_path)
    resolution_cache.save(selection, found)
    used.extend((key, selection))
    return found


def _check_pep621(pyproject: Path) -> None:
    """One line for a pyproject.toml that Poetry's solver cannot lock."""
    from monotrail import toml

    data = toml.load(pyproject)
    table = data.get("project")
    if not isinstance(table, dict):
        raise MonotrailError(
            f"{pyproject}: no [project] table, so no dependencies to install; add one (PEP 621) "
            "or a lock file (uv.lock, poetry.lock, pylock.toml) or a requirements.txt"
        )
    if "dependencies" in (table.get("dynamic") or ()):
        raise MonotrailError(
            f"{pyproject}: the dependencies are dynamic (made by the build backend), which "
            "monotrail cannot resolve; lock the project (uv lock, poetry lock) or add a "
            "requirements.txt"
        )
    dependency_groups.expand(pyproject, data)  # an include cycle is an error before solving


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
        found[str(included)] = fingerprint.file_digest(str(included))
        if found[str(included)] == "missing":
            raise MonotrailError(f"{path}: included file {match.group(1)} does not exist")
        found.update(requirement_file_includes(included, seen))
    return found
