"""What the store holds: its entries (in every layer), env records and sizes.

The facts behind ``monotrail store list`` and ``store size``; ``gc`` and ``verify`` build on them.
An env record names the project (its folder and the hashes of its dependency files) or
the tool that made it: those are the roots that keep environments, and so entries, alive.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monotrail import fingerprint, paths
from monotrail._fs import sha256_file
from monotrail.env import record
from monotrail.names import canonical_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import EnvRecord


@dataclass(frozen=True)
class StoredEntry:
    """One store entry, found on disk."""

    name: str
    version: str
    tag: str
    path: Path
    #: False for entries of the read-only stores named by ``MONOTRAIL_STORES``.
    writable: bool

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.tag})"


@dataclass
class StoredEnv:
    """One env record file; ``data`` is None when the file cannot be read."""

    key: str
    path: Path
    data: EnvRecord | None
    dead_because: str | None = None
    entries: list[str] = field(default_factory=list)

    @property
    def owner(self) -> str:
        """Who made it: the project folder or the tool, for humans."""
        if self.data is None:
            return f"unreadable record {self.path.name}"
        if self.data.get("project"):
            return str(self.data["project"])
        if self.data.get("tool"):
            return f"tool {self.data['tool']}"
        return f"environment {self.key}"


def layers() -> list[tuple[Path, bool]]:
    """Every store home with whether it is the writable one, in search order."""
    return [*((home, False) for home in paths.read_only_homes()), (paths.home(), True)]


def _subdirs(path: Path) -> list[os.DirEntry[str]]:
    try:
        found = [e for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    return sorted((e for e in found if not e.name.startswith(".")), key=lambda e: e.name)


def iter_entries(read_only: bool = True) -> Iterator[StoredEntry]:
    """Every entry, read-only stores first; ``store/<name>/<version>/<tag>/``."""
    for home, writable in layers():
        if not writable and not read_only:
            continue
        for name in _subdirs(home / "store"):
            for version in _subdirs(Path(name.path)):
                for tag in _subdirs(Path(version.path)):
                    yield StoredEntry(name.name, version.name, tag.name, Path(tag.path), writable)


def _changed(files: object, digest_of: Callable[[str], str]) -> str | None:
    """Why a ``{path: digest}`` map no longer describes the files, None when it does.

    A source tree's stamp (``record.TREE_INPUT``) counts only when the tree is gone: after an
    edit, the next start makes the environment again under the same key.
    """
    if not isinstance(files, dict):
        return None
    for name, digest in files.items():
        if str(digest).startswith(record.TREE_INPUT):
            if not os.path.isdir(name):
                return f"{name} is gone"
            continue
        try:
            actual = digest_of(name)
        except OSError:
            actual = "missing"
        if actual == "missing":  # fingerprint.file_digest's word for it
            return f"{name} is gone"
        if digest and actual != digest:
            return f"{name} changed"
    return None


def dead_because(data: EnvRecord | None) -> str | None:
    """Why an environment is dead (never used again), None when it is alive.

    Dead: its project folder is gone, one of the files its lock came from changed or is gone
    (the next run makes a new environment), its interpreter is gone, or the record is unreadable
    or of an older format. A record without project (a tool's) lives while its inputs match.
    """
    if data is None:
        return "unreadable record"
    if data.get("format") != record.FORMAT:
        return "record of an older monotrail"
    project = data.get("project")
    if project and not os.path.isdir(str(project)):
        return f"project {project} is gone"
    reason = _changed(data.get("inputs"), sha256_file) or _changed(
        data.get("extra_inputs"), fingerprint.file_digest
    )
    if reason:
        return reason
    interpreter = str(data.get("base_interpreter") or data.get("interpreter") or "")
    if interpreter and not os.path.exists(interpreter):
        return f"interpreter {interpreter} is gone"
    return None


def iter_envs() -> list[StoredEnv]:
    """The env records of the writable store, each with its verdict."""
    found = []
    try:
        names = sorted(os.listdir(paths.envs_dir()))
    except OSError:
        return []
    for name in names:
        if name.startswith(".") or not name.endswith(record.SUFFIX):
            continue
        path = paths.envs_dir() / name
        data = record.read(str(path))
        entries = data.get("entries") if data else None
        found.append(
            StoredEnv(
                key=name[: -len(record.SUFFIX)],
                path=path,
                data=data,
                dead_because=dead_because(data),
                entries=[str(e) for e in entries] if isinstance(entries, list) else [],
            )
        )
    return found


def users(envs: list[StoredEnv]) -> dict[str, list[StoredEnv]]:
    """Entry path -> the environments that reference it."""
    used: dict[str, list[StoredEnv]] = {}
    for env in envs:
        for entry in env.entries:
            used.setdefault(entry, []).append(env)
    return used


def tree_size(path: Path, seen: set[tuple[int, int]] | None = None) -> tuple[int, int]:
    """(bytes, files) below ``path``, without following links, each inode counted once."""
    seen = set() if seen is None else seen
    total = files = 0
    stack = [str(path)]
    while stack:
        current = stack.pop()
        try:
            items = list(os.scandir(current))
        except NotADirectoryError:
            items = []
            try:
                st = os.lstat(current)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total, files = total + st.st_size, files + 1
        except OSError:
            continue
        for item in items:
            if item.is_dir(follow_symlinks=False):
                stack.append(item.path)
                continue
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total, files = total + st.st_size, files + 1
    return total, files


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover


def list_lines(name: str | None = None) -> list[str]:
    """``store list``: one line per entry with its size and the environments that use it."""
    wanted = canonical_name(name) if name else None
    used = users(iter_envs())
    lines = []
    total = count = 0
    for entry in iter_entries():
        if wanted and entry.name != wanted:
            continue
        size, _ = tree_size(entry.path)
        total += size
        count += 1
        envs = used.get(str(entry.path), [])
        if envs:
            owners = sorted({env.owner + (" (dead)" if env.dead_because else "") for env in envs})
            use = f"used by {len(envs)} env{'s' * (len(envs) != 1)}: {', '.join(owners)}"
        else:
            use = "unused"
        where = "" if entry.writable else f"  [read-only store {entry.path.parents[3]}]"
        lines.append(f"{entry}  {human_size(size)}  {use}{where}")
    what = f"entries of {wanted}" if wanted else "entries"
    lines.append(f"{count} {what}, {human_size(total)}")
    return lines


def size_lines() -> list[str]:
    """``store size``: bytes and files per part of the store, then the total."""
    home = paths.home()
    seen: set[tuple[int, int]] = set()
    rows = []
    grand = 0
    parts = [
        ("store entries", home / "store"),
        ("artifacts", home / "artifacts"),
        ("environments", home / "envs"),
        ("interpreters", home / "interpreters"),
        ("resolutions", home / "locks"),
        ("bootstrap", home / "boot"),
        ("temporary", home / "tmp"),
    ]
    for label, path in parts:
        size, files = tree_size(path, seen)
        grand += size
        rows.append(f"{label:<14} {human_size(size):>11}  {files} files")
    rows.append(f"{'total':<14} {human_size(grand):>11}  in {home}")
    for other in paths.read_only_homes():
        size, files = tree_size(other / "store")
        rows.append(f"{'read-only':<14} {human_size(size):>11}  {files} files in {other}")
    return rows
