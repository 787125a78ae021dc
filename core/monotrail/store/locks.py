"""The locks that keep ``gc`` away from what is in use: stdlib only (``run``'s fast path uses them,
and so does the finder in every target interpreter, Python 3.9 and later).

Two kinds, both ``flock`` locks, so the kernel drops them when a process dies (a killed process
never leaves a lock behind):

- **environment locks** ``envs/<key>.lock``: the launcher holds a shared lock on its environment's
  lock file and leaves the descriptor open and inheritable, so the interpreter it ``exec``\\ s (also
  through ``run command``) keeps holding it until it exits; ``MONOTRAIL_LOCK_FD`` names that
  descriptor, so the finder there need not lock again (nor import this file). A program started
  without the launcher (a console script run directly from ``envs/<key>/bin``, a child process
  that inherits ``MONOTRAIL_ENV``) takes the same lock as its finder starts: the bootstrap
  folder holds a copy of this file, which the finder imports (see ``env.finder.bootstrap``).
  ``gc`` removes an environment only when its non-blocking exclusive attempt succeeds, i.e. no
  running program uses it.
- **the store lock** ``store.lock``: installs hold it shared from the first entry they create to
  the moment their env record is written (until then nothing references their entries);
  ``gc`` holds it exclusively, so it never sees a half-made environment.

A lock file is opened, locked, then checked to still be the file at its path: ``gc`` unlinks the
lock file of an environment it removed, and a process that was waiting on the old file must not
believe it holds the lock of the new one.
"""

from __future__ import annotations

import errno
import fcntl
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from collections.abc import Callable

#: Descriptors of the environment locks this process holds, by lock file; open until it exits.
_held: dict[str, int] = {}


# monotrail.paths is imported where used: the finder's copy of this file runs without monotrail.
def env_lock_path(key: str) -> str:
    from monotrail import paths

    return os.path.join(paths.envs_str(), f"{key}.lock")


def store_lock_path() -> str:
    from monotrail import paths

    return os.path.join(paths.home_str(), "store.lock")


def _open(path: str, create: bool) -> int | None:
    """A descriptor of ``path`` (created when allowed); None when it cannot be opened."""
    try:
        if create:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return None
    except OSError:
        # A read-only store (a container image, a network share) cannot be collected, so
        # an existing lock file is used when there is one and no lock is needed otherwise.
        return _open(path, create=False) if create else None


def _lock(path: str, operation: int, create: bool = True) -> int | None:
    """Open and lock ``path``, retrying when the file was replaced meanwhile."""
    while True:
        fd = _open(path, create=create)
        if fd is None:
            return None
        try:
            fcntl.flock(fd, operation)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise BlockingIOError(err.errno, f"{path} is locked") from None
            return None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def hold_env(key: str) -> None:
    """Hold a shared lock on environment ``key`` for the rest of this process and its exec."""
    hold(env_lock_path(key))


def hold(path: str) -> None:
    """Hold a shared lock on the environment lock file ``path`` (see :func:`hold_env`).

    The descriptor is inheritable on purpose: ``os.execve`` keeps it open in the target
    interpreter, so the lock lives exactly as long as the program that uses the environment.
    """
    if path in _held:
        return
    fd = _lock(path, fcntl.LOCK_SH)
    if fd is not None:
        os.set_inheritable(fd, True)
        _held[path] = fd


def descriptor(path: str) -> int | None:
    """The descriptor of the environment lock file ``path`` if this process holds it."""
    return _held.get(path)


#: What ``try_env_exclusive`` returns when the lock file does not exist: nobody holds it.
FREE = -1


def try_env_exclusive(key: str) -> int | None:
    """Lock environment ``key`` exclusively if no process uses it: a descriptor to ``release``,
    ``FREE`` when it has no lock file (no process ever locked it), None when it is in use."""
    path = env_lock_path(key)
    try:
        fd = _lock(path, fcntl.LOCK_EX | fcntl.LOCK_NB, create=False)
    except BlockingIOError:
        return None
    if fd is None:
        return FREE if not os.path.lexists(path) else None
    return fd


def release(fd: int) -> None:
    if fd != FREE:
        os.close(fd)


class store_shared:  # noqa: N801 - used like a function: ``with store_shared():``
    """Held while an install creates entries that no env record references yet.

    A class, not a contextlib generator: this module is on ``run``'s fast path.
    """

    def __enter__(self) -> None:
        self.fd = _lock(store_lock_path(), fcntl.LOCK_SH)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)


class store_exclusive(store_shared):  # noqa: N801
    """Held by ``gc``: waits for running installs, calling ``on_wait`` first if it must wait."""

    def __init__(self, on_wait: Callable[[], None] | None = None) -> None:
        self.on_wait = on_wait

    def __enter__(self) -> None:
        try:
            self.fd = _lock(store_lock_path(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.on_wait is not None:
                self.on_wait()
            self.fd = _lock(store_lock_path(), fcntl.LOCK_EX)
