"""Wheels of git dependencies and non-editable path dependencies: built once, kept by source.

A package with a ``git`` source is keyed by its commit (and the subdirectory that holds it), a
path dependency (``source_dir``, not editable) by the content of its tree
(``fingerprint.tree_digest``): the key is ``git-<commit>[-<subdirectory digest>]`` or
``tree-<digest>``. Its wheel is built (sdist_build.build_tree) into
``artifacts/built/<key>/<cache tag>/``, as a wheel built from an sdist is, and unpacked into the
entry ``store/<name>/<version>/<wheel tag>@<key>/``: two commits, or two states of a tree, of
one version are two entries, and an entry never changes.

A git commit is fetched once into the store's git area (fetch/git.py, as ``from-git`` does),
and only when its wheel is missing: a warm environment, or a second one with the same commit,
neither fetches nor builds. A tree is read (for its digest) whenever an environment is made
again; the env record keeps its ``fingerprint.tree_stamp`` so that an edit makes the next
``run`` take the slow path (``env.launch.load_valid_record``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from monotrail import fingerprint, paths
from monotrail._fs import atomic_publish
from monotrail.env import record
from monotrail.errors import SourceError
from monotrail.lockfile.model import LockedPackage
from monotrail.log import logger
from monotrail.python.interpreter import Interpreter
from monotrail.store import layout

_PREFIXES = ("git-", "tree-")


def is_built_from_source(package: LockedPackage) -> bool:
    """Whether ``package`` is built here: a git source, or a local tree that is not editable."""
    return package.git is not None or (package.source_dir is not None and not package.editable)


def key(package: LockedPackage) -> str:
    """What names the build of ``package`` (see the module docstring)."""
    if package.git is not None:
        subdirectory = package.git.subdirectory
        suffix = f"-{fingerprint.digest(subdirectory.encode(), size=4)}" if subdirectory else ""
        return f"git-{package.git.commit}{suffix}"
    assert package.source_dir is not None
    if not Path(package.source_dir).is_dir():
        raise SourceError(f"{package}: the path dependency {package.source_dir} does not exist")
    return f"tree-{fingerprint.tree_digest(package.source_dir)}"


def entry_tag(wheel: Path) -> str:
    """What a wheel built here adds to its store entry's tag (``@<key>``); "" for others."""
    folder = wheel.parent.parent
    if folder.parent == paths.artifacts_dir() / "built" and folder.name.startswith(_PREFIXES):
        return f"@{folder.name}"
    return ""


def source_of(built_folder: str) -> str | None:
    """For humans, what a folder of ``artifacts/built/`` was built from, if it was built here
    (``git commit 491cacca7cb0``, ``source tree e62ecfdd7783``); None for an sdist's."""
    kind, _, digest = built_folder.partition("-")
    if built_folder.startswith(_PREFIXES):
        return f"{'git commit' if kind == 'git' else 'source tree'} {digest[:12]}"
    return None


def wheel(package: LockedPackage, interpreter: Interpreter) -> Path:
    """The wheel of ``package`` for ``interpreter``: the one kept under its key, else built now
    (its git commit fetched first) and kept. Concurrent processes build it once."""
    folder = paths.artifacts_dir() / "built" / key(package) / interpreter.cache_tag
    found = _kept(folder)
    if found is None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with layout.entry_lock(folder):
            found = _kept(folder) or _build(package, folder, interpreter)
    logger.debug("%s: the wheel built from its source is %s", package, found)
    return found


def _kept(folder: Path) -> Path | None:
    wheels = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    return wheels[0] if wheels else None


def _build(package: LockedPackage, folder: Path, interpreter: Interpreter) -> Path:
    from monotrail.fetch import sdist_build

    if package.git is not None:
        source, label = _checkout(package), f"{package.git.url}@{package.git.commit[:12]}"
    else:
        assert package.source_dir is not None
        source, label = Path(package.source_dir), package.source_dir
    with tempfile.TemporaryDirectory(dir=paths.tmp_dir()) as out:
        built = sdist_build.build_tree(source, Path(out), interpreter, label=label)
        atomic_publish(folder / built.name, lambda tmp: shutil.move(built, tmp), mkdir=True)
    return folder / built.name


def _checkout(package: LockedPackage) -> Path:
    from monotrail.errors import MonotrailError
    from monotrail.fetch.git import ensure_checkout

    assert package.git is not None
    try:
        checkout = Path(ensure_checkout(package.git.url, package.git.commit))
    except MonotrailError as err:
        raise SourceError(f"{package}: {err}") from None
    source = checkout / (package.git.subdirectory or "")
    if not source.is_dir():
        raise SourceError(
            f"{package}: {package.git.url} has no folder {package.git.subdirectory!r} at "
            f"{package.git.commit}"
        )
    return source


def tree_inputs(packages: list[LockedPackage]) -> dict[str, str]:
    """The trees of the path dependencies built here, as env record inputs checked on every
    start: folder -> ``record.TREE_INPUT`` + its stamp."""
    return {
        p.source_dir: record.TREE_INPUT + fingerprint.tree_stamp(p.source_dir)
        for p in packages
        if p.source_dir is not None and not p.editable
    }
