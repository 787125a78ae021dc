"""The resolution cache: resolutions monotrail made itself, kept in the store by content key.

pip's report for a requirements.txt, Poetry's selection from a fresh poetry.lock, a PEP 723
script's block, a ppipx app: each is resolved once and kept as ``resolutions/<key>.json``, so the
next environment with the same inputs (in any folder) starts without a resolver. The key names
the inputs' content, the interpreter and the options (``env.launch.env_key``); a cache entry is
only ever a cache: unreadable means absent, and gc may remove orphans.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from monotrail import _fs, paths
from monotrail.fetch.credentials import strip
from monotrail.lockfile.model import LockedPackage, from_json, to_json
from monotrail.log import logger


def _file(key: str) -> str:
    return str(paths.resolutions_dir() / f"{key}.json")


def load(key: str) -> list[LockedPackage] | None:
    """The package list kept under ``key``; None when there is none or it is unreadable."""
    try:
        with open(_file(key), encoding="utf-8") as handle:
            packages = from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    logger.debug("reusing the resolution in %s", _file(key))
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
        print(f"Resolving {what}...", file=sys.stderr)
        packages = resolve()
        save(key, packages)
    return packages
