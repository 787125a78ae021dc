"""Unpack one wheel into a store entry, with installer's parsing and RECORD handling.

The entry root holds what a wheel puts in purelib/platlib (a valid sys.path root); its scripts go
to ``bin/`` (as with ``pip install --target``), the other ``.data`` parts below
``.monotrail-data/`` (``headers``, ``data``). Console-script wrappers
are not written into the entry, because they name an interpreter: environments generate them.

Checks, before anything becomes visible: member names (absolute, ``..``, links) and declared
sizes, and every file's hash against the wheel's RECORD while it is written (one pass).
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from monotrail import paths, store
from monotrail.errors import MonotrailError

#: Upper bound for the unpacked size of one wheel; a larger one is refused as a likely zip bomb.
MAX_UNPACKED_BYTES = int(os.environ.get("MONOTRAIL_MAX_UNPACKED_BYTES", str(16 * 1024**3)))


@dataclass
class InstalledWheel:
    """What an entry holds, beyond its files: recorded in the entry and in env records."""

    name: str
    version: str
    console_scripts: dict[str, str] = field(default_factory=dict)  # name -> "module:attr"
    gui_scripts: dict[str, str] = field(default_factory=dict)


def check_members(wheel: Path, archive: zipfile.ZipFile) -> None:
    """Refuse hostile archives: paths escaping the entry, links, and zip bombs."""
    total = 0
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise MonotrailError(f"{wheel.name}: refused, member {name!r} points outside the entry")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise MonotrailError(f"{wheel.name}: refused, member {name!r} is a symbolic link")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise MonotrailError(
                f"{wheel.name}: refused, it unpacks to more than {MAX_UNPACKED_BYTES} bytes"
            )


def unpack(wheel: Path, root: Path) -> InstalledWheel:
    """Unpack ``wheel`` into the empty directory ``root`` (a store entry being made)."""
    from installer import _core, install
    from installer.destinations import SchemeDictionaryDestination
    from installer.exceptions import InstallerError
    from installer.records import Hash, RecordEntry, parse_record_file
    from installer.sources import WheelFile
    from installer.utils import parse_entrypoints, parse_metadata_file

    data = root / paths.ENTRY_DATA_DIR
    scheme_dirs = {
        "purelib": str(root),
        "platlib": str(root),
        "scripts": str(root / paths.ENTRY_SCRIPTS_DIR),
        "headers": str(data / "headers"),
        "data": str(data / "data"),
    }
    written: dict[str, str] = {}
    made_dirs: set[str] = set()

    class EntrySource(WheelFile):  # type: ignore[misc]
        """The wheel with its entry points hidden from install(): we record, not write, them."""

        @property
        def dist_info_filenames(self) -> list[str]:
            return [n for n in super().dist_info_filenames if n != "entry_points.txt"]

    class EntryDestination(SchemeDictionaryDestination):  # type: ignore[misc]
        """Writes files, remembering their hashes to compare with RECORD afterwards.

        Plain ``os`` calls instead of installer's pathlib-based ``write_to_fs``: per-file
        overhead decides the time of wheels with thousands of files (check_members already
        refused paths that leave the entry).
        """

        def write_file(  # type: ignore[override]
            self, scheme: str, path: str, stream: BinaryIO, is_executable: bool
        ) -> RecordEntry:
            # Scripts keep their ``#!python`` line; environments rewrite it for their interpreter.
            content = stream.read()
            digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest())
            value = digest.decode("ascii").rstrip("=")
            target = os.path.join(scheme_dirs[scheme], os.fspath(path))
            _write_new_file(target, content, is_executable, made_dirs)
            written[target] = value
            return RecordEntry(os.fspath(path), Hash("sha256", value), len(content))

    destination = EntryDestination(scheme_dirs, interpreter="python", script_kind="posix")
    try:
        with zipfile.ZipFile(wheel) as archive:
            check_members(wheel, archive)
            source = EntrySource(archive)
            source.validate_record(validate_contents=False)
            metadata = parse_metadata_file(source.read_dist_info("METADATA"))
            result = InstalledWheel(name=str(metadata["Name"]), version=str(metadata["Version"]))
            if "entry_points.txt" in WheelFile(archive).dist_info_filenames:
                entry_points = source.read_dist_info("entry_points.txt")
                for ep_name, module, attr, section in parse_entrypoints(entry_points):
                    scripts = result.console_scripts if section == "console" else result.gui_scripts
                    scripts[ep_name] = f"{module}:{attr}"
            root_scheme = _core._process_WHEEL_file(source)
            expected: dict[str, str] = {}
            for path, hash_text, _size in parse_record_file(
                source.read_dist_info("RECORD").splitlines()
            ):
                if not hash_text or "__pycache__" in path.split("/")[:-1]:
                    continue
                algorithm, _, value = hash_text.partition("=")
                if algorithm != "sha256":
                    raise MonotrailError(
                        f"{wheel.name}: RECORD uses {algorithm!r} for {path}, expected sha256"
                    )
                scheme, dest = _core._determine_scheme(path, source, root_scheme)
                expected[os.path.join(scheme_dirs[scheme], dest)] = value
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # __pycache__ members: skipped
                install(source, destination, {"INSTALLER": b"monotrail\n"})
    except MonotrailError:
        raise
    except (InstallerError, ValueError, KeyError, zipfile.BadZipFile, OSError) as err:
        if isinstance(err, OSError) and err.errno in store.WRITE_ERRNOS:
            raise  # the disk, not the wheel: the store reports it
        raise MonotrailError(f"{wheel.name}: not a valid wheel: {_one_line(err)}") from None
    for path, digest in expected.items():
        if written.get(path) != digest:
            relative = os.path.relpath(path, root)
            raise MonotrailError(
                f"{wheel.name}: refused, {relative} does not match its hash in the wheel's RECORD"
            )
    return result


def _write_new_file(path: str, content: bytes, executable: bool, made_dirs: set[str]) -> None:
    """Create ``path`` (never overwrite: a wheel listing a member twice is refused)."""
    folder = os.path.dirname(path)
    if folder not in made_dirs:
        os.makedirs(folder, exist_ok=True)
        made_dirs.add(folder)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o777 if executable else 0o666)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return " ".join(text.split())[:300]
