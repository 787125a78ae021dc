"""PEP 751 ``pylock.toml``: selecting a target's packages from one, and writing one from pip.

Parsing, validation and selection (markers, extras, dependency groups, requires-python, the
lock's environments, wheel tags) are packaging's ``Pylock``; this module maps what it selects
onto locked packages, and pip's JSON install report onto a lock file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monotrail import toml
from monotrail._fs import atomic_write
from monotrail.errors import MonotrailError
from monotrail.lockfile import dependency_groups
from monotrail.lockfile.model import Artifact, GitSource, LockedPackage
from monotrail.names import canonical_name
from monotrail.python.interpreter import Interpreter

FILENAME = "pylock.toml"


def select(
    path: Path, interpreter: Interpreter, extras: list[str], groups: list[str]
) -> list[LockedPackage]:
    """The packages of the lock at ``path`` that ``interpreter`` needs.

    ``groups`` are the group options' words, from the lock's default groups
    (``lockfile/dependency_groups.py``).
    """
    from packaging.pylock import Pylock, PylockSelectError, PylockValidationError
    from packaging.tags import parse_tag

    try:
        lock = Pylock.from_dict(toml.load(path))
    except PylockValidationError as err:
        raise MonotrailError(f"{path}: not a valid pylock file: {err}") from None
    existing = {canonical_name(g) for g in lock.dependency_groups or ()}
    choice = dependency_groups.choose(path, existing, lock.default_groups or (), groups)
    if not choice.project:
        raise MonotrailError(
            f"{path}: --only-group is not possible with a PEP 751 lock, which does not say "
            "which packages the project itself needs (use --no-default-groups --group NAME)"
        )
    tags = [tag for text in interpreter.tags for tag in parse_tag(text)]
    try:
        selected = list(
            lock.select(
                environment=interpreter.markers,  # type: ignore[arg-type]
                tags=tags,
                extras=extras,
                dependency_groups=sorted(choice.groups),
            )
        )
    except PylockSelectError as err:
        raise MonotrailError(f"{path}: {err} (for {interpreter.executable})") from None
    return [_locked(path, package, source) for package, source in selected]


def _locked(path: Path, package: Any, source: Any) -> LockedPackage:
    from packaging.pylock import PackageArchive, PackageDirectory, PackageVcs

    name = canonical_name(str(package.name))
    indexes = [package.index.rstrip("/") + "/"] if package.index else []
    if isinstance(source, PackageArchive) and source.subdirectory:
        raise MonotrailError(f"{path}: {name}: an archive's subdirectory is not supported yet")
    location = getattr(source, "url", None) or _file_url(path, getattr(source, "path", None))
    if isinstance(source, (PackageDirectory, PackageVcs)):
        if package.version is None:
            raise MonotrailError(f"{path}: {name} (built from its source) has no version")
        version = str(package.version)
        if isinstance(source, PackageVcs):
            if source.type != "git" or location is None:
                raise MonotrailError(f"{path}: {name} comes from {source.type}; only git is read")
            git = GitSource(location, source.commit_id, source.subdirectory)
            return LockedPackage(name, version, [], indexes, git=git)
        local = (path.parent / source.path / (source.subdirectory or "")).resolve()
        return LockedPackage(name, version, [], indexes, source_dir=str(local))
    if isinstance(source, PackageArchive):
        filename = unquote(urlsplit(location or "").path.rsplit("/", 1)[-1])
    else:
        filename = source.filename
    version = str(package.version) if package.version is not None else _version_of(filename)
    return LockedPackage(
        name, version, [Artifact(filename, location, dict(source.hashes))], indexes
    )


def _file_url(lock_path: Path, relative: str | None) -> str | None:
    return (lock_path.parent / relative).resolve().as_uri() if relative else None


def _version_of(filename: str) -> str:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    if filename.endswith(".whl"):
        return str(parse_wheel_filename(filename)[1])
    return str(parse_sdist_filename(filename)[1])


def environment_marker(interpreter: Interpreter) -> str:
    """The environment a resolution for ``interpreter`` is valid in (a lock's ``environments``)."""
    keys = ("implementation_name", "python_version", "sys_platform", "platform_machine")
    return " and ".join(f'{key} == "{interpreter.markers[key]}"' for key in keys)


def from_pip_report(
    report: dict[str, Any], interpreter: Interpreter, lock_dir: Path
) -> dict[str, Any]:
    """A PEP 751 document of pip's resolution (``--report``) for one target interpreter."""
    from packaging.pylock import Pylock, PylockValidationError

    packages = []
    for item in report.get("install", []):
        metadata, info = item["metadata"], item["download_info"]
        name, url = canonical_name(metadata["name"]), str(info["url"])
        entry: dict[str, Any] = {"name": name, "version": metadata["version"]}
        if "vcs_info" in info:
            vcs = info["vcs_info"]
            entry["vcs"] = {"type": vcs["vcs"], "url": url, "commit-id": vcs["commit_id"]}
            if vcs.get("requested_revision"):
                entry["vcs"]["requested-revision"] = vcs["requested_revision"]
            if info.get("subdirectory"):
                entry["vcs"]["subdirectory"] = info["subdirectory"]
        elif "dir_info" in info:
            local = unquote(urlsplit(url).path)
            directory: dict[str, Any] = {"path": os.path.relpath(local, lock_dir)}
            if info["dir_info"].get("editable"):
                directory["editable"] = True
            entry["directory"] = directory
        else:
            filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
            hashes = _hashes(info, url, name)
            if item.get("is_direct"):
                entry["archive"] = {"url": url, "hashes": hashes}
            elif filename.endswith(".whl"):
                entry["wheels"] = [{"name": filename, "url": url, "hashes": hashes}]
            else:
                entry["sdist"] = {"name": filename, "url": url, "hashes": hashes}
        packages.append(entry)
    document: dict[str, Any] = {
        "lock-version": "1.0",
        "environments": [environment_marker(interpreter)],
        "created-by": "pip-monotrail",
        "packages": packages,
    }
    try:
        Pylock.from_dict(document)
    except PylockValidationError as err:  # a bug here, but say which package
        raise MonotrailError(f"cannot write a valid pylock file: {err}") from None
    return document


def _hashes(info: dict[str, Any], url: str, name: str) -> dict[str, str]:
    archive_info = info.get("archive_info", {})
    hashes = dict(archive_info.get("hashes", {}))
    legacy = archive_info.get("hash")
    if legacy and "=" in legacy:
        algorithm, value = legacy.split("=", 1)
        hashes.setdefault(algorithm, value)
    if not hashes and url.startswith("file:"):
        content = Path(unquote(urlsplit(url).path)).read_bytes()
        hashes["sha256"] = hashlib.sha256(content).hexdigest()
    if not hashes:
        raise MonotrailError(f"{name}: the index gave no hash for {url}; a pylock file needs one")
    return hashes


def check_name(path: Path) -> None:
    from packaging.pylock import is_valid_pylock_path

    if not is_valid_pylock_path(path):
        raise MonotrailError(
            f"{path}: a PEP 751 lock file must be named pylock.toml or pylock.NAME.toml"
        )


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the lock atomically; its name must be ``pylock.toml`` or ``pylock.NAME.toml``."""
    import tomlkit

    check_name(path)
    rendered = tomlkit.document()
    for key, value in document.items():
        if key != "packages":
            rendered[key] = value
    packages = tomlkit.aot()
    for package in document["packages"]:
        table = tomlkit.table()
        for key, value in package.items():
            table[key] = _inline(value)  # files as inline tables, as in PEP 751's example
        packages.append(table)
    rendered["packages"] = packages
    atomic_write(path, tomlkit.dumps(rendered))


def _inline(value: Any) -> Any:
    import tomlkit

    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update({k: _inline(v) for k, v in value.items()})
        return table
    if isinstance(value, list) and value and isinstance(value[0], dict):
        array = tomlkit.array()
        array.extend(_inline(v) for v in value)
        return array.multiline(True)
    return value
