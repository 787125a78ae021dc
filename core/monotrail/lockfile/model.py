"""The resolved set of packages for one target, as every lock reader produces it."""

from __future__ import annotations

from dataclasses import dataclass, field


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

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
