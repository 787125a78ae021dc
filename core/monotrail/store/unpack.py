"""Unpack one wheel into a store entry, with installer's parsing and RECORD handling.

The entry root holds what a wheel puts in purelib/platlib (a valid sys.path root); its scripts go
to ``bin/`` (as with ``pip install --target``), the other ``.data`` parts below
``.monotrail-data/`` (``headers``, ``data``). Console-script wrappers
are not written into the entry, because they name an interpreter: environments generate them.

Checks, before anything becomes visible: member names (absolute, ``..``, links) and declared
sizes, and every file's hash against the wheel's RECORD while it is written (one pass). In a wheel
of thousands of files, a helper process writes every other plain file (entry_files.py).
"""

from __future__ import annotations

import os
import stat
import sys
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from monotrail import paths
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.store import entry_files, layout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from installer.sources import WheelFile
    from installer.utils import Scheme

#: Upper bound for the unpacked size of one wheel; a larger one is refused as a likely zip bomb.
MAX_UNPACKED_BYTES = int(os.environ.get("MONOTRAIL_MAX_UNPACKED_BYTES", str(16 * 1024**3)))

#: From this many files on, a second process writes half of a wheel's files (see _Helper).
HELPER_MIN_FILES = 1500


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
    helper: _Helper | None = None

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
            if helper is not None and scheme == helper.scheme and path in helper.members:
                return RecordEntry(os.fspath(path), None, None)  # its hash comes in finalize
            # Scripts keep their ``#!python`` line; environments rewrite it for their interpreter.
            content = stream.read()
            value = entry_files.record_digest(content)
            target = os.path.join(scheme_dirs[scheme], os.fspath(path))
            entry_files.write_new_file(target, content, is_executable, made_dirs)
            written[target] = value
            return RecordEntry(os.fspath(path), Hash("sha256", value), len(content))

        def finalize_installation(  # type: ignore[override]
            self,
            scheme: Scheme,
            record_file_path: str,
            records: Iterable[tuple[Scheme, RecordEntry]],
        ) -> None:
            if helper is not None:
                done = helper.wait()
                for member, (value, _size) in done.items():
                    written[os.path.join(scheme_dirs[helper.scheme], member)] = value
                records = [
                    (s, RecordEntry(r.path, Hash("sha256", done[r.path][0]), done[r.path][1]))
                    if s == helper.scheme and r.hash_ is None and r.path in done
                    else (s, r)
                    for s, r in records
                ]
            super().finalize_installation(scheme, record_file_path, records)

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
            shared = _helper_share(archive, source)
            if shared:
                helper = _Helper(wheel, scheme_dirs[root_scheme], root_scheme, shared)
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
        if isinstance(err, OSError) and err.errno in layout.WRITE_ERRNOS:
            raise  # the disk, not the wheel: the store reports it
        raise MonotrailError(f"{wheel.name}: not a valid wheel: {_one_line(err)}") from None
    finally:
        if helper is not None:
            helper.stop()
    for path, digest in expected.items():
        if written.get(path) != digest:
            relative = os.path.relpath(path, root)
            raise MonotrailError(
                f"{wheel.name}: refused, {relative} does not match its hash in the wheel's RECORD"
            )
    return result


def _helper_share(archive: zipfile.ZipFile, source: WheelFile) -> list[str]:
    """Every other plain member of a large wheel, for the helper process (empty: no helper).

    Plain members go to the entry root under their own name; ``.data`` members, RECORD and
    ``__pycache__`` stay with installer, which treats them specially.
    """
    if (os.cpu_count() or 1) < 2 or not sys.executable:
        return []
    names = [info.filename for info in archive.infolist() if not info.filename.endswith("/")]
    if len(names) < HELPER_MIN_FILES or len(set(names)) != len(names):
        return []  # a member listed twice is refused by installer's side alone (O_EXCL)
    record = f"{source.dist_info_dir}/RECORD"
    data = f"{source.data_dir}/"
    plain = [
        n
        for n in names
        if n != record
        and not n.startswith(data)
        and "__pycache__" not in n.split("/")[:-1]
        and "\n" not in n  # the helper's listing has one name per line
    ]
    return plain[1::2]  # interleaved: big packages are contiguous in the archive


class _Helper:
    """A second process writing some of a wheel's files while installer writes the others.

    On this kind of machine creating a file costs more than decompressing and hashing it, and
    the kernel's work runs in parallel across processes (threads contend for the GIL after each
    call and measured slower). It runs entry_files.py with the interpreter running monotrail.
    """

    def __init__(self, wheel: Path, root: str, scheme: str, members: list[str]) -> None:
        import subprocess
        import tempfile

        self.scheme = scheme
        self.members = frozenset(members)
        fd, self._listing = tempfile.mkstemp(suffix=".txt", dir=paths.tmp_dir())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(members))
        logger.debug("%s: a helper process writes %d of its files", wheel.name, len(members))
        script = entry_files.__file__
        command = [sys.executable, "-I", "-S", script, str(wheel), root, self._listing]
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def wait(self) -> dict[str, tuple[str, int]]:
        """Member -> (urlsafe sha256, size) of every file the helper wrote."""
        assert self._proc is not None
        out, err = self._proc.communicate()
        code = self._proc.returncode
        self._proc = None
        os.unlink(self._listing)
        if code != 0:
            last = err.decode(errors="replace").strip().rpartition("\n")[2]
            errno_text, message, filename = (last.split("\t") + ["", "", ""])[:3]
            if code == 3:  # the same OSError as in this process: a full disk is the store's to say
                raise OSError(int(errno_text or 0), message, filename or None)
            raise ValueError(message or f"unpacking helper exited with {code}")
        done: dict[str, tuple[str, int]] = {}
        for line in out.decode("utf-8").splitlines():
            value, size, member = line.split("\t", 2)
            done[member] = (value, int(size))
        if set(done) != self.members:
            raise ValueError("unpacking helper did not write every file it was given")
        return done

    def stop(self) -> None:
        """After a failure: the helper must not write into a folder being removed."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
            os.unlink(self._listing)


def _one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return " ".join(text.split())[:300]
