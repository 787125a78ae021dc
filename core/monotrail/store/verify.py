"""``monotrail store verify [--repair]``: every file of every entry against its RECORD.

An entry is sound when every file its RECORD lists is there with the recorded hash and size, and
every other file is one monotrail adds itself (``entry.json``, bytecode of a recorded module whose
header matches its source, the compiled markers). A broken entry is replaced, never edited: it is
unpacked again from its wheel in the artifact cache, or else removed and the environments that
use it are prepared again (which downloads it again).
"""

from __future__ import annotations

import base64
import importlib.util
import marshal
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monotrail import paths
from monotrail._fs import discard, sha256_file
from monotrail.errors import MonotrailError
from monotrail.names import canonical_name, parse_wheel_name
from monotrail.store import layout, locks
from monotrail.store.dist_info import read_record
from monotrail.store.inventory import (
    StoredEntry,
    StoredEnv,
    iter_entries,
    iter_envs,
    users,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import EnvRecord

#: ``name.cpython-312.pyc`` or ``name.cpython-312.opt-1.pyc`` in ``__pycache__``.
_PYC = re.compile(r"^(?P<stem>[^.]+)\.[\w-]+(?:\.opt-\d+)?\.pyc$")
#: What ``py_compile`` leaves behind when killed between writing and renaming.
_PYC_LEFTOVER = re.compile(r"\.pyc\.\d+$")


@dataclass
class Broken:
    entry: StoredEntry
    problem: str


def _record_hash(value: str) -> str:
    """RECORD's ``sha256=<urlsafe b64>`` as hex."""
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


def _read_record(root: Path) -> dict[str, tuple[str, int | None]]:
    """Relative path -> (sha256 hex or "", size or None) from the entry's RECORD."""
    records = [d for d in os.listdir(root) if d.endswith(".dist-info")]
    if len(records) != 1 or not (root / records[0] / "RECORD").is_file():
        raise ValueError("no single .dist-info folder with a RECORD")
    text = (root / records[0] / "RECORD").read_text(encoding="utf-8")
    listed: dict[str, tuple[str, int | None]] = {}
    try:
        for row in read_record(text):
            value = row.sha256()
            normal = os.path.normpath(row.path)
            if os.path.isabs(normal) or normal.split(os.sep)[0] == "..":
                raise ValueError(f"RECORD names {row.path}, outside the entry")
            listed[normal] = (_record_hash(value) if value else "", row.size)
    except ValueError as err:
        raise ValueError(f"unreadable RECORD: {err}") from None
    return listed


def _bytecode_problem(pyc: str, source: str) -> str | None:
    """Why a ``.pyc`` cannot stand for its source (None when its header matches)."""
    with open(pyc, "rb") as handle:
        data = handle.read()
    if len(data) < 16:
        return "is truncated"
    flags = int.from_bytes(data[4:8], "little")
    if not flags & 1:  # timestamp-based: the header carries the source's size
        if int.from_bytes(data[12:16], "little") != os.stat(source).st_size & 0xFFFFFFFF:
            return "does not match its source"
    if data[:4] == importlib.util.MAGIC_NUMBER:  # ours: the code object must load
        try:
            marshal.loads(data[16:])
        except (ValueError, EOFError, TypeError):
            return "is corrupt"
    return None


def check_entry(root: Path) -> str | None:
    """The first problem of the entry at ``root``, None when it is sound."""
    data_dir = root / paths.ENTRY_DATA_DIR
    if not (data_dir / paths.ENTRY_INFO).is_file():
        return f"incomplete: no {paths.ENTRY_DATA_DIR}/{paths.ENTRY_INFO}"
    try:
        listed = _read_record(root)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return str(err)
    for relative, (digest, size) in sorted(listed.items()):
        path = root / relative
        if os.path.islink(path):
            return f"{relative} is a symbolic link"
        if not path.is_file():
            return f"{relative} is missing"
        if not digest:
            continue  # RECORD itself
        if size is not None and path.stat().st_size != size:
            return f"{relative} has {path.stat().st_size} bytes, its RECORD entry says {size}"
        if sha256_file(path) != digest:
            return f"{relative} does not match its hash in RECORD"
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                return f"{os.path.relpath(os.path.join(dirpath, name), root)} is a symbolic link"
        for name in filenames:
            full = os.path.join(dirpath, name)
            relative = os.path.relpath(full, root)
            if relative in listed:
                continue
            if os.path.dirname(relative) == paths.ENTRY_DATA_DIR and (
                name == paths.ENTRY_INFO or name.startswith("compiled-")
            ):
                continue
            match = _PYC.match(name)
            if os.path.basename(dirpath) == "__pycache__":
                if _PYC_LEFTOVER.search(name):
                    continue  # harmless: never imported; --repair removes it
                stem = match["stem"] if match else ""
                source = os.path.join(os.path.dirname(dirpath), f"{stem}.py")
                if match and os.path.relpath(source, root) in listed:
                    problem = _bytecode_problem(full, source)
                    if problem:
                        return f"{relative} {problem}"
                    continue
            return f"{relative} is not in RECORD"
    return None


def find_problems(
    progress: Callable[[StoredEntry], None] | None = None,
) -> tuple[int, list[Broken]]:
    """(number of entries checked, the broken ones), over every layer."""
    broken = []
    count = 0
    for entry in iter_entries():
        count += 1
        if progress:
            progress(entry)
        problem = check_entry(entry.path)
        if problem:
            broken.append(Broken(entry, problem))
    return count, broken


def _artifact_for(root: Path) -> Path | None:
    """The cached wheel the entry came from, if it is still there and intact."""
    from monotrail.store.fill import entry_artifact

    recorded = entry_artifact(root)
    candidates = [paths.artifacts_dir() / recorded] if recorded else []
    name, version, tag = root.parent.parent.name, root.parent.name, root.name
    for wheel in paths.artifacts_dir().glob("*/*.whl"):
        parsed = parse_wheel_name(wheel.name, strict=False)
        if parsed and (parsed.tag, parsed.version) == (tag, version):
            if canonical_name(parsed.name) == name:
                candidates.append(wheel)
    for wheel in candidates:
        if not wheel.is_file():
            continue
        expected = wheel.parent.name
        if re.fullmatch(r"[0-9a-f]{64}", expected) and sha256_file(wheel) != expected:
            continue  # the cached file rotted too
        return wheel
    return None


def repair(broken: Broken, envs: list[StoredEnv]) -> str:
    """Replace one broken entry; returns what was done, for the report."""
    from monotrail.python import interpreter
    from monotrail.store import bytecode, fill

    entry = broken.entry
    if not entry.writable:
        return f"cannot repair {entry}: it is in the read-only store {entry.path.parents[3]}"
    using = users(envs).get(str(entry.path), [])
    wheel = _artifact_for(entry.path)
    with locks.store_shared(), layout.write_errors():
        discard(entry.path)
        if wheel is not None:
            fill.unpack_into_store(wheel, entry.name, entry.version)
            tags = {}
            for env in using:
                if env.data and env.dead_because is None:
                    tags[env.data["cache_tag"]] = _base_interpreter(env.data)
            for exe in tags.values():
                try:
                    target = interpreter.query(exe)
                except MonotrailError:
                    continue
                bytecode.compile_entries([entry.path], target)
            return f"repaired {entry}: unpacked again from {wheel.name}"
    live = [env for env in using if env.data and env.dead_because is None]
    if not live:
        return f"removed {entry}: no cached wheel and no live environment uses it"
    for env in live:
        _prepare_again(env)
    return f"repaired {entry}: reinstalled for {', '.join(sorted({e.owner for e in live}))}"


def _base_interpreter(data: EnvRecord) -> str:
    """The real interpreter of an env record (``interpreter`` is its launch link)."""
    return data.get("base_interpreter") or data["interpreter"]


def _prepare_again(env: StoredEnv) -> None:
    """Prepare the environment of a project again, as its next run would."""
    from monotrail.env.prepare import prepare
    from monotrail.python import interpreter
    from monotrail.targets import project, project_env

    assert env.data is not None
    root = env.data.get("project")
    if not root:
        raise MonotrailError(
            f"{env.owner}: its environment lost an entry; run the tool again to reinstall it"
        )
    found = project.discover(explicit=Path(root))
    target = interpreter.query(_base_interpreter(env.data))
    extras, groups = env.data.get("extras", []), env.data.get("groups", [])
    prepare(project_env.target(found, target, extras, groups), target)


def remove_leftovers() -> int:
    """Delete what killed bytecode compilations left in the writable store; how many."""
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(paths.store_dir()):
        if os.path.basename(dirpath) != "__pycache__":
            continue
        for name in filenames:
            if _PYC_LEFTOVER.search(name):
                os.unlink(os.path.join(dirpath, name))
                removed += 1
    return removed


def run_repairs(broken: list[Broken]) -> list[str]:
    envs = iter_envs()
    return [repair(item, envs) for item in broken]
