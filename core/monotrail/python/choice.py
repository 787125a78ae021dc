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

import marshal
import os

from monotrail import fingerprint, paths

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and pathlib cost milliseconds on the fast path
    from pathlib import Path
    from typing import Any

#: Targets are CPython 3.9 or newer.
MIN_VERSION = (3, 9)
_CACHE_FORMAT = 2
#: What discovery depends on besides folders: a change means another search.
_ENV_VARS = (
    "PATH", "PYENV_ROOT", "ASDF_DATA_DIR", "RYE_PY_ROOT", "UV_PYTHON_INSTALL_DIR", "HOME",
    "XDG_DATA_HOME",
)  # fmt: skip
_REQUEST = r"(?:c?python)?[@-]?(\d+)(?:\.(\d+))?(?:\.(\d+))?"

Version = tuple[int, ...]


def parse_request(text: str) -> Version | None:
    """``3``, ``3.12``, ``3.12.1``, ``python3.12``, ``cpython@3.12`` -> the version parts."""
    import re  # not at the top: the fast path never parses a request (the choice is cached)

    match = re.fullmatch(_REQUEST, text.strip(), re.IGNORECASE)
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
    import re

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
    requested: str | None, project_root: str | Path | None, allow_provision: bool = True
) -> tuple[str, str]:
    """The interpreter a command runs with, and why: ``(executable, reason)``.

    A requested version (``-p``, ``.python-version``) that nothing on the machine provides is
    provisioned, unless ``allow_provision`` is false (then it is an error).
    """
    given_path = None
    if requested and (os.sep in requested or requested.startswith(("~", "."))):
        given_path = os.path.abspath(os.path.expanduser(requested))
        key = "\0".join([given_path, env_signature()])
        inputs: dict[str, Any] = {given_path: stat_sig(given_path)}
    else:
        key = "\0".join([requested or "", str(project_root or ""), env_signature()])
        inputs = {} if requested else _inputs(project_root)
    cache = os.path.join(cache_dir(), fingerprint.digest(key.encode(), size=12))
    data = read_cache(cache)
    if (
        data is not None
        and data["inputs"] == inputs
        and unchanged(data["watch"])
        and os.path.isfile(data["executable"])
    ):
        return data["executable"], data["reason"]
    from pathlib import Path

    from monotrail.python import discovery

    if given_path is not None:
        # A wrapper script is started once to learn its binary; the choice then stays while
        # the file at the path keeps its size and mtime.
        executable, reason = discovery.explicit_path(given_path), "given as a path"
        watch = {executable: stat_sig(executable)}
    else:
        root = Path(project_root) if project_root is not None else None
        executable, reason = discovery.decide(requested, root, allow_provision)
        watch = discovery.watched()
    write_cache(
        cache, {"inputs": inputs, "watch": watch, "executable": executable, "reason": reason}
    )
    return executable, reason


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


def _inputs(project_root: str | Path | None) -> dict[str, Any]:
    files = version_files(project_root)
    if project_root is not None:
        files.append(os.path.join(project_root, "pyproject.toml"))
    return {path: stat_sig(path) for path in files}


# Small caches below ``interpreters/choices``, shared with discovery.py: marshal data, because
# json would import re on every run.


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
    try:
        folder, name = os.path.split(path)
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(marshal.dumps({"format": _CACHE_FORMAT, **data}, 4))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only store: choosing again next time is correct, only slower
