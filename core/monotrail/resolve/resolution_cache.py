"""The resolution cache: resolutions monotrail made itself, kept in the store by content key.

pip's report for a requirements.txt, Poetry's selection from a fresh poetry.lock or from the
lock of a PEP 621 project, a PEP 723 script's block, a ppipx app: each is resolved once and kept
as ``resolutions/<key>.json``, so the next environment with the same inputs (in any folder)
starts without a resolver. The key names the inputs' content, the interpreter, the options and
the index configuration (``env.launch.env_key``); the folder only when the inputs name files
relative to it. A cache entry is only ever a cache: unreadable means absent, and gc may remove
orphans. Read-only stores (``MONOTRAIL_STORES``, e.g. a layer from ``store export``) are read
after the writable one, so a layer's resolutions spare the resolver on another machine too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from monotrail import _fs, paths, progress
from monotrail.fetch.credentials import strip
from monotrail.lockfile.model import LockedPackage, from_json, to_json
from monotrail.log import logger


def _file(key: str) -> str:
    return str(paths.resolutions_dir() / f"{key}.json")


def kept(name: str) -> Path:
    """The file ``resolutions/<name>``: the writable store's, else the first read-only store's
    that has it, else the writable store's path (where it would be written)."""
    for home in paths.all_homes():
        path = home / "resolutions" / name
        if path.is_file():
            return path
    return paths.resolutions_dir() / name


def load(key: str) -> list[LockedPackage] | None:
    """The package list kept under ``key``; None when there is none or it is unreadable."""
    path = kept(f"{key}.json")
    try:
        with open(path, encoding="utf-8") as handle:
            packages = from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    logger.debug("reusing the resolution in %s", path)
    return packages


def save(key: str, packages: list[LockedPackage]) -> None:
    """Keep ``packages`` under ``key``, their URLs without credentials (looked up again at
    download time, see ``fetch.credentials``)."""
    data = to_json(packages)
    for package in data:
        package["artifacts"] = [
            [name, url and strip(url), h] for name, url, h in package["artifacts"]
        ]
        package["indexes"] = [strip(url) for url in package["indexes"]]
    _fs.atomic_write(_file(key), json.dumps(data, indent=1), mkdir=True)


def remembered(
    key: str, what: str, resolve: Callable[[], list[LockedPackage]], refresh: bool = False
) -> list[LockedPackage]:
    """The resolution kept under ``key``; else ``resolve()``, announced as resolving ``what``
    and kept. ``refresh`` resolves again even when one is kept."""
    packages = None if refresh else load(key)
    if packages is None:
        with progress.phase(f"Resolving {what}", unit="packages") as step:
            packages = resolve()
            step.summary = f"Resolved {progress.count_text(len(packages), 'package')}"
        save(key, packages)
    return packages
