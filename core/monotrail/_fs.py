"""The file-system idioms every room uses: publish a file or folder whole, make a tree vanish whole.

- ``atomic_write``: the content goes to a temporary sibling (same folder, so the same file
  system), which is then renamed over the target (``atomic_publish`` when the sibling is a
  copy, a moved file or a symbolic link). Readers see the old file or the new one,
  never a part; a killed writer leaves at most a hidden ``.NAME.PID.tmp`` file, which gc clears.
- ``discard``: a folder or file is renamed into a fresh folder below the store's ``tmp/``
  (one atomic step: no reader sees it half-deleted), then deleted. What a killed process
  leaves there is collected by gc.
- ``replace_folder``: a folder made aside is renamed over another, whose old copy is discarded.
- ``as_created``: ``tempfile`` makes its folders and files private (0700, 0600) whatever the
  umask; what the store publishes from them gets the mode a plain ``mkdir``/``open`` would have
  given, so a store shared by a group (umask 002, setgid folders) stays readable and writable
  for the whole group.
- ``sha256_file``: a file's sha256 (hex), read in chunks: the integrity hash of artifacts and
  entry files (``hashlib`` is imported there only: it loads OpenSSL, see ``fingerprint``).

Standard library only: the fast path writes its small caches through here.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat

from monotrail import paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def atomic_write(path: str | os.PathLike[str], data: bytes | str, mkdir: bool = False) -> None:
    """Replace ``path`` by ``data`` (text is written as UTF-8) in one rename.

    ``mkdir`` creates the parent folders first.
    """
    content = data.encode() if isinstance(data, str) else data

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(content)

    atomic_publish(path, write, mkdir)


def atomic_publish(
    path: str | os.PathLike[str], make: Callable[[str], object], mkdir: bool = False
) -> None:
    """:func:`atomic_write` for content made otherwise: ``make(tmp)`` creates the file or the
    symbolic link ``tmp`` (copies, moves, links), which then replaces ``path``."""
    folder, name = os.path.split(os.fspath(path))
    if mkdir and folder:
        os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        make(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def umask() -> int:
    """This process's umask, read without changing it (``os.umask`` would race with threads)."""
    global _umask
    if _umask is None:
        try:
            with open("/proc/self/status") as status:
                line = next(x for x in status if x.startswith("Umask:"))
            _umask = int(line.split()[1], 8)
        except (OSError, StopIteration, ValueError):
            _umask = os.umask(0o022)
            os.umask(_umask)
    return _umask


_umask: int | None = None


def as_created(path: str | os.PathLike[str]) -> None:
    """Give ``path`` (made by ``tempfile``) the mode ``mkdir`` or ``open`` would have given it."""
    mode = os.stat(path).st_mode
    full = 0o777 if stat.S_ISDIR(mode) else 0o666 | (mode & 0o111)
    os.chmod(path, full & ~umask())


def replace_folder(new: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Put the folder ``new`` at ``target``, replacing what is there, also when other processes
    write the same folder at the same time (the rename fails while ``target`` exists)."""
    while True:
        try:
            os.replace(new, target)
            return
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        try:
            discard(target)
        except FileNotFoundError:
            pass  # another writer moved it first


def discard(path: str | os.PathLike[str]) -> None:
    """Remove the file or folder ``path`` (gone at once for readers; deleted after)."""
    import tempfile

    if not os.path.isdir(path) or os.path.islink(path):
        os.unlink(path)
        return
    trash = tempfile.mkdtemp(prefix="trash.", dir=paths.tmp_dir())
    try:
        os.rename(path, os.path.join(trash, "x"))
    finally:  # also when another process moved ``path`` first
        shutil.rmtree(trash, ignore_errors=True)


def sha256_file(path: str | os.PathLike[str]) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
