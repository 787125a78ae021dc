"""The running interpreter as a target: packages added now, to a notebook kernel or a REPL.

``interactive`` resolves Poetry-style constraints with Poetry's solver for this interpreter, adds
them to the set of this process (earlier pins are kept where they fit), fills the store,
activates them at once (env/activate.py) and saves the lock (lockfile/notebook_lock.py).
``from_git`` checks a repository out (fetch/git.py) and activates its environment the same way.
Neither installs anything outside the store, and neither needs a virtualenv.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from monotrail.env import activate
from monotrail.env.prepare import Target, prepare
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import LockedPackage
from monotrail.store import locks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import Owner


class InteractiveError(MonotrailError):
    """A MonotrailError that IPython shows as its one line, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"error: {self}"]


class _Session:
    """What ``interactive`` asked for and chose so far in this process."""

    requested: dict[str, Any] = {}
    packages: list[LockedPackage] = []


def interactive(
    lock: str | os.PathLike[str] | None = None, **packages: str | dict[str, Any]
) -> None:
    """Make packages importable in this interpreter now, e.g.
    ``interactive(numpy="^1.21", pandas={"version": "^2", "extras": ["excel"]})``.

    Calling it again adds to the same set. ``lock=PATH`` installs exactly what a saved lock
    holds. The lock is saved beside the notebook when its path is known, else in the store.
    """
    try:
        _interactive(lock, packages)
    except MonotrailError as err:
        raise InteractiveError(str(err)) from None


def _interactive(lock: str | os.PathLike[str] | None, packages: dict[str, Any]) -> None:
    from monotrail import log
    from monotrail.lockfile import notebook_lock
    from monotrail.python import interpreter

    log.configure()
    target = interpreter.query(sys.executable)
    if lock is not None:
        if packages:
            raise MonotrailError(
                "monotrail.interactive: give either lock= or packages (add packages in a "
                "second call)"
            )
        given = Path(lock).absolute()
        requested, chosen = notebook_lock.read(given)
        lock_path: Path | None = given
    else:
        if not packages:
            raise MonotrailError(
                'monotrail.interactive: name the packages, e.g. interactive(numpy="^1.21")'
            )
        lock_path = None
        requested = {**_Session.requested, **_checked(packages)}
        label = f"monotrail.interactive({', '.join(f'{k}={v!r}' for k, v in requested.items())})"
        preferred = {p.name: p.version for p in _Session.packages}
        from monotrail.resolve import poetry_resolver

        chosen = poetry_resolver.solve_for_interpreter(requested, target, preferred, label)
    key = _env_key(chosen, target.executable)
    save_to = lock_path or notebook_lock.default_path(key)
    locks.hold_env(key)  # gc keeps this environment while the process lives
    owner: Owner = {
        "project": None,
        "tool": f"interactive {save_to}",
        "inputs": {str(save_to): ""},  # a gc root while the lock exists
    }
    prepared = prepare(Target(key, lambda _: chosen, owner), target)
    activate.activate(prepared.record, "interactive")
    if lock_path is None:
        notebook_lock.write(save_to, requested, chosen, target.full_version)
    _Session.requested, _Session.packages = requested, chosen
    names = ", ".join(f"{p.name} {p.version}" for p in chosen)
    added = len(prepared.report.added)
    print(f"monotrail: {names} ({added} added to the store); lock: {save_to}")


def _checked(packages: dict[str, Any]) -> dict[str, Any]:
    for name, constraint in packages.items():
        if isinstance(constraint, dict) and isinstance(constraint.get("version", "*"), str):
            continue
        if not isinstance(constraint, str):
            raise MonotrailError(
                f"monotrail.interactive: {name}={constraint!r}: give a version constraint "
                'string ("^1.21") or a table ({"version": "^1", "extras": ["x"]})'
            )
    return dict(packages)


def _env_key(packages: list[LockedPackage], executable: str) -> str:
    import hashlib
    import json

    from monotrail.env import launch

    pins = json.dumps(sorted((p.name, p.version) for p in packages))
    digest = hashlib.sha256(pins.encode()).hexdigest()
    return launch.env_key(None, executable, [], [], [f"interactive={digest}"])


def from_git(url: str, rev: str) -> None:
    """Check out ``url`` at ``rev`` (once, into the store), install what it declares and make
    its own package and its dependencies importable in this interpreter now."""
    try:
        from monotrail import log
        from monotrail.python import interpreter
        from monotrail.targets import git_checkout

        log.configure()
        target = interpreter.query(sys.executable)
        checkout = git_checkout.target(url, rev, target, [], [])
        prepared = prepare(checkout, target)
        activate.activate(prepared.record, f"git {url} {rev}")
        locks.hold_env(checkout.key)
    except MonotrailError as err:
        raise InteractiveError(str(err)) from None
    from monotrail.fetch.credentials import redact

    head = ", ".join(prepared.record["head"])
    print(f"monotrail: {redact(url)} at {rev} is importable ({head})")
