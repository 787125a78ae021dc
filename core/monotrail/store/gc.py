"""``monotrail store gc``: remove dead environments, then whatever no live environment uses.

The roots are the env records: each names its project (folder and dependency-file
hashes) or tool. An env record is dead when its project is gone or its lock changed (see
``inventory.dead_because``); a dead record whose environment a running program still uses (its
shared lock is held, see ``store/locks.py``) is kept. Then entries, artifacts, interpreters, git
checkouts, bootstrap folders and resolution-cache files that no remaining env record needs go. A
git checkout is needed when a remaining record names a path inside it (``from-git`` records name
it as their project); one made within ``TMP_MAX_AGE`` (its folder's mtime: the fetch's end) is
kept too, as its ``from-git`` run may not have written its record yet.

gc holds the store lock exclusively, so no install runs meanwhile; every removal is a rename
into ``tmp/`` first, so a gc killed at any moment leaves nothing half-deleted that a later run
could take for complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monotrail import __version__, paths
from monotrail._fs import discard
from monotrail.env import launch, record
from monotrail.fetch import source_build
from monotrail.log import logger
from monotrail.names import canonical_name, parse_wheel_name
from monotrail.store import locks
from monotrail.store.fill import entry_artifact
from monotrail.store.inventory import StoredEnv, iter_entries, iter_envs, tree_size

#: Temporary files younger than this may belong to a running command that holds no lock.
TMP_MAX_AGE = 3600.0


@dataclass
class Removal:
    kind: str  # "environment", "entry", "artifact", "interpreter", "other"
    what: str
    size: int


@dataclass
class GcReport:
    dry_run: bool
    removed: list[Removal] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)
    #: What this account may not remove (another account's files in a shared store).
    denied: list[str] = field(default_factory=list)
    live_envs: int = 0

    @property
    def freed(self) -> int:
        return sum(r.size for r in self.removed)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.removed if r.kind == kind)


class _Collector:
    def __init__(self, dry_run: bool) -> None:
        self.report = GcReport(dry_run)

    def remove(self, path: Path, kind: str, what: str) -> None:
        """Remove ``path`` (see _fs.discard), or only count it."""
        if not os.path.lexists(path):
            return
        size = tree_size(path)[0] if path.is_dir() else os.lstat(path).st_size
        if not self.report.dry_run:
            logger.debug("gc: removing %s %s", kind, path)
            try:
                discard(path)
            except PermissionError:
                self.report.denied.append(f"{kind} {what}")
                return
        self.report.removed.append(Removal(kind, what, size))


def collect(dry_run: bool = False, on_wait: Callable[[], None] | None = None) -> GcReport:
    """Run gc (or only say what it would remove, with ``dry_run``); returns the report."""
    collector = _Collector(dry_run)
    with locks.store_exclusive(on_wait):
        live = _environments(collector)
        collector.report.live_envs = len(live)
        kept_artifacts = _entries(collector, {entry for env in live for entry in env.entries})
        _artifacts(collector, kept_artifacts)
        _interpreters(collector, live)
        _git_checkouts(collector, live)
        _leftovers(collector, live)
    return collector.report


def _environments(collector: _Collector) -> list[StoredEnv]:
    """Remove dead env records not in use; returns the ones that stay."""
    live = []
    for env in iter_envs():
        if env.dead_because is None:
            live.append(env)
            continue
        fd = locks.try_env_exclusive(env.key)
        if fd is None:
            collector.report.in_use.append(f"{env.owner} ({env.dead_because}, but in use)")
            live.append(env)
            continue
        try:
            what = f"{env.owner}: {env.dead_because}"
            collector.remove(env.path, "environment", what)  # first: the env is gone at once
            collector.remove(paths.envs_dir() / env.key, "other", f"scripts of {env.key}")
            if fd != locks.FREE and not os.path.lexists(env.path):  # kept when removal was denied
                with contextlib.suppress(OSError):  # another account's lock: it stays, harmless
                    os.unlink(locks.env_lock_path(env.key))
        finally:
            locks.release(fd)
    return live


def _entries(collector: _Collector, live_entries: set[str]) -> set[str]:
    """Remove entries no live environment references; returns the artifacts the rest need."""
    kept: set[str] = set()
    for entry in iter_entries(read_only=False):
        if str(entry.path) in live_entries:
            kept.add(f"wheel:{entry.name}|{entry.version}|{entry.tag}")
            artifact = entry_artifact(entry.path)
            if artifact:
                kept.add(artifact)
            continue
        collector.remove(entry.path, "entry", str(entry))
    # Lock files of removed (or never completed) entries, then empty folders.
    store_dir = paths.store_dir()
    for lock in store_dir.glob("*/*/.*.lock"):
        if not (lock.parent / lock.name[1 : -len(".lock")]).is_dir():
            collector.remove(lock, "other", "entry lock file")
    if not collector.report.dry_run:
        for folder in sorted(store_dir.glob("*/*"), reverse=True) + sorted(store_dir.glob("*")):
            try:
                folder.rmdir()
            except OSError:
                pass
    return kept


def _wheel_key(filename: str) -> str | None:
    parsed = parse_wheel_name(filename, strict=False)
    if parsed is None:
        return None
    return f"wheel:{canonical_name(parsed.name)}|{parsed.version}|{parsed.tag}"


def _artifacts(collector: _Collector, kept: set[str]) -> None:
    """Remove downloaded and built artifacts that no remaining entry was unpacked from."""
    root = paths.artifacts_dir()
    needed_sdists = {k.split("/")[1] for k in kept if k.startswith("built/")}

    def needed(folder: Path) -> bool:
        for wheel in folder.rglob("*"):
            relative = str(wheel.relative_to(root))
            if relative in kept or _wheel_key(wheel.name) in kept:
                return True
        return False

    for folder in sorted(root.glob("built/*")):
        if folder.is_dir() and not needed(folder):
            source = source_build.source_of(folder.name) or f"sdist {folder.name[:12]}"
            collector.remove(folder, "artifact", f"wheel built from {source}")
    for folder in sorted(root.glob("*")):
        if folder.name == "built" or not folder.is_dir():
            continue
        if folder.name in needed_sdists or needed(folder):
            continue
        names = ", ".join(sorted(p.name for p in folder.iterdir())) or folder.name
        collector.remove(folder, "artifact", names)


def _interpreters(collector: _Collector, live: list[StoredEnv]) -> None:
    """Remove provisioned interpreters no remaining environment runs, and stale facts."""
    from monotrail.python.managed import KEEP_MARK, managed_dir

    used = []
    for env in live:
        for exe in (
            (env.data.get("interpreter"), env.data.get("base_interpreter")) if env.data else ()
        ):
            if exe:
                used += [exe, os.path.realpath(exe)]
    for folder in sorted(managed_dir().glob("*")):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        if (folder / KEEP_MARK).exists():
            continue  # installed by name with `python install`: the user's to remove
        if not any(Path(exe).is_relative_to(folder) for exe in used):
            collector.remove(folder, "interpreter", folder.name)
    # The pyvenv.cfg folders interpreters are started through (made again when needed).
    for folder in sorted((paths.interpreters_dir() / "isolated").glob("*")):
        if not any(Path(exe).is_relative_to(folder) for exe in used):
            collector.remove(folder, "other", f"launch folder {folder.name}")
    for facts in sorted((paths.interpreters_dir() / "facts").glob("*.json")):
        try:
            exe = str(json.loads(facts.read_text()).get("executable", ""))
        except (OSError, ValueError, AttributeError):
            exe = ""
        if not exe or not os.path.exists(exe):
            collector.remove(facts, "other", "facts of a removed interpreter")


def _git_checkouts(collector: _Collector, live: list[StoredEnv]) -> None:
    """Remove checkouts (``git/<url hash>/<revision>``) no remaining environment names."""
    named = {text for env in live for text in _strings(env.data)}
    root = paths.home() / "git"
    for checkout in sorted(root.glob("*/*")):
        if checkout.name.startswith(".") or not checkout.is_dir():
            continue  # an entry lock file
        inside = os.path.join(str(checkout), "")
        if any(text == str(checkout) or text.startswith(inside) for text in named):
            continue
        if _age(checkout) <= TMP_MAX_AGE:
            continue
        collector.remove(checkout, "other", f"git checkout {checkout.relative_to(root)}")
        lock = checkout.parent / f".{checkout.name}.lock"
        collector.remove(lock, "other", "git checkout lock file")
    if not collector.report.dry_run:
        for folder in root.glob("*"):
            try:
                folder.rmdir()
            except OSError:
                pass


def _strings(value: object) -> list[str]:
    """Every string in an env record's values (paths of projects, sources, entries)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for key, item in value.items() for t in (*_strings(key), *_strings(item))]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _strings(item)]
    return []


