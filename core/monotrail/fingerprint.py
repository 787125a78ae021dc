"""Short digests that name cached decisions (environment keys, interpreter choices, builds).

They are computed on every ``run``, so they use BLAKE2b from the interpreter's built-in
``_blake2`` module: ``hashlib`` loads OpenSSL first, which on a slow machine costs more than the
rest of the fast path. Integrity checks (artifacts, RECORD files) keep using sha256 via hashlib.

A source tree (a non-editable path dependency) has two digests over the same files
(``tree_files``: everything but version-control folders, bytecode, tool caches, and the build
output a backend writes into the tree): ``tree_digest`` of their content names its built wheel;
``tree_stamp`` of their sizes and mtimes, which reads no file, tells on every start whether the
tree may have changed since.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

try:
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it: hashlib has a fallback of its own
    from hashlib import blake2b


def file_digest(path: str) -> str:
    """A digest of a file's content ("missing" when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return "missing"


def digest(*parts: bytes, size: int = 16) -> str:
    """The hex digest (``2 * size`` characters) of ``parts``, each length-prefixed so that
    ``("ab", "c")`` and ``("a", "bc")`` differ."""
    hasher = blake2b(digest_size=size)
    for part in parts:
        _feed(hasher, part)
    return hasher.hexdigest()


def _feed(hasher: blake2b, part: bytes) -> None:
    hasher.update(len(part).to_bytes(8, "little"))
    hasher.update(part)


#: Folders of a source tree that are not its source, at any depth.
_SKIPPED = {".git", ".hg", ".svn", "__pycache__", ".venv", ".tox", ".nox", ".mypy_cache",
            ".pytest_cache", ".ruff_cache", "node_modules"}  # fmt: skip
#: Folders at the top of a source tree where backends write their build output.
_SKIPPED_AT_TOP = {"build", "dist"}


def tree_files(root: str) -> Iterator[tuple[str, os.stat_result]]:
    """The source files below ``root``: (path relative to it, with ``/``; stat), in a stable
    order. A link to a file counts as the file; a link to a folder is not followed (no loops):
    its stat is the link's own."""
    stack = [""]
    while stack:
        relative = stack.pop()
        try:
            children = sorted(os.scandir(os.path.join(root, relative)), key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for child in children:
            path = f"{relative}/{child.name}" if relative else child.name
            try:
                if child.is_dir(follow_symlinks=False):
                    skipped = child.name in _SKIPPED or child.name.endswith(".egg-info")
                    if not skipped and (relative or child.name not in _SKIPPED_AT_TOP):
                        subfolders.append(path)
                    continue
                info = child.stat(follow_symlinks=not child.is_dir())
            except OSError:
                continue  # a dangling link, or gone meanwhile
            if not child.name.endswith((".pyc", ".pyo")):
                yield path, info
        stack.extend(reversed(subfolders))


def tree_digest(root: str) -> str:
    """A digest of the source files' paths, executable bits and content (a link to a folder:
    its target) below ``root``."""
    hasher = blake2b(digest_size=16)
    for path, info in tree_files(root):
        full = os.path.join(root, path)
        if stat.S_ISLNK(info.st_mode):
            content = os.readlink(full).encode()
        else:
            with open(full, "rb") as handle:
                content = handle.read()
        for part in (path.encode(), b"x" if info.st_mode & 0o111 else b"-", content):
            _feed(hasher, part)
    return hasher.hexdigest()


def tree_stamp(root: str) -> str:
    """A digest of the source files' paths, sizes, modes and mtimes below ``root`` (no file is
    read)."""
    return digest(
        *(f"{p}|{i.st_size}|{i.st_mode}|{i.st_mtime_ns}".encode() for p, i in tree_files(root))
    )
