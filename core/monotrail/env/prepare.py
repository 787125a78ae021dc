"""From a project to a ready environment record: resolve if needed, install, write the record.

This is the slow path behind ``run`` and the whole of ``install``; the front ends (the monotrail
command, the Poetry plugin, pip-monotrail) call these functions instead of repeating them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from monotrail import paths
from monotrail.env import launch, writer
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import Artifact, LockedPackage
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter
from monotrail.store import fill, layout, locks
from monotrail.targets import project_source
from monotrail.targets.project import POETRY, PYLOCK, REQUIREMENTS, Project


@dataclass
class Prepared:
    record: dict[str, object]
    report: fill.InstallReport


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
            found[str(included)] = hashlib.sha256(included.read_bytes()).hexdigest()
        except OSError:
            raise MonotrailError(f"{path}: included file {match.group(1)} does not exist") from None
        found.update(requirement_file_includes(included, seen))
    return found


def _lock_file(key: str) -> Path:
    return paths.locks_dir() / f"{key}.json"


def _packages_to_json(packages: list[LockedPackage]) -> list[dict[str, object]]:
    return [
        {
            "name": p.name,
            "version": p.version,
            "artifacts": [[a.filename, a.url, a.hashes] for a in p.artifacts],
            "indexes": p.indexes,
            "source_dir": p.source_dir,
        }
        for p in packages
    ]


def _packages_from_json(data: list[dict[str, object]]) -> list[LockedPackage]:
    return [
        LockedPackage(
            str(p["name"]),
            str(p["version"]),
            [Artifact(a[0], a[1], a[2]) for a in p["artifacts"]],  # type: ignore[attr-defined]
            list(p["indexes"]),  # type: ignore[call-overload]
            p["source_dir"],  # type: ignore[arg-type]
        )
        for p in data
    ]


def save_resolution(key: str, packages: list[LockedPackage]) -> None:
    """Remember a requirements project's resolution, so that its next run does not resolve."""
    saved = _lock_file(key)
    saved.parent.mkdir(parents=True, exist_ok=True)
    tmp = saved.with_name(f".{saved.name}.{os.getpid()}")
    tmp.write_text(json.dumps(_packages_to_json(packages), indent=1))
    os.replace(tmp, saved)


def _selection_key(
    project: Project, interpreter: Interpreter, extras: list[str], groups: list[str]
) -> str:
    """Names what a fresh Poetry lock selects for this target, by content alone.

    Another folder with the same pyproject.toml and poetry.lock (a clone, a CI checkout, a
    copy) then gets its environment without Poetry, packaging or parsing the lock again.
    """
    files = ("pyproject.toml", "poetry.lock")  # not input_files: the lock may be new
    contents = [launch.file_digest(os.path.join(project.root_dir, name)) for name in files]
    return launch.env_key(None, interpreter.executable, extras, groups, ["selection", *contents])


def load_resolution(key: str) -> list[LockedPackage] | None:
    """The package list ``save_resolution`` remembered under ``key``; None when there is none
    or it is unreadable."""
    try:
        data = json.loads(_lock_file(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    logger.debug("reusing the resolution in %s", _lock_file(key))
    return _packages_from_json(data)


def resolve(
    project: Project, interpreter: Interpreter, extras: list[str], groups: list[str], key: str
) -> list[LockedPackage]:
    """The packages the target needs, resolving only when no valid lock exists."""
    if project.kind == POETRY:
        selection = _selection_key(project, interpreter, extras, groups)
        remembered = load_resolution(selection)
        if remembered is not None:
            return remembered
        from monotrail.fetch import indexes
        from monotrail.lockfile import poetry_lock
        from monotrail.resolve import poetry_resolver

        lock_path = project.root / "poetry.lock"
        if lock_path.is_file():
            # A lock that exists but does not parse is the user's to fix, not ours to overwrite.
            from monotrail import toml

            toml.load(lock_path)
        if not poetry_resolver.lock_is_fresh(project.root):
            poetry_resolver.ensure_lock(project.root)
            selection = _selection_key(project, interpreter, extras, groups)  # the new lock
        logger.debug("reading %s", project.root / "poetry.lock")
        packages = poetry_lock.select(
            project.root, interpreter, extras, groups, indexes.pypi_simple_url()
        )
        # Path dependencies are relative to the project: such a selection is not portable.
        if not any(p.source_dir for p in packages):
            save_resolution(selection, packages)
        return packages
    if project.kind == REQUIREMENTS:
        if extras or groups:
            raise MonotrailError(
                f"{project.requirements}: a requirements file has no extras or groups "
                "(-E/--group apply to Poetry projects)"
            )
        remembered = load_resolution(key)
        if remembered is not None:
            return remembered
        from monotrail.resolve import pip_resolver

        print(f"Resolving {project.requirements} with pip...", file=__import__("sys").stderr)
        report = pip_resolver.run_pip_report(
            ["-r", str(project.requirements)], interpreter, project.root
        )
        packages = pip_resolver.packages_from_report(report)
        save_resolution(key, packages)
        return packages
    if project.kind == PYLOCK:
        from monotrail.lockfile import pylock

        return pylock.select(project.root / pylock.FILENAME, interpreter, extras, groups)
    raise MonotrailError(f"{project.root}: unsupported project kind {project.kind}")


def extra_inputs_for(project: Project) -> dict[str, str]:
    if project.kind == REQUIREMENTS:
        return requirement_file_includes(project.requirements)
    return {}


def prepare(
    project: Project,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    compile_bytecode: bool = True,
) -> Prepared:
    """Resolve (if needed), fill the store and write the env record for ``project``."""
    layout.check_writable()
    key = launch.env_key(project, interpreter.executable, extras, groups)
    with layout.write_errors():
        packages = resolve(project, interpreter, extras, groups, key)
        # gc roots: the project and the content of its inputs (a changed lock makes the env
        # dead); extras and groups let `store verify --repair` prepare it again.
        meta: dict[str, object] = {
            "project": str(project.root),
            "project_kind": project.kind,
            "inputs": {str(p): _sha256(p) for p in project.inputs},
            "extras": sorted(set(extras)),
            "groups": sorted(set(groups)),
            # `install` is a no-op only for a record made with bytecode (cli.main).
            "bytecode": compile_bytecode,
        }
        # Until the record is written nothing references the new entries: gc must wait.
        with locks.store_shared():
            report = fill.install(packages, interpreter, compile_bytecode)
            source = project_source.read(project)
            record = writer.write_record(
                key, interpreter, report.entries, source, meta, extra_inputs_for(project)
            )
    return Prepared(record, report)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
