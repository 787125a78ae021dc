"""Which Python a command runs with: version requests, and the cached choice.

The order: ``-p X.Y[.Z]`` (or a path), else ``.python-version`` in the project or above it, else
the newest interpreter the project's ``requires-python`` / Poetry ``python`` constraint allows,
else the newest found (discovery.py finds and decides; an explicit version nothing here provides
is provisioned by provision.py).

Each choice is cached in the store and trusted while its inputs (pyproject.toml, the
``.python-version`` files) and the folders discovery searched keep their size and mtime. So the
``run`` fast path reads one small file and stats a few paths: it starts no process and imports
neither findpython nor packaging. Hence this module is small and imports only the standard
library.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from monotrail import paths

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from typing import Any

#: Targets are CPython 3.9 or newer.
MIN_VERSION = (3, 9)
_CACHE_FORMAT = 1
#: What discovery depends on besides folders: a change means another search.
_ENV_VARS = (
    "PATH", "PYENV_ROOT", "ASDF_DATA_DIR", "RYE_PY_ROOT", "UV_PYTHON_INSTALL_DIR", "HOME",
    "XDG_DATA_HOME",
)  # fmt: skip
_REQUEST = re.compile(r"(?:c?python)?[@-]?(\d+)(?:\.(\d+))?(?:\.(\d+))?", re.IGNORECASE)

Version = tuple[int, ...]


def parse_request(text: str) -> Version | None:
    """``3``, ``3.12``, ``3.12.1``, ``python3.12``, ``cpython@3.12`` -> the version parts."""
    match = _REQUEST.fullmatch(text.strip())
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


def is_supported(version: Version) -> bool:
    """Whether a (possibly partial) version can be a target: CPython 3.9 or newer."""
    return version[: len(MIN_VERSION)] >= MIN_VERSION[: len(version)]


def matches(version: Version, request: Version) -> bool:
    """``3.12.1`` matches the requests ``3``, ``3.12`` and ``3.12.1``."""
    return tuple(version[: len(request)]) == tuple(request)


def managed_dir() -> Path:
    """Where provisioned interpreters live: ``interpreters/managed/cpython-X.Y.Z-<os>-<arch>``."""
    return paths.interpreters_dir() / "managed"


def managed() -> list[tuple[Version, Path]]:
    """Provisioned interpreters (version, executable), newest first."""
    found = []
    try:
        names = os.listdir(managed_dir())
    except OSError:
        return []
    for name in names:
        match = re.fullmatch(r"cpython-(\d+)\.(\d+)\.(\d+)-.+", name)
        if not match:
            continue
        version = tuple(int(part) for part in match.groups())
        exe = managed_dir() / name / "bin" / f"python{version[0]}.{version[1]}"
        if exe.is_file():
            found.append((version, exe))
    return sorted(found, reverse=True)


def choose(
    requested: str | None, project_root: Path | None, allow_provision: bool = True
) -> tuple[str, str]:
    """The interpreter a command runs with, and why: ``(executable, reason)``.

    A requested version (``-p``, ``.python-version``) that nothing on the machine provides is
    provisioned, unless ``allow_provision`` is false (then it is an error).
    """
    if requested and (os.sep in requested or requested.startswith(("~", "."))):
        from monotrail import discovery

        return discovery.explicit_path(requested), "given as a path"
    key = json.dumps([requested or "", str(project_root or ""), env_signature()])
    cache = cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    inputs = {} if requested else _inputs(project_root)
    data = read_json(cache)
    if (
        data is not None
        and data["inputs"] == inputs
        and unchanged(data["watch"])
        and os.path.isfile(data["executable"])
    ):
        return data["executable"], data["reason"]
    from monotrail import discovery

    executable, reason = discovery.decide(requested, project_root, allow_provision)
    write_json(
        cache,
        {
            "inputs": inputs,
            "watch": discovery.watched(),
            "executable": executable,
            "reason": reason,
        },
    )
    return executable, reason


def version_files(project_root: Path | None) -> list[Path]:
    """Where a ``.python-version`` is looked for: the project's folder and those above it."""
    if project_root is None:
        return []
    root = Path(project_root).absolute()
    return [folder / ".python-version" for folder in (root, *root.parents)]


def _inputs(project_root: Path | None) -> dict[str, Any]:
    files = [str(p) for p in version_files(project_root)]
    if project_root is not None:
        files.append(str(Path(project_root) / "pyproject.toml"))
    return {path: stat_sig(path) for path in files}


# Small JSON caches below ``interpreters/choices``, shared with discovery.py.


def env_signature() -> str:
    values = [f"{name}={os.environ.get(name, '')}" for name in _ENV_VARS]
    values.append(f"home={paths.home()}")
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:24]


def stat_sig(path: str) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def unchanged(sigs: dict[str, Any]) -> bool:
    return all(stat_sig(path) == sig for path, sig in sigs.items())


def cache_dir() -> Path:
    return paths.interpreters_dir() / "choices"


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data: dict[str, Any] = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if data.get("format") == _CACHE_FORMAT else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": _CACHE_FORMAT, **data}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only store: choosing again next time is correct, only slower
