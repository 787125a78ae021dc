"""Unpack one wheel into a store entry: installer reads the wheel, EntryDestination writes it.

EntryDestination is a destination of installer's public ``install()`` (a ``WheelDestination``).
The entry root holds what a wheel puts in purelib/platlib (a valid sys.path root); its scripts go
to ``bin/`` (as with ``pip install --target``), the other ``.data`` parts below
``.monotrail-data/`` (``headers``, ``data``). Console-script wrappers are not written into the
entry, because they name an interpreter: environments generate them. The entry's RECORD lists
every file with its path in the entry.

Checks, before anything becomes visible: member names (absolute, ``..``, links) and declared
sizes, and every file's hash against the wheel's RECORD while it is written (one pass). In a wheel
of thousands of files, a helper process writes every other plain file (entry_files.py).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from installer.destinations import WheelDestination
from installer.records import Hash, RecordEntry

from monotrail import paths
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.store import entry_files, layout
from monotrail.store.dist_info import RecordRow, format_record, read_record, root_is_purelib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from installer.scripts import ScriptSection
    from installer.sources import WheelFile
    from installer.utils import Scheme

#: Upper bound for the unpacked size of one wheel; a larger one is refused as a likely zip bomb.
MAX_UNPACKED_BYTES = int(os.environ.get("MONOTRAIL_MAX_UNPACKED_BYTES", str(16 * 1024**3)))

#: From this many files on, a second process writes half of a wheel's files (see _Helper).
HELPER_MIN_FILES = 1500

#: Where each scheme's files go, relative to the entry ("": its root, a sys.path entry).
SCHEME_FOLDERS = {
    "purelib": "",
    "platlib": "",
    "scripts": f"{paths.ENTRY_SCRIPTS_DIR}/",
    "headers": f"{paths.ENTRY_DATA_DIR}/headers/",
    "data": f"{paths.ENTRY_DATA_DIR}/data/",
}


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
    from installer import install
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile
    from installer.utils import parse_metadata_file

    helper: _Helper | None = None
    try:
        with zipfile.ZipFile(wheel) as archive:
            check_members(wheel, archive)
            source = WheelFile(archive)
            source.validate_record(validate_contents=False)
            metadata = parse_metadata_file(source.read_dist_info("METADATA"))
            shared = _helper_share(archive, source)
            helper = _Helper(wheel, root, shared) if shared else None
            destination = EntryDestination(wheel, root, source, helper)
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
    destination.check_hashes()
    name, version = str(metadata["Name"]), str(metadata["Version"])
    return InstalledWheel(name, version, destination.console_scripts, destination.gui_scripts)


class EntryDestination(WheelDestination):
    """Where installer's ``install()`` puts one wheel: a store entry being made.

    Files are created with plain ``os`` calls, not installer's pathlib-based writer: per-file
    overhead decides the time of wheels with thousands of files (check_members already refused
    paths that leave the entry). Each is hashed as it is written, for the entry's RECORD and
    for ``check_hashes``. Entry points are collected, not written.
    """

    def __init__(self, wheel: Path, root: Path, source: WheelFile, helper: _Helper | None) -> None:
        self.wheel = wheel
        self.root = str(root)
        #: purelib or platlib, as WHEEL says: installer's scheme for the archive's root.
        self.root_scheme = (
            "purelib" if root_is_purelib(source.read_dist_info("WHEEL")) else "platlib"
        )
        #: The process writing some of the root scheme's files, if any.
        self.helper = helper
        #: Entry-relative path -> sha256 (RECORD's encoding) of each file the wheel's RECORD hashes.
        self.expected = self._expected(source)
        #: The rows of the entry's RECORD: every file written so far.
        self.rows: list[RecordRow] = []
        self.made_dirs: set[str] = set()
        self.console_scripts: dict[str, str] = {}
        self.gui_scripts: dict[str, str] = {}

    def _expected(self, source: WheelFile) -> dict[str, str]:
        expected = {}
        for row in read_record(source.read_dist_info("RECORD")):
            if not row.hash or "__pycache__" in row.path.split("/")[:-1]:
                continue  # RECORD itself; bytecode, which installer skips
            try:
                digest = row.sha256()
            except ValueError as err:
                raise MonotrailError(f"{self.wheel.name}: {err}") from None
            expected[_entry_path(row.path, source.data_dir)] = digest
        return expected

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        scripts = self.console_scripts if section == "console" else self.gui_scripts
        scripts[name] = f"{module}:{attr}"
        return RecordEntry(name, None, None)  # nothing written

    def write_file(
        self,
        scheme: Scheme,
        path: str | os.PathLike[str],
        stream: BinaryIO,
        is_executable: bool,
    ) -> RecordEntry:
        member = os.fspath(path)
        if self.helper is not None and scheme == self.root_scheme and member in self.helper.members:
            return RecordEntry(member, None, None)  # the helper's: recorded in finalize
        # Scripts keep their ``#!python`` line; environments rewrite it for their interpreter.
        content = stream.read()
        row = RecordRow.of(SCHEME_FOLDERS[scheme] + member, content)
        target = os.path.join(self.root, row.path)
        entry_files.write_new_file(target, content, is_executable, self.made_dirs)
        self.rows.append(row)
        return RecordEntry(member, Hash("sha256", row.sha256()), row.size)

    def finalize_installation(
        self,
        scheme: Scheme,
        record_file_path: str,
        records: Iterable[tuple[Scheme, RecordEntry]],
    ) -> None:
        """Write the entry's RECORD: the files written here and by the helper."""
        if self.helper is not None:
            for member, (value, size) in self.helper.wait().items():
                self.rows.append(RecordRow(member, f"sha256={value}", size))
        record_path = SCHEME_FOLDERS[scheme] + record_file_path
        self.rows.append(RecordRow(record_path, "", None))
        content = format_record(sorted(self.rows, key=lambda row: row.path)).encode()
        target = os.path.join(self.root, record_path)
        entry_files.write_new_file(target, content, False, self.made_dirs)

    def check_hashes(self) -> None:
        """Refuse the wheel unless each file its RECORD hashes was written with that hash."""
        written = {row.path: row.sha256() for row in self.rows}
        for path, digest in self.expected.items():
            if written.get(path) != digest:
                problem = f"{path} does not match its hash in the wheel's RECORD"
                raise MonotrailError(f"{self.wheel.name}: refused, {problem}")


