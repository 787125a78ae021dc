"""The small caches below ``interpreters/choices``: a decision is kept while what it read stays.

choice.py keeps each interpreter choice there and discovery.py its candidate list. Each cache
file is ``marshal`` data (json would import re on every run) and is trusted while the files and
folders it names keep their size and mtime (``stat_sig``), and while the environment variables
discovery depends on are the same (``env_signature``); ``version_files`` names the
``.python-version`` files a choice reads.
"""

from __future__ import annotations

import marshal
import os

from monotrail import fingerprint, paths

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and pathlib cost milliseconds on the fast path
    from pathlib import Path
    from typing import Any

_CACHE_FORMAT = 2
#: What discovery depends on besides folders: a change means another search.
_ENV_VARS = (
    "PATH", "PYENV_ROOT", "ASDF_DATA_DIR", "RYE_PY_ROOT", "UV_PYTHON_INSTALL_DIR", "HOME",
    "XDG_DATA_HOME",
)  # fmt: skip


def version_files(project_root: str | Path | None) -> list[str]:
    """Where a ``.python-version`` is looked for: the project's folder and those above it."""
    if project_root is None:
        return []
    folder = os.path.abspath(project_root)
    found = []
    while True:
        found.append(os.path.join(folder, ".python-version"))
        parent = os.path.dirname(folder)
        if parent == folder:
            return found
        folder = parent


def env_signature() -> str:
    values = [f"{name}={os.environ.get(name, '')}" for name in _ENV_VARS]
    values.append(f"home={paths.home_str()}")
    return fingerprint.digest("\n".join(values).encode(), size=12)


def stat_sig(path: str) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def unchanged(sigs: dict[str, Any]) -> bool:
    return all(stat_sig(path) == sig for path, sig in sigs.items())


def cache_dir() -> str:
    return os.path.join(paths.home_str(), "interpreters", "choices")


def read_cache(path: str | Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            data = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == _CACHE_FORMAT else None


def write_cache(path: str | Path, data: dict[str, Any]) -> None:
    from monotrail._fs import atomic_write  # shutil: only when a choice is made

    try:
        atomic_write(path, marshal.dumps({"format": _CACHE_FORMAT, **data}, 4), mkdir=True)
    except OSError:
        pass  # a read-only store: choosing again next time is correct, only slower
