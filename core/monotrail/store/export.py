"""Store layers: the part of a store that some environments need, written elsewhere to be shared.

``monotrail store export DIR`` writes a layer for the environments of one or more projects: a
folder with the store's own layout (``store/<name>/<version>/<tag>/``, and
``interpreters/managed/<build>/`` for a provisioned interpreter, ``resolutions/`` for what
monotrail resolved itself), or a tar archive of that folder
when ``DIR`` ends in ``.tar``. Named in ``MONOTRAIL_STORES`` on another machine (a container
image, a file share, a CI cache), its entries and interpreters are used in place: a project there
starts with no download, no unpack, no resolution and no write to the layer, wherever its
checkout lies, since its packages are found by content (its lock, or the resolution kept for its
requirements.txt or lock-less pyproject.toml), not by the folder it was made in.

The layer gets whole entries only: each one is copied into a temporary sibling and renamed into
place (hard links where the file system allows, so a layer beside the store costs no space), and
a tar archive is written under a temporary name and renamed when complete. An entry already in
the layer is kept as it is, so exporting more projects into one layer adds to it.
"""

from __future__ import annotations

import functools
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monotrail import _fs, paths
from monotrail.errors import MonotrailError
from monotrail.resolve import resolution_cache
from monotrail.store import layout

#: Where a layer keeps provisioned interpreters, relative to its root (as in the store).
INTERPRETERS = Path("interpreters", "managed")


@dataclass
class ExportReport:
    """What one export wrote."""

    #: Entries and interpreters now in the layer (relative paths), and those that were there.
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def parts_of(
    entries: Iterable[str], interpreters: Iterable[str], resolutions: Iterable[str] = ()
) -> dict[Path, Path]:
    """What a layer for these entry folders, interpreter executables and resolution cache keys
    holds: relative path in the layer -> the folder or file to copy. Interpreters that monotrail
    did not provision (found on the machine) are not copied: the reading machine needs its own
    at the same version."""
    found: dict[Path, Path] = {}
    for key in resolutions:
        for name in (f"{key}.json", f"{key}.poetry.lock"):
            path = resolution_cache.kept(name)
            if path.is_file():
                found[Path("resolutions", name)] = path
    for entry in entries:
        path = Path(entry)
        found[Path("store", *path.parts[-3:])] = path
    roots = paths.all_homes()
    for executable in interpreters:
        exe = Path(executable)
        for root in roots:
            managed = root / INTERPRETERS
            if exe.is_relative_to(managed):
                build = exe.relative_to(managed).parts[0]
                found[INTERPRETERS / build] = managed / build
                break
    return found


def export(parts: dict[Path, Path], dest: Path) -> ExportReport:
    """Write the layer ``dest`` (a folder, or a tar archive when it ends in ``.tar``)."""
    for source in parts.values():
        if not source.exists():
            raise MonotrailError(f"{source}: missing from the store; run `monotrail install`")
    with layout.write_errors():
        if dest.suffix == ".tar":
            return _export_tar(parts, dest)
        return _export_folder(parts, dest)


def _export_folder(parts: dict[Path, Path], dest: Path) -> ExportReport:
    report = ExportReport()
    for relative, source in sorted(parts.items()):
        target = dest / relative
        if target.exists():
            report.kept.append(str(relative))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_file():
            _fs.atomic_publish(target, functools.partial(_link_or_copy, str(source)))
            report.added.append(str(relative))
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            _fs.as_created(tmp)
            shutil.copytree(source, tmp / "x", symlinks=True, copy_function=_link_or_copy)
            os.rename(tmp / "x", target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        report.added.append(str(relative))
    return report


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _export_tar(parts: dict[Path, Path], dest: Path) -> ExportReport:
    report = ExportReport()
    dest.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        with tarfile.open(tmp, "w") as archive:
            for relative, source in sorted(parts.items()):
                archive.add(source, arcname=str(relative))
                report.added.append(str(relative))

    _fs.atomic_publish(dest, write)
    return report