def _entry_path(member: str, data_dir: str) -> str:
    """Where installer puts the archive's ``member``, relative to the entry."""
    folder, _, rest = member.partition("/")
    if folder != data_dir:
        return member
    scheme, _, rest = rest.partition("/")
    if scheme not in SCHEME_FOLDERS:
        raise ValueError(f"{member} is not in a valid .data subdirectory")
    return SCHEME_FOLDERS[scheme] + rest


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

    def __init__(self, wheel: Path, root: Path, members: list[str]) -> None:
        import subprocess
        import tempfile

        from monotrail._lifeline import Helper

        self.members = frozenset(members)
        fd, self._listing = tempfile.mkstemp(suffix=".txt", dir=paths.tmp_dir())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(members))
        logger.debug("%s: a helper process writes %d of its files", wheel.name, len(members))
        script = entry_files.__file__
        command = [sys.executable, "-I", "-S", script, str(wheel), str(root), self._listing]
        self._proc: subprocess.Popen[bytes] | None = Helper(
            command, [self._listing], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def wait(self) -> dict[str, tuple[str, int]]:
        """Member -> (urlsafe sha256, size) of every file the helper wrote."""
        assert self._proc is not None
        out, err = self._proc.communicate()
        code = self._proc.returncode
        self._proc = None
        self._remove_listing()
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
            self._remove_listing()

    def _remove_listing(self) -> None:
        """Its file list; already gone when the helper was stopped (its supervisor removes it)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._listing)


def _one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return " ".join(text.split())[:300]
