"""Reading ``poetry.lock`` (lock format 2.1, Poetry 2) and narrowing it to one target.

Poetry 2 writes, for every package, the dependency groups that need it and the markers under
which each group does (extras appear as ``extra == "name"``). So the selection is a marker
evaluation per package, without re-solving: a package is installed when one of the selected
groups needs it under the target's environment and the chosen extras.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monotrail import toml
from monotrail.errors import MonotrailError
from monotrail.lockfile import dependency_groups
from monotrail.lockfile.model import Artifact, GitSource, LockedPackage
from monotrail.names import canonical_name
from monotrail.python.interpreter import Interpreter


@dataclass(frozen=True)
class PoetryProjectInfo:
    """What selection needs from pyproject.toml."""

    name: str | None
    extras: set[str]
    groups: set[str]
    optional_groups: set[str]
    sources: dict[str, str]  # source name -> URL


def read_project(pyproject: Path) -> PoetryProjectInfo:
    data = toml.load(pyproject)
    project = toml.table(data.get("project"), "project", pyproject)
    tool = toml.table(data.get("tool"), "tool", pyproject)
    poetry = toml.table(tool.get("poetry"), "tool.poetry", pyproject)
    name = project.get("name") or poetry.get("name")
    optional_deps = toml.table(
        project.get("optional-dependencies"), "optional-dependencies", pyproject
    )
    extras = {canonical_name(e) for e in optional_deps}
    extras |= {canonical_name(e) for e in toml.table(poetry.get("extras"), "extras", pyproject)}
    groups = {"main", *dependency_groups.declared(pyproject, data)}
    optional = set()
    for group, table in toml.table(poetry.get("group"), "tool.poetry.group", pyproject).items():
        groups.add(canonical_name(group))
        if isinstance(table, dict) and table.get("optional"):
            optional.add(canonical_name(group))
    if poetry.get("dev-dependencies"):
        groups.add("dev")
    sources = {}
    for source in toml.array(poetry.get("source"), "tool.poetry.source", pyproject):
        if isinstance(source, dict) and source.get("name") and source.get("url"):
            sources[str(source["name"])] = str(source["url"])
    return PoetryProjectInfo(
        name if isinstance(name, str) else None, extras, groups, optional, sources
    )


def select(
    project_dir: Path,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    default_index: str,
    lock_path: Path | None = None,
) -> list[LockedPackage]:
    """The locked packages the target needs, with the given extras and the groups the group
    options' words select (``lockfile/dependency_groups.py``; ``main`` is the project's own).

    ``lock_path`` None: the project's poetry.lock, and Poetry's default groups (the
    non-optional ones). Else monotrail's lock of a PEP 621 project, kept in the store: uv's
    default groups.
    """
    from packaging.markers import InvalidMarker, Marker

    pyproject = project_dir / "pyproject.toml"
    info = read_project(pyproject)
    existing = info.groups
    if lock_path is None:
        lock_path = project_dir / "poetry.lock"
        defaults = info.groups - info.optional_groups
    else:  # no Poetry project: `main` is the project's own dependencies, not a group
        existing = info.groups - {"main"}
        defaults = dependency_groups.uv_defaults(pyproject, toml.load(pyproject), existing)
    wanted_extras = {canonical_name(e) for e in extras}
    unknown = sorted(wanted_extras - info.extras)
    if unknown:
        known = ", ".join(sorted(info.extras)) or "none"
        raise MonotrailError(
            f"{pyproject}: unknown extra {', '.join(unknown)} (the project declares: {known})"
        )
    # `!name` leaves a group out (the Poetry plugin's --without and --only).
    choice = dependency_groups.choose(pyproject, existing, defaults, groups)
    selected_groups = set(choice.groups)
    if choice.project and "!main" not in groups:
        selected_groups.add("main")

    lock = toml.load(lock_path)
    packages = lock.get("package")
    if not isinstance(packages, list):
        raise MonotrailError(f"{lock_path}: no [[package]] entries; run `poetry lock`")
    environments = []
    for extra in sorted(wanted_extras) or [""]:
        environments.append({**interpreter.markers, "extra": extra})

    def applies(marker_text: object) -> bool:
        if not marker_text:
            return True
        if not isinstance(marker_text, str):
            raise MonotrailError(f"{lock_path}: invalid marker {marker_text!r}: not a string")
        try:
            marker = Marker(marker_text)
        except InvalidMarker as err:
            reason = str(err).splitlines()[0]  # packaging adds lines that point at the column
            raise MonotrailError(f"{lock_path}: invalid marker {marker_text!r}: {reason}") from None
        return any(marker.evaluate(env) for env in environments)

    selected: list[LockedPackage] = []
    for number, package in enumerate(packages, 1):
        if not isinstance(package, dict):
            raise MonotrailError(f"{lock_path}: package #{number} is not a table")
        name, version = (
            _required(package, "name", lock_path, number),
            _required(package, "version", lock_path, number),
        )
        package_groups = package.get("groups")
        if not isinstance(package_groups, list) or not all(
            isinstance(g, str) for g in package_groups
        ):
            raise MonotrailError(f"{lock_path}: package {name} has no `groups`; run `poetry lock`")
        markers: Any = package.get("markers")
        wanted = False
        for group in package_groups:
            if canonical_name(group) not in selected_groups:
                continue
            marker_text = markers.get(group) if isinstance(markers, dict) else markers
            if applies(marker_text):
                wanted = True
                break
        if wanted:
            selected.append(_locked_package(package, name, version, lock_path, info, default_index))
    return selected


def _required(package: dict[str, Any], key: str, lock_path: Path, number: int) -> str:
    value = package.get(key)
    if not isinstance(value, str) or not value:
        raise MonotrailError(f"{lock_path}: package #{number} has no `{key}`")
    return value


def _locked_package(
    package: dict[str, Any],
    name: str,
    version: str,
    lock_path: Path,
    info: PoetryProjectInfo,
    default_index: str,
) -> LockedPackage:
    artifacts = []
    for item in toml.array(package.get("files"), f"files of {name}", lock_path):
        item = toml.table(item, f"files of {name}", lock_path)
        filename, hash_text, url = item.get("file"), item.get("hash", ""), item.get("url")
        if not filename or not isinstance(filename, str):
            raise MonotrailError(f"{lock_path}: a file of {name} {version} has no name")
        algorithm, _, value = str(hash_text).partition(":")
        url = url if isinstance(url, str) else None
        artifacts.append(Artifact(filename, url, {algorithm: value} if value else {}))
    source = toml.table(package.get("source") or None, f"source of {name}", lock_path)
    source_type = source.get("type")
    if source_type is not None and not source.get("url"):
        raise MonotrailError(f"{lock_path}: the {source_type} source of {name} has no `url`")
    indexes = [default_index]
    source_dir = None
    if source_type == "legacy":
        indexes = [str(source["url"]).rstrip("/") + "/"]
    elif source_type == "url":
        url = str(source["url"])
        hashes = artifacts[0].hashes if artifacts else {}
        artifacts = [Artifact(url.rsplit("/", 1)[-1], url, hashes)]
    elif source_type in ("file", "directory"):
        local = (lock_path.parent / str(source["url"])).resolve()
        if source_type == "file":
            hashes = artifacts[0].hashes if artifacts else {}
            artifacts = [Artifact(local.name, local.as_uri(), hashes)]
        else:
            source_dir = str(local)
    elif source_type == "git":
        return LockedPackage(
            canonical_name(name), version, [], git=_git_source(source, name, lock_path)
        )
    elif source_type is not None:
        raise MonotrailError(
            f"{lock_path}: {name} comes from a {source_type} source, which monotrail "
            "does not support yet"
        )
    if not artifacts and source_dir is None:
        raise MonotrailError(f"{lock_path}: {name} {version} lists no files")
    # `develop = true`: the folder is imported in place (env.editables), not built.
    editable = source_dir is not None and package.get("develop") is True
    if editable and not Path(str(source_dir)).is_dir():
        raise MonotrailError(
            f"{lock_path}: {name} is locked from the folder {source['url']}, which is missing "
            "(restore it, or run `poetry lock` if it moved)"
        )
    return LockedPackage(
        canonical_name(name), version, artifacts, indexes, source_dir, editable=editable
    )


def _git_source(source: dict[str, Any], name: str, lock_path: Path) -> GitSource:
    """The commit Poetry locked a git dependency at (``resolved_reference``)."""
    commit = source.get("resolved_reference")
    if not isinstance(commit, str) or not commit:
        raise MonotrailError(
            f"{lock_path}: the git source of {name} has no `resolved_reference`; run `poetry lock`"
        )
    subdirectory = source.get("subdirectory")
    return GitSource(str(source["url"]), commit, str(subdirectory) if subdirectory else None)
