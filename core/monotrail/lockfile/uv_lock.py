"""Reading ``uv.lock`` (version 1) and narrowing it to one target, as ``uv sync --frozen`` does.

uv writes one ``[[package]]`` per locked version, with the edges of the graph: each package's
``dependencies``, its ``optional-dependencies`` per extra and, for the project itself, its
``dev-dependencies`` per PEP 735 group (``include-group`` already expanded). So the selection is
a walk from the root package (source ``editable = "."`` or ``virtual = "."``) that evaluates each
edge's marker for the target; a name locked at several versions (a forked resolution) is told
apart by the edge's ``version`` or by the packages' ``resolution-markers``.

The root package also keeps what it was locked from (``[package.metadata]``): ``stale_reason``
compares that with pyproject.toml, the cheap check uv makes before it would re-lock. monotrail
never writes uv.lock; a stale one is used as it is.

A workspace has one uv.lock at its root; each member is a package whose source is its folder
(``editable = "libs/a"``, or ``virtual`` for a member that is not a package). The walk then starts
from the member the command runs in; at a root that is no package itself (a virtual workspace),
it starts from every member, as ``uv sync`` does there. Members and ``editable`` path sources
are editable packages (``env.editables``); virtual ones add only their dependencies.

Sources: ``registry``, ``url`` and ``path`` packages are installed from the files the lock
lists; a ``git`` one is built from its locked commit and a ``directory`` one from its folder
(fetch/source_build.py); ``editable`` and ``workspace`` ones are imported in place.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monotrail import toml
from monotrail.errors import MonotrailError
from monotrail.lockfile import dependency_groups
from monotrail.lockfile.model import Artifact, GitSource, LockedPackage
from monotrail.names import canonical_name
from monotrail.python.interpreter import Interpreter

FILENAME = "uv.lock"
#: The lock format this module reads; uv adds compatible changes as new ``revision`` numbers.
VERSION = 1
#: The source kinds uv writes for the project itself and for workspace members.
_ROOT_SOURCES = ("editable", "virtual")
#: The source kinds imported in place from a folder (``workspace``: a member, as some uv
#: versions write it).
_EDITABLE_SOURCES = ("editable", "workspace")
#: The source kinds whose packages are installed from the files the lock lists.
_FILE_SOURCES = ("registry", "url", "path")


@dataclass(frozen=True)
class Dependency:
    """An edge of the locked graph: a package, with extras, needed under a marker."""

    name: str
    #: Which locked version, when the lock has several of this name (else None).
    version: str | None
    extras: tuple[str, ...]
    #: PEP 508 marker text; None when always needed.
    marker: str | None


@dataclass(frozen=True)
class UvPackage:
    """One ``[[package]]`` of uv.lock."""

    name: str
    version: str
    #: The source kind (``registry``, ``git``, ``editable``, ...) and its value.
    source_kind: str
    source: str
    dependencies: tuple[Dependency, ...]
    #: Extra -> what it adds.
    optional: dict[str, tuple[Dependency, ...]]
    #: PEP 735 group -> what it adds (uv's ``dev-dependencies`` key; the root package only).
    groups: dict[str, tuple[Dependency, ...]]
    #: The forks of the resolution this version belongs to (empty: every fork).
    resolution_markers: tuple[str, ...]
    artifacts: tuple[Artifact, ...]
    #: ``[package.metadata]``: what the package was locked from (the root's is compared).
    metadata: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()

    def is_member(self, folder: str) -> bool:
        """Whether this is the workspace member (or the project) in ``folder`` (relative to the
        lock's folder, "/"-separated)."""
        return self.source_kind in (*_ROOT_SOURCES, "workspace") and _same_folder(
            self.source, folder
        )


def _same_folder(first: str, second: str) -> bool:
    return posixpath.normpath(first) == posixpath.normpath(second)


@dataclass(frozen=True)
class UvLock:
    """A parsed uv.lock."""

    path: Path
    revision: int
    #: The Pythons the lock was made for (a PEP 440 specifier; empty: any).
    requires_python: str
    packages: tuple[UvPackage, ...]
    #: ``[manifest]``: the workspace's members and a virtual root's dependency groups.
    manifest: dict[str, Any]

    def root(self, folder: str = ".") -> UvPackage:
        """The package of the project in ``folder`` (relative to the lock's folder): the walk
        starts there. A virtual workspace root stands for all its members."""
        for package in self.packages:
            if package.is_member(folder):
                return package
        members = self.manifest.get("members")
        if _same_folder(folder, ".") and isinstance(members, list) and members:
            return self._virtual_root([canonical_name(str(m)) for m in members])
        raise MonotrailError(
            f"{self.path}: no package for the project in {folder!r} (source `editable` or "
            f'`virtual` = "{folder}"); run `uv lock`'
        )

    def _virtual_root(self, members: list[str]) -> UvPackage:
        """A workspace root that is no package: it needs every member, and its groups
        (``[manifest.dependency-groups]``, requirements by name)."""
        declared = toml.table(
            self.manifest.get("dependency-groups"), "manifest.dependency-groups", self.path
        )
        groups = {}
        for group, items in declared.items():
            where = f"dependency-groups {group}"
            groups[canonical_name(str(group))] = tuple(
                _dependency(self.path, toml.table(item, where, self.path))
                for item in toml.array(items, where, self.path)
            )
        return UvPackage(
            name="",
            version="",
            source_kind="virtual",
            source=".",
            dependencies=tuple(Dependency(m, None, (), None) for m in members),
            optional={},
            groups=groups,
            resolution_markers=(),
            artifacts=(),
            metadata={},
        )


def read(path: Path) -> UvLock:
    """The lock at ``path``; one-line errors for another version or a damaged file."""
    data = toml.load(path)
    version = data.get("version")
    if version != VERSION:
        raise MonotrailError(
            f"{path}: uv.lock version {version!r} is not supported (monotrail reads version "
            f"{VERSION})"
        )
    revision = data.get("revision", 0)
    packages = toml.array(data.get("package"), "package", path)
    return UvLock(
        path,
        revision if isinstance(revision, int) else 0,
        str(data.get("requires-python") or ""),
        tuple(_package(path, toml.table(item, "package", path)) for item in packages),
        toml.table(data.get("manifest"), "manifest", path),
    )


def _text(table: dict[str, Any], key: str, path: Path, what: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise MonotrailError(f"{path}: {what} has no `{key}`")
    return value


def _package(path: Path, table: dict[str, Any]) -> UvPackage:
    name = canonical_name(_text(table, "name", path, "a package"))
    version = table.get("version")
    version = str(version) if version is not None else ""  # dynamic versions of the root
    source = toml.table(table.get("source"), f"source of {name}", path)
    if len(source) != 1:
        raise MonotrailError(f"{path}: the source of {name} must have one kind, not {source!r}")
    ((source_kind, source_value),) = source.items()

    def edges(value: Any, key: str) -> tuple[Dependency, ...]:
        items = toml.array(value, key, path)
        return tuple(_dependency(path, toml.table(d, key, path)) for d in items)

    def edge_tables(key: str) -> dict[str, tuple[Dependency, ...]]:
        by_name = toml.table(table.get(key), f"{key} of {name}", path)
        return {canonical_name(k): edges(v, f"{key} of {name}") for k, v in by_name.items()}

    artifacts = []
    files = source_kind in _FILE_SOURCES  # the others are built from their source
    sdist = table.get("sdist") if files else None
    if sdist is not None:
        artifacts.append(_artifact(path, toml.table(sdist, f"sdist of {name}", path), source))
    wheels = table.get("wheels") if files else None
    for wheel in toml.array(wheels, f"wheels of {name}", path):
        artifacts.append(_artifact(path, toml.table(wheel, f"wheels of {name}", path), source))
    markers = toml.array(table.get("resolution-markers"), f"resolution-markers of {name}", path)
    return UvPackage(
        name=name,
        version=version,
        source_kind=str(source_kind),
        source=str(source_value),
        dependencies=edges(table.get("dependencies"), f"dependencies of {name}"),
        optional=edge_tables("optional-dependencies"),
        groups=edge_tables("dev-dependencies"),
        resolution_markers=tuple(str(m) for m in markers),
        artifacts=tuple(artifacts),
        metadata=toml.table(table.get("metadata"), f"metadata of {name}", path),
    )


def _dependency(path: Path, table: dict[str, Any]) -> Dependency:
    name = canonical_name(_text(table, "name", path, "a dependency"))
    extras = toml.array(table.get("extra", table.get("extras")), f"extra of {name}", path)
    version, marker = table.get("version"), table.get("marker")
    return Dependency(
        name,
        str(version) if version is not None else None,
        tuple(canonical_name(str(e)) for e in extras),
        str(marker) if marker else None,
    )


def _artifact(path: Path, table: dict[str, Any], source: dict[str, Any]) -> Artifact:
    """A wheel or sdist: a URL, or a path relative to a local registry (a flat folder); of a
    ``url`` or ``path`` source, the file the source names when the table gives only a hash."""
    hash_text = table.get("hash")
    hashes = {}
    if isinstance(hash_text, str) and ":" in hash_text:
        algorithm, value = hash_text.split(":", 1)
        hashes[algorithm] = value
    url = table.get("url")
    if not url and "url" in source:
        url = source["url"]
    elif not url and "path" in source:
        url = (path.parent / str(source["path"])).resolve().as_uri()
    if isinstance(url, str) and url:
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        return Artifact(str(table.get("filename") or filename), url, hashes)
    local = table.get("path")
    if not isinstance(local, str) or not local:
        raise MonotrailError(f"{path}: a file of {source!r} has neither `url` nor `path`")
    base = path.parent / str(source.get("registry", "."))
    target = (base / local).resolve()
    return Artifact(target.name, target.as_uri(), hashes)


def select(
    project_dir: Path,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    workspace_dir: Path | None = None,
) -> list[LockedPackage]:
    """What ``uv sync --frozen`` installs for ``interpreter`` (the project itself aside).

    ``groups`` are the words of the group options, from uv's defaults
    (``lockfile/dependency_groups.py``). A stale lock is used as it is, with a one-line note on
    stderr. ``workspace_dir`` is the root of the workspace the project is a member of, which
    holds the lock (default: the project's own folder).
    """
    import os
    import sys

    lock_dir = workspace_dir or project_dir
    pyproject_path = project_dir / "pyproject.toml"
    lock_path = lock_dir / FILENAME
    lock = read(lock_path)
    root = lock.root(Path(os.path.relpath(project_dir, lock_dir)).as_posix())
    pyproject = toml.load(pyproject_path) if pyproject_path.is_file() else {}
    if stale_reason(lock, pyproject, root) is not None:
        print(
            f"{lock_path} is out of date with pyproject.toml; using it as it is "
            "(run `uv lock` to update it)",
            file=sys.stderr,
        )
    _check_python(lock, interpreter)
    wanted_extras = {canonical_name(e) for e in extras}
    known_extras = set(root.optional) | {
        canonical_name(str(e)) for e in root.metadata.get("provides-extras", ())
    }
    unknown = sorted(wanted_extras - known_extras)
    if unknown:
        known = ", ".join(sorted(known_extras)) or "none"
        raise MonotrailError(
            f"{pyproject_path}: unknown extra {', '.join(unknown)} (the project declares: {known})"
        )
    existing = _group_names(pyproject, root)
    defaults = dependency_groups.uv_defaults(pyproject_path, pyproject, existing)
    chosen = dependency_groups.choose(pyproject_path, existing, defaults, groups)
    environment = dict(interpreter.markers)
    return _walk(lock, root, wanted_extras, chosen, environment)


def _check_python(lock: UvLock, interpreter: Interpreter) -> None:
    """uv refuses to install a lock into a Python it was not made for: so does monotrail."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        allowed = SpecifierSet(lock.requires_python)
    except InvalidSpecifier:
        raise MonotrailError(
            f"{lock.path}: invalid requires-python {lock.requires_python!r}"
        ) from None
    version = interpreter.markers["python_full_version"]
    if not allowed.contains(version, prereleases=True):
        raise MonotrailError(
            f"{lock.path}: the lock is for Python {lock.requires_python}, not {version} "
            f"({interpreter.executable}); pick another with -p"
        )


def _group_names(pyproject: dict[str, Any], root: UvPackage) -> set[str]:
    names = {canonical_name(str(g)) for g in pyproject.get("dependency-groups") or ()}
    if dependency_groups.uv_table(pyproject).get("dev-dependencies"):
        names.add("dev")
    requires_dev = root.metadata.get("requires-dev")
    if isinstance(requires_dev, dict):
        names |= {canonical_name(str(g)) for g in requires_dev}
    return names | set(root.groups)


def _walk(
    lock: UvLock,
    root: UvPackage,
    extras: set[str],
    chosen: dependency_groups.Choice,
    environment: dict[str, str],
) -> list[LockedPackage]:
    from packaging.markers import InvalidMarker, Marker

    by_name: dict[str, list[UvPackage]] = {}
    for package in lock.packages:
        by_name.setdefault(package.name, []).append(package)
    evaluated: dict[str, bool] = {}
    # uv writes the chosen side of `[tool.uv] conflicts` into markers as `extra == 'ITEM'`.
    prefix = f"{len(root.name)}-{root.name}-"
    groups = chosen.groups
    active = {f"extra-{prefix}{e}" for e in extras} | {f"group-{prefix}{g}" for g in groups}

    def applies(marker: str | None) -> bool:
        if marker is None:
            return True
        if marker not in evaluated:
            try:
                plain = _without_conflict_items(marker, active)
                evaluated[marker] = Marker(plain).evaluate({**environment, "extra": ""})
            except InvalidMarker as err:
                reason = str(err).splitlines()[0]
                raise MonotrailError(f"{lock.path}: invalid marker {marker!r}: {reason}") from None
        return evaluated[marker]

    def resolve(edge: Dependency, parent: UvPackage) -> UvPackage:
        candidates = by_name.get(edge.name, [])
        if edge.version is not None:
            candidates = [p for p in candidates if p.version == edge.version]
        if len(candidates) > 1:  # a forked resolution: the fork the target is in
            candidates = [
                p
                for p in candidates
                if not p.resolution_markers or any(applies(m) for m in p.resolution_markers)
            ]
        if len(candidates) != 1:
            found = "no" if not candidates else "several"
            raise MonotrailError(
                f"{lock.path}: {parent.name} needs {edge.name}, and the lock has {found} "
                "matching package; run `uv lock`"
            )
        return candidates[0]

    selected: dict[tuple[str, str], UvPackage] = {}
    done: set[tuple[str, str, str]] = set()  # (name, version, extra or "")
    todo: list[tuple[UvPackage, Dependency]] = []

    def follow(package: UvPackage, edges: Iterable[Dependency]) -> None:
        todo.extend((package, edge) for edge in edges if applies(edge.marker))

    if chosen.project:  # not for --only-group
        follow(root, root.dependencies)
        for extra in sorted(extras):
            follow(root, root.optional.get(extra, ()))
    for group in sorted(groups):
        follow(root, root.groups.get(group, ()))
    while todo:
        parent, edge = todo.pop()
        package = resolve(edge, parent)
        for extra in ("", *edge.extras):
            if (package.name, package.version, extra) in done:
                continue
            done.add((package.name, package.version, extra))
            if not extra:
                if package is not root and package.source_kind != "virtual":
                    selected[package.name, package.version] = package
                follow(package, package.dependencies)
            else:
                follow(package, package.optional.get(extra, ()))
    return [_locked(lock.path, p) for p in selected.values()]


_CONFLICT_ITEM = re.compile(r"""extra\s*(==|!=)\s*(['"])((?:extra|group)-\d+-[^'"]*)\2""")


def _without_conflict_items(marker: str, active: set[str]) -> str:
    """``marker`` with uv's conflict items (``extra == 'extra-4-demo-cpu'``, ``group-...``)
    replaced by conditions that are always true or always false, as ``active`` says."""

    def constant(match: re.Match[str]) -> str:
        holds = (match.group(3) in active) == (match.group(1) == "==")
        return "python_full_version >= '0'" if holds else "python_full_version < '0'"

    return _CONFLICT_ITEM.sub(constant, marker)


def _locked(path: Path, package: UvPackage) -> LockedPackage:
    if package.source_kind in _EDITABLE_SOURCES:
        folder = (path.parent / package.source).resolve()
        if not folder.is_dir():
            raise MonotrailError(
                f"{path}: {package.name} is locked from the folder {package.source}, which is "
                "missing (restore it, or run `uv lock` if it left the workspace)"
            )
        return LockedPackage(package.name, package.version, [], [], str(folder), editable=True)
    if package.source_kind == "git":
        return LockedPackage(package.name, package.version, [], git=_git_source(path, package))
    if package.source_kind == "directory":
        local = str((path.parent / package.source).resolve())
        return LockedPackage(package.name, package.version, [], source_dir=local)
    if package.source_kind not in _FILE_SOURCES:
        raise MonotrailError(
            f"{path}: {package} is locked from "
            f'`{package.source_kind} = "{package.source}"`; source kinds other than registry '
            "are not supported yet"
        )
    if not package.artifacts:
        raise MonotrailError(f"{path}: {package.name} {package.version} lists no files")
    registry = package.source_kind == "registry" and "://" in package.source
    indexes = [package.source.rstrip("/") + "/"] if registry else []
    return LockedPackage(package.name, package.version, list(package.artifacts), indexes)


def _git_source(path: Path, package: UvPackage) -> GitSource:
    """``URL?subdirectory=..&rev=..#<commit>``: the repository, the locked commit, the folder."""
    from urllib.parse import parse_qs, urlunsplit

    parts = urlsplit(package.source)
    if not parts.fragment:
        raise MonotrailError(
            f'{path}: {package} is locked from `git = "{package.source}"` without a commit '
            "(#<commit>); run `uv lock`"
        )
    subdirectory = parse_qs(parts.query).get("subdirectory", [None])[0]
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return GitSource(url, parts.fragment, subdirectory)


# Staleness: the root's requirements as locked against pyproject.toml's, compared by meaning.

#: Environments a marker is evaluated in to compare it with another (uv rewrites markers:
#: ``python_version <= '3.10'`` is locked as ``python_full_version < '3.11'``).
_PLATFORMS = (
    ("linux", "Linux", "posix", "x86_64"),
    ("win32", "Windows", "nt", "AMD64"),
    ("darwin", "Darwin", "posix", "arm64"),
)
_IMPLEMENTATIONS = (("cpython", "CPython"), ("pypy", "PyPy"))


def _environments(extras: Iterable[str]) -> list[dict[str, str]]:
    found = []
    for minor in range(6, 17):
        for full in (f"3.{minor}.0", f"3.{minor}.9"):
            for sys_platform, system, os_name, machine in _PLATFORMS:
                for implementation, python_implementation in _IMPLEMENTATIONS:
                    for extra in ("", *extras):
                        found.append(
                            {
                                "python_version": f"3.{minor}",
                                "python_full_version": full,
                                "implementation_version": full,
                                "sys_platform": sys_platform,
                                "platform_system": system,
                                "os_name": os_name,
                                "platform_machine": machine,
                                "implementation_name": implementation,
                                "platform_python_implementation": python_implementation,
                                "platform_release": "",
                                "platform_version": "",
                                "extra": extra,
                            }
                        )
    return found


_NOT_INDEX = {"git", "path", "url", "workspace", "editable"}


class _Comparer:
    """Requirements as comparable keys: name, extras, specifier, and the marker's truth table.

    A name whose ``[tool.uv.sources]`` entry is not an index (git, path, URL, workspace) is
    locked without its specifier: the source decides the version.
    """

    def __init__(self, extras: Iterable[str], unpinned: set[str]) -> None:
        self.environments = _environments(sorted(extras))
        self.unpinned = unpinned
        self.tables: dict[str | None, str] = {}

    def truth(self, marker: str | None) -> str:
        from packaging.markers import Marker

        if marker not in self.tables:
            if marker is None:
                self.tables[marker] = "1" * len(self.environments)
            else:
                parsed = Marker(marker)
                self.tables[marker] = "".join(
                    "1" if parsed.evaluate(e) else "0" for e in self.environments
                )
        return self.tables[marker]

    def key(
        self, name: str, extras: Iterable[str], specifier: str, marker: str | None
    ) -> tuple[object, ...]:
        from packaging.specifiers import SpecifierSet
        from packaging.utils import canonicalize_version

        name = canonical_name(name)
        specifiers = sorted(
            (s.operator, canonicalize_version(s.version, strip_trailing_zero=s.operator != "~="))
            for s in SpecifierSet(specifier if name not in self.unpinned else "")
        )
        return (
            name,
            tuple(sorted({canonical_name(e) for e in extras})),
            tuple(specifiers),
            self.truth(marker),
        )

    def from_text(self, text: str, extra: str | None = None) -> tuple[object, ...]:
        from packaging.requirements import Requirement

        requirement = Requirement(text)
        marker = str(requirement.marker) if requirement.marker else None
        if extra is not None:
            condition = f'extra == "{extra}"'
            marker = f"({marker}) and {condition}" if marker else condition
        return self.key(requirement.name, requirement.extras, str(requirement.specifier), marker)

    def from_lock(self, table: Any) -> tuple[object, ...]:
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            raise ValueError(table)
        marker = table.get("marker")
        return self.key(
            table["name"],
            [str(e) for e in table.get("extras", ())],
            str(table.get("specifier", "")),
            str(marker) if marker else None,
        )


def _sorted_keys(keys: Iterable[tuple[object, ...]]) -> list[str]:
    """The distinct keys, in order (uv drops a requirement written twice)."""
    return sorted({repr(k) for k in keys})


def _unpinned(pyproject: dict[str, Any]) -> set[str]:
    """Names that ``[tool.uv.sources]`` takes from somewhere other than an index."""
    sources = dependency_groups.uv_table(pyproject).get("sources")
    found = set()
    for name, value in (sources if isinstance(sources, dict) else {}).items():
        for source in value if isinstance(value, list) else [value]:
            if isinstance(source, dict) and set(source) & _NOT_INDEX:
                found.add(canonical_name(str(name)))
    return found


def stale_reason(
    lock: UvLock, pyproject: dict[str, Any], root: UvPackage | None = None
) -> str | None:
    """Why the lock's ``root`` (default: the package in the lock's folder) no longer matches
    pyproject.toml, or None when it does (or when pyproject.toml's requirements are dynamic,
    which only a build would tell)."""
    from packaging.requirements import InvalidRequirement

    project = pyproject.get("project")
    if not isinstance(project, dict) or "dependencies" in (project.get("dynamic") or ()):
        return None
    root = root or lock.root()
    metadata = root.metadata
    optional = project.get("optional-dependencies") or {}
    declared_groups = pyproject.get("dependency-groups") or {}
    if not isinstance(optional, dict) or not isinstance(declared_groups, dict):
        return None  # malformed: uv would not lock it either; the walk reports what it can
    extras = {canonical_name(str(e)) for e in optional}
    locked_extras = {canonical_name(str(e)) for e in metadata.get("provides-extras", ())}
    if extras != locked_extras:
        return "extras differ"
    compare = _Comparer(extras, _unpinned(pyproject))
    try:
        wanted = [compare.from_text(str(r)) for r in project.get("dependencies") or ()]
        for extra, requirements in optional.items():
            name = canonical_name(str(extra))
            wanted.extend(compare.from_text(str(r), name) for r in requirements or ())
        locked = [compare.from_lock(t) for t in metadata.get("requires-dist") or ()]
        if _sorted_keys(wanted) != _sorted_keys(locked):
            return "dependencies differ"
        groups = dependency_groups.expand(lock.path.parent / "pyproject.toml", pyproject)
        legacy = dependency_groups.uv_table(pyproject).get("dev-dependencies")
        if isinstance(legacy, list) and legacy:
            groups["dev"] = [*groups.get("dev", []), *(str(r) for r in legacy)]
        wanted_groups = {
            g: _sorted_keys(compare.from_text(r) for r in rs) for g, rs in groups.items() if rs
        }
        requires_dev = metadata.get("requires-dev") or {}
        locked_groups = {
            canonical_name(str(g)): _sorted_keys(compare.from_lock(t) for t in ts)
            for g, ts in requires_dev.items()
            if ts
        }
    except (InvalidRequirement, ValueError, TypeError, AttributeError):
        return "requirements cannot be compared"
    if wanted_groups != locked_groups:
        return "dependency groups differ"
    return None
