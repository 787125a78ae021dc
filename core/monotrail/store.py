"""Store entries: one unpacked wheel per name, version and wheel tag, created atomically.

An entry is made in a temporary sibling and renamed into place, under a per-entry file lock, so
that it is visible only complete, a killed process leaves nothing a later run would use, and
concurrent processes unpack each entry once without failing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from monotrail import paths


def canonical_name(name: str) -> str:
    """PEP 503 normalization, stdlib-only (the fast path cannot import packaging)."""
    out = []
    previous_sep = False
    for char in name.lower():
        if char in "-_.":
            if not previous_sep:
                out.append("-")
            previous_sep = True
        else:
            out.append(char)
            previous_sep = False
    return "".join(out)


def entry_path(name: str, version: str, tag: str) -> Path:
    """Where the entry for one wheel lives (it may not exist yet)."""
    return paths.store_dir() / canonical_name(name) / version / tag


def create_entry(target: Path, fill: Callable[[Path], None]) -> bool:
    """Make ``target`` by calling ``fill(tmp_dir)`` and renaming; False if it already existed.

    ``fill`` writes into an empty temporary directory on the same file system; on any exception
    the temporary directory is removed and the exception propagates, leaving no entry.
    """
    if target.is_dir():
        return False
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if target.is_dir():
            return False
        tmp = Path(tempfile.mkdtemp(prefix=f"{target.name[:40]}.", dir=paths.tmp_dir()))
        try:
            fill(tmp)
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return True
