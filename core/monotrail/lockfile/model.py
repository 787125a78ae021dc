"""The resolved set of packages for one target, as every lock reader produces it.

``to_json`` / ``from_json`` are the one plain-data form of a package list, kept in the
resolution cache and in the lock a notebook saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Artifact:
    """One downloadable file of a package version."""

    filename: str
    #: Where to get it; None when only the index knows (poetry.lock lists names and hashes).
    url: str | None
    #: Algorithm -> hex digest, as the lock or index gives them.
    hashes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class GitSource:
    """A package built from a git repository at one locked commit."""

    #: The repository, as the lock gives it, without ``git+`` and without credentials.
    url: str
    #: The full commit id the lock pinned (pip's ``vcs_info``, poetry.lock's
    #: ``resolved_reference``, uv.lock's ``#<commit>``).
    commit: str
    #: The folder inside the repository that holds the package, if not its root.
    subdirectory: str | None = None


@dataclass
class LockedPackage:
    """One pinned distribution the target needs, with the files it may be installed from."""

    name: str
    version: str
    artifacts: list[Artifact]
    #: Simple-index URLs to ask for artifact URLs the lock does not carry, in order.
    indexes: list[str] = field(default_factory=list)
    #: A local source tree (pip's ``dir_info``) to build instead of downloading.
    source_dir: str | None = None
    #: True when ``source_dir`` is imported in place (an editable install), not built.
    editable: bool = False
    #: The git commit to build instead of downloading.
    git: GitSource | None = None

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


def to_json(packages: list[LockedPackage]) -> list[dict[str, Any]]:
    """``packages`` as JSON-ready data (``from_json`` reads it back)."""
    return [
        {
            "name": p.name,
            "version": p.version,
            "artifacts": [[a.filename, a.url, a.hashes] for a in p.artifacts],
            "indexes": p.indexes,
            "source_dir": p.source_dir,
            "editable": p.editable,
            "git": None if p.git is None else [p.git.url, p.git.commit, p.git.subdirectory],
        }
        for p in packages
    ]


def from_json(data: list[dict[str, Any]]) -> list[LockedPackage]:
    """The packages ``to_json`` wrote; KeyError, TypeError or ValueError when damaged."""
    return [
        LockedPackage(
            str(p["name"]),
            str(p["version"]),
            [Artifact(str(a[0]), a[1], dict(a[2])) for a in p["artifacts"]],
            [str(i) for i in p["indexes"]],
            p["source_dir"],
            bool(p.get("editable", False)),
            None if p.get("git") is None else GitSource(*p["git"]),
        )
        for p in data
    ]
