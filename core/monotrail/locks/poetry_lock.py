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
from monotrail.interpreter import Interpreter
from monotrail.lock import Artifact, LockedPackage
from monotrail.store import canonical_name


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
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    name = project.get("name") or poetry.get("name")
    extras = {canonical_name(e) for e in project.get("optional-dependencies", {})}
    extras |= {canonical_name(e) for e in poetry.get("extras", {})}
    groups = {"main"}
    optional = set()
    for group, table in poetry.get("group", {}).items():
        groups.add(group)
        if isinstance(table, dict) and table.get("optional"):
            optional.add(group)
    if poetry.get("dev-dependencies"):
        groups.add("dev")
    sources = {}
    for source in poetry.get("source", []):
        if isinstance(source, dict) and source.get("name") and source.get("url"):
            sources[str(source["name"])] = str(source["url"])
    return PoetryProjectInfo(name, extras, groups, optional, sources)


def select(
    project_dir: Path,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    default_index: str,
) -> list[LockedPackage]:
    """The locked packages the target needs, with the given extras and extra groups; a group
    written ``!name`` is left out."""
    from packaging.markers import InvalidMarker, Marker

    pyproject = project_dir / "pyproject.toml"
    lock_path = project_dir / "poetry.lock"
    info = read_project(pyproject)
    wanted_extras = {canonical_name(e) for e in extras}
    unknown = sorted(wanted_extras - info.extras)
    if unknown:
        known = ", ".join(sorted(info.extras)) or "none"
        raise MonotrailError(
            f"{pyproject}: unknown extra {', '.join(unknown)} (the project declares: {known})"
        )
    # `!name` leaves a group out (the Poetry plugin's --without and --only).
    excluded = {g[1:] for g in groups if g.startswith("!")}
    included = {g for g in groups if not g.startswith("!")}
    unknown_groups = sorted((included | excluded) - info.groups)
    if unknown_groups:
        raise MonotrailError(
            f"{pyproject}: unknown group {', '.join(unknown_groups)} "
            f"(the project has: {', '.join(sorted(info.groups))})"
        )
    selected_groups = ((info.groups - info.optional_groups) | included) - excluded

    lock = toml.load(lock_path)
    packages = lock.get("package")
    if not isinstance(packages, list):
        raise MonotrailError(f"{lock_path}: no [[package]] entries; run `poetry lock`")
    environments = []
    for extra in sorted(wanted_extras) or [""]:
        environments.append({**interpreter.markers, "extra": extra})

    def applies(marker_text: str | None) -> bool:
        if not marker_text:
            return True
        try:
            marker = Marker(marker_text)
        except InvalidMarker as err:
            raise MonotrailError(f"{lock_path}: invalid marker {marker_text!r}: {err}") from None
        return any(marker.evaluate(env) for env in environments)

    selected: list[LockedPackage] = []
    for number, package in enumerate(packages, 1):
        name, version = (
            _required(package, "name", lock_path, number),
            _required(package, "version", lock_path, number),
        )
        package_groups = package.get("groups")
        if not isinstance(package_groups, list):
            raise MonotrailError(f"{lock_path}: package {name} has no `groups`; run `poetry lock`")
        markers: Any = package.get("markers")
        wanted = False
        for group in package_groups:
            if group not in selected_groups:
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
    for item in package.get("files", []):
        filename, hash_text = item.get("file"), item.get("hash", "")
        if not filename:
            raise MonotrailError(f"{lock_path}: a file of {name} {version} has no name")
        algorithm, _, value = str(hash_text).partition(":")
        artifacts.append(Artifact(filename, item.get("url"), {algorithm: value} if value else {}))
    source = package.get("source") or {}
    source_type = source.get("type")
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
    elif source_type is not None:
        raise MonotrailError(
            f"{lock_path}: {name} comes from a {source_type} source, which monotrail "
            "does not support yet"
        )
    if not artifacts and source_dir is None:
        raise MonotrailError(f"{lock_path}: {name} {version} lists no files")
    return LockedPackage(canonical_name(name), version, artifacts, indexes, source_dir)
