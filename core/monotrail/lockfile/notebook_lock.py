"""The lock of ``monotrail.interactive``: what was asked for and the exact packages chosen.

Saved beside the notebook (``<notebook>.monotrail-lock.json``) when the kernel knows the
notebook's path, else in the store (``interactive/<key>.json``); ``interactive(lock=PATH)``
installs exactly these packages again, without resolving.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from monotrail import paths
from monotrail._fs import atomic_write
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import LockedPackage, from_json, to_json

LOCK_FORMAT = 1
SUFFIX = ".monotrail-lock.json"


def notebook_path() -> Path | None:
    """The notebook this kernel runs, when its front end says (Jupyter sets JPY_SESSION_NAME,
    VS Code ``__vsc_ipynb_file__``)."""
    candidates: list[object] = [os.environ.get("JPY_SESSION_NAME")]
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is not None:
        namespace = getattr(shell, "user_ns", {})
        candidates += [namespace.get("__vsc_ipynb_file__"), namespace.get("__session__")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            return Path(candidate).absolute()
    return None


def default_path(key: str) -> Path:
    """Where the lock goes: beside the notebook, else in the store."""
    notebook = notebook_path()
    if notebook is not None and notebook.parent.is_dir():
        return notebook.with_name(notebook.stem + SUFFIX)
    return paths.home() / "interactive" / f"{key}.json"


def write(
    path: Path, requested: dict[str, Any], packages: list[LockedPackage], python: str
) -> None:
    data = {
        "format": LOCK_FORMAT,
        "python": python,
        "requested": requested,
        "packages": to_json(packages),
    }
    atomic_write(path, json.dumps(data, indent=1) + "\n", mkdir=True)


def read(path: Path) -> tuple[dict[str, Any], list[LockedPackage]]:
    """``(requested, packages)`` of a saved lock."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise MonotrailError(f"{path}: cannot read the lock: {err.strerror}") from None
    except ValueError as err:
        raise MonotrailError(f"{path}: not a monotrail lock (invalid JSON: {err})") from None
    if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
        raise MonotrailError(f"{path}: not a monotrail.interactive lock (format {LOCK_FORMAT})")
    try:
        return dict(data["requested"]), from_json(data["packages"])
    except (KeyError, TypeError, IndexError, ValueError) as err:
        raise MonotrailError(f"{path}: damaged lock ({err!r} is missing or wrong)") from None
