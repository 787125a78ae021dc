"""Store entries: one unpacked wheel per name, version and wheel tag, created atomically.

An entry is made in a temporary sibling and renamed into place, under a per-entry file lock, so
that it is visible only complete, a killed process leaves nothing a later run would use, and
concurrent processes unpack each entry once without failing. A full disk or a read-only file
system ends the install with one clear line and no partial entry.

Complete means with its bytecode: the installing interpreter's ``.pyc`` files are compiled in the
temporary folder, before the rename; another interpreter's are added later with atomic per-file
writes that never change an existing file (``bytecode``). Entry files are read-only from the
moment they are created, as in the Nix store (``entry_files``: the write bits are left out, the
umask decides the rest), so an edit through a venv file hard-linked to an entry, or any stray
write, fails instead of changing every environment that uses the entry. Folders keep their
write bits: that is what lets later bytecode in, and lets gc, ``verify --repair`` and healing
move an entry into ``tmp/`` and delete it (``_fs.discard``) without changing a mode first.

Read-only stores (``MONOTRAIL_STORES``) are searched before the writable one; their entries are
used in place and never changed.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from monotrail import _fs, paths
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.names import canonical_name


def entry_path(name: str, version: str, tag: str) -> Path:
    """Where the entry for one wheel lives in the writable store (it may not exist yet)."""
    return paths.store_dir() / canonical_name(name) / version / tag


def find_entry(name: str, version: str, tag: str) -> Path | None:
    """The existing entry for one wheel: the read-only stores first, then the writable one."""
    relative = Path(canonical_name(name), version, tag)
    for root in paths.read_only_homes():
        candidate = root / "store" / relative
        if candidate.is_dir():
            return candidate
    candidate = paths.store_dir() / relative
    return candidate if candidate.is_dir() else None


def is_writable_entry(path: Path) -> bool:
    """Whether ``path`` belongs to the writable store (entries elsewhere are used as they are)."""
    return path.is_relative_to(paths.store_dir())


#: Errors that mean "this folder cannot be written", not "this input is broken".
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def check_writable() -> None:
    """Refuse early, with one clear line, when the writable store cannot take new files."""
    home = paths.home()
    existing = home
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if os.access(existing, os.W_OK):
        return
    layers = ", ".join(map(str, paths.read_only_homes()))
    searched = f" (read-only stores searched first: {layers})" if layers else ""
    raise MonotrailError(
        f"{home} is not writable: new store entries would go to {home / 'store'} and "
        f"environments to {home / 'envs'}{searched}; set MONOTRAIL_HOME to a writable folder "
        "and name read-only stores in MONOTRAIL_STORES"
    )


@contextmanager
def write_errors() -> Iterator[None]:
    """Turn a full disk, a quota or a read-only file system into one clear error line."""
    try:
        yield
    except OSError as err:
        if err.errno in WRITE_ERRNOS:
            raise write_error(err) from None
        raise


def write_error(err: OSError) -> MonotrailError:
    """A full disk, a quota or a read-only file system met while writing the store, as one line."""
    where = err.filename or paths.home()
    return MonotrailError(
        f"cannot write {where}: {err.strerror or err} (the store at {paths.home()} was left "
        "without partial entries; free space or set MONOTRAIL_HOME, then run again)"
    )


def info_file(entry: Path) -> Path:
    """The entry's ``entry.json``: what it holds beyond its files."""
    return entry / paths.ENTRY_DATA_DIR / paths.ENTRY_INFO


@contextmanager
def entry_lock(target: Path) -> Iterator[None]:
    """The file lock of the entry at ``target``: held to make it, and to move it aside."""
    from filelock import FileLock

    with FileLock(str(target.parent / f".{target.name}.lock")):
        yield


def create_entry(target: Path, fill: Callable[[Path], None]) -> bool:
    """Make ``target`` by calling ``fill(tmp_dir)`` and renaming; False if it already existed.

    ``fill`` writes into an empty temporary directory on the same file system; on any exception
    the temporary directory is removed and the exception propagates, leaving no entry.
    """
    if target.is_dir():
        return False
    with write_errors():
        target.parent.mkdir(parents=True, exist_ok=True)
        with entry_lock(target):
            if target.is_dir():
                return False
            # The pid in the name lets gc tell a killed process's leftovers from work in progress.
            prefix = f"{target.name[:40]}.pid{os.getpid()}."
            tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=paths.tmp_dir()))
            try:
                _fs.as_created(tmp)
                fill(tmp)
                os.rename(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    logger.debug("unpacked a new store entry %s", target)
    return True