def _leftovers(collector: _Collector, live: list[StoredEnv]) -> None:
    """Bootstrap folders, resolutions, lock files and temporary files nobody needs."""
    home = paths.home()
    boots = {env.data.get("boot") for env in live if env.data}
    current = f"{__version__}-{launch.boot_digest()}"
    for boot in sorted((home / "boot").glob("*")):
        if boot.name != current and str(boot) not in boots:
            collector.remove(boot, "other", f"bootstrap {boot.name}")
    # Saved resolutions, script folders and lock files of environments without a live record,
    # unless a running process holds the environment's lock (it may be writing the record).
    keys = {env.key for env in live}
    keys |= {key for env in live if env.data for key in env.data.get("resolutions", ())}
    orphans: dict[str, list[Path]] = {}
    for resolution in sorted(paths.resolutions_dir().glob("[!.]*")):  # .json, .poetry.lock
        orphans.setdefault(resolution.name.split(".")[0], []).append(resolution)
    envs = paths.envs_dir()
    for item in sorted(envs.glob("*")):
        if item.name.startswith("."):  # a record being written when a process was killed
            if _age(item) > 60:
                collector.remove(item, "other", "unfinished env record")
        elif not item.name.endswith(record.SUFFIX):
            # Scripts and lock files of a record that is gone, or a record of an older format.
            key = item.name.split(".")[0]
            if not (envs / (key + record.SUFFIX)).exists():
                orphans.setdefault(key, []).append(item)
    for key, items in orphans.items():
        fd = None if key in keys else locks.try_env_exclusive(key)
        if fd is None:
            continue
        try:
            for item in sorted(items, key=lambda p: p.suffix == ".lock"):  # the lock file last
                collector.remove(item, "other", f"leftover {item.name} of environment {key}")
        finally:
            locks.release(fd)
    for link in sorted((home / "by-content").glob("*")):
        if not link.exists():  # its env record is gone (env.derive)
            collector.remove(link, "other", f"content link {link.name}")
    for item in sorted((home / "tmp").glob("*")):
        mine = item.name.startswith("trash.")  # what a killed gc or repair was deleting
        if mine or _orphaned(item) or _age(item) > TMP_MAX_AGE:
            collector.remove(item, "other", f"temporary {item.name}")


def _orphaned(path: Path) -> bool:
    """Whether ``path`` is an entry being made by a process that no longer exists."""
    match = re.search(r"\.pid(\d+)\.", path.name)
    if not match:
        return False
    try:
        os.kill(int(match[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _age(path: Path) -> float:
    try:
        return time.time() - path.lstat().st_mtime
    except OSError:
        return 0.0
