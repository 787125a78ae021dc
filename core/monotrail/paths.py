"""Where the store lives and how it is laid out.

The layout (all below ``$MONOTRAIL_HOME``)::

    store/<normalized-name>/<version>/<wheel-tag>/   one unpacked wheel (a sys.path root)
    artifacts/<sha256>/<filename>                    downloaded or built wheels and sdists
    envs/<key>.record                                env records (marshal data, env/record.py)
    envs/<key>/bin/                                  console scripts of that environment
    by-content/<content-key>                         link to the env record last made for that
                                                     content (env/derive.py)
    resolutions/<key>.json                           the resolution cache
    interpreters/                                    provisioned interpreters, interpreter facts
    store.lock                                       held shared by installs, exclusively by gc
    boot/<version>/                                  the bootstrap put on PYTHONPATH
    tmp/                                             temporary siblings, renamed into place

``MONOTRAIL_STORES`` adds read-only stores with the same layout: their entries are used in place,
missing ones go to the writable store (``$MONOTRAIL_HOME``).

This module is on the ``run`` fast path, so it avoids importing platformdirs on Linux, where the
rule is short (XDG); elsewhere it asks platformdirs.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

#: Sub-folder of an entry holding the wheel's ``.data`` parts (headers, data). A name
#: that is not an identifier, so it can never shadow an importable module.
ENTRY_DATA_DIR = ".monotrail-data"
#: The file in ENTRY_DATA_DIR with what an entry holds beyond its files (name, version, scripts,
#: top-level names, the wheel it came from); written when the entry is made.
ENTRY_INFO = "entry.json"
#: Sub-folder of an entry holding the wheel's scripts: where ``pip install --target`` puts them,
#: so tools that look for their own executable beside their package find it (``python -m ruff``,
#: ``python -m uv``). Entries made before kept them in ``.monotrail-data/scripts``: still read.
ENTRY_SCRIPTS_DIR = "bin"


def entry_part_dir(entry: Path, part: str) -> Path:
    """The folder of an entry holding one ``.data`` part of its wheel (scripts, headers, data)."""
    legacy = entry / ENTRY_DATA_DIR / part
    if part == "scripts" and not legacy.is_dir():
        return entry / ENTRY_SCRIPTS_DIR
    return legacy


def home_str() -> str:
    """The store's root folder: ``$MONOTRAIL_HOME``, else the user cache dir for monotrail.

    A string: the fast path joins it with ``os.path`` (importing pathlib costs milliseconds).
    """
    configured = os.environ.get("MONOTRAIL_HOME")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    if sys.platform.startswith("linux"):
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not (xdg and os.path.isabs(xdg)):
            xdg = os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(xdg, "monotrail")
    import platformdirs

    return str(platformdirs.user_cache_dir("monotrail", appauthor=False))


def home() -> Path:
    """:func:`home_str` as a ``Path``."""
    from pathlib import Path

    return Path(home_str())


def envs_str() -> str:
    """:func:`envs_dir` as a string, for the fast path."""
    return os.path.join(home_str(), "envs")


def store_dir() -> Path:
    return home() / "store"


def read_only_homes() -> list[Path]:
    """Stores named by ``MONOTRAIL_STORES`` (``os.pathsep``-separated): searched first, never
    written (a network file system, a folder baked into a container image)."""
    from pathlib import Path

    value = os.environ.get("MONOTRAIL_STORES", "")
    own = home()
    found = []
    for part in value.split(os.pathsep):
        if part.strip():
            path = Path(part.strip()).expanduser().absolute()
            if path != own and path not in found:
                found.append(path)
    return found


def all_homes() -> list[Path]:
    """The writable store's home, then the read-only stores': where a file the writable store may
    lack (a resolution, an interpreter) is looked for, in this order."""
    return [home(), *read_only_homes()]


def artifacts_dir() -> Path:
    return home() / "artifacts"


def envs_dir() -> Path:
    return home() / "envs"


def resolutions_dir() -> Path:
    return home() / "resolutions"


def interpreters_dir() -> Path:
    return home() / "interpreters"


def tmp_dir() -> Path:
    """Scratch space on the same file system as the store, so renames into place are atomic."""
    path = home() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path
