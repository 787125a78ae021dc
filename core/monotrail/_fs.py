"""The two file-system idioms every room uses: publish a file whole, make a tree vanish whole.

- ``atomic_write``: the content goes to a temporary sibling (same folder, so the same file
  system), which is then renamed over the target (``atomic_publish`` when the sibling is a
  copy, a moved file or a symbolic link). Readers see the old file or the new one,
  never a part; a killed writer leaves at most a hidden ``.NAME.PID.tmp`` file, which gc clears.
- ``discard``: a folder or file is renamed into a fresh folder below the store's ``tmp/``
  (one atomic step: no reader sees it half-deleted), then deleted. What a killed process
  leaves there is collected by gc.

Standard library only: the fast path writes its small caches through here.
"""

from __future__ import annotations

import os
import shutil

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
