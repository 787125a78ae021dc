"""Which Python a command runs with, cached.

The order: ``-p X.Y[.Z]`` (or a path), else ``.python-version`` in the project or above it, else
the newest interpreter the project's ``requires-python`` / Poetry ``python`` constraint allows,
else the newest found (discovery.py finds and decides; an explicit version nothing here provides
is provisioned by managed.py).

Each choice is cached (cache.py), keyed by the content of its inputs (pyproject.toml, the
``.python-version`` files), not by the project's folder, and trusted while the folders discovery
searched keep their size and mtime. So the
``run`` fast path reads one small file and stats a few paths: it starts no process and imports
neither findpython nor packaging, nor anything outside the standard library.
"""

from __future__ import annotations

import os

from monotrail import fingerprint, log
from monotrail.python import cache

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and pathlib cost milliseconds on the fast path
    from pathlib import Path
    from typing import Any


def for_project(requested: str | None, project_root: str | None) -> str:
    """The interpreter a project's command runs: ``-p`` (a version or a path), else the
    project's choice; without a project (``project_root`` None), the newest Python found."""
    executable, reason = choose(requested, project_root)
    log.debug(f"interpreter {executable} ({reason})")
    return executable


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
        key = "\0".join([given_path, cache.env_signature()])
        inputs: dict[str, Any] = {given_path: cache.stat_sig(given_path)}
    else:
        inputs = {} if requested else _inputs(project_root)
        # By content, not folder: a copy or another checkout of the project shares the choice.
        words = [f"{number}={digest}" for number, digest in inputs.items()]
        key = "\0".join([requested or "", *words, cache.env_signature()])
    cache_file = os.path.join(cache.cache_dir(), fingerprint.digest(key.encode(), size=12))
    data = cache.read_cache(cache_file)
    if (
        data is not None
        and data["inputs"] == inputs
        and cache.unchanged(data["watch"])
        and os.path.isfile(data["executable"])
    ):
        return data["executable"], data["reason"]
    from pathlib import Path

    from monotrail.python import discovery

    if given_path is not None:
        # A wrapper script is started once to learn its binary; the choice then stays while
        # the file at the path keeps its size and mtime.
        executable, reason = discovery.explicit_path(given_path), "given as a path"
        watch = {executable: cache.stat_sig(executable)}
    else:
        root = Path(project_root) if project_root is not None else None
        executable, reason = discovery.decide(requested, root, allow_provision)
        watch = discovery.watched()
    cache.write_cache(
        cache_file, {"inputs": inputs, "watch": watch, "executable": executable, "reason": reason}
    )
    return executable, reason


def _inputs(project_root: str | Path | None) -> dict[str, Any]:
    """What decides a project's choice: the ``.python-version`` files above it (nearest first)
    and its pyproject.toml, each by a digest of its content."""
    if project_root is None:
        return {}
    files = [os.path.join(project_root, "pyproject.toml"), *cache.version_files(project_root)]
    digests = {str(number): fingerprint.file_digest(path) for number, path in enumerate(files)}
    return {number: digest for number, digest in digests.items() if digest != "missing"}
