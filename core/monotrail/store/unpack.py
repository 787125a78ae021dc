"""Unpack one wheel into a store entry: installer reads the wheel, EntryDestination writes it.

EntryDestination is a destination of installer's public ``install()`` (a ``WheelDestination``).
The entry root holds what a wheel puts in purelib/platlib (a valid sys.path root); its scripts go
to ``bin/`` (as with ``pip install --target``), the other ``.data`` parts below
``.monotrail-data/`` (``headers``, ``data``). Console-script wrappers are not written into the
entry, because they name an interpreter: environments generate them. The entry's RECORD lists
every file with its path in the entry.

Checks, before anything becomes visible: member names (absolute, ``..``, links), declared
sizes, each member's CRC (zipfile), then hashes, by one rule:

- with the lock's sha256 of the wheel, the archive is hashed and checked against it, and its
  members are not hashed: the locked archive is the integrity boundary (as for pip and uv). The
  entry's RECORD keeps the hashes the wheel's RECORD declares, which ``store verify`` checks;
- without one, every file is hashed while it is written (one pass) and checked against the
  wheel's RECORD, as PEP 427 asks.

Hashing the members of a wheel takes several times as long as hashing its archive (they are
larger unpacked, and hashed one call each: ``bench/unpack_costs.py``). In a wheel of thousands
of files, a helper process writes every other plain file (entry_files.py); several wheels are
unpacked at once by worker processes (:class:`Unpacker`).
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

    from monotrail._lifeline import Helper

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


def check_archive(wheel: Path, sha256: str) -> None:
    """Refuse ``wheel`` unless its sha256 is the lock's (a cached file changed since download)."""
    from monotrail._fs import sha256_file

    actual = sha256_file(wheel)
    if actual != sha256.lower():
        raise MonotrailError(
            f"{wheel.name}: refused, its sha256 is {actual} but the lock says {sha256.lower()} "
            f"(delete {wheel} to download it again)"
        )


def unpack(wheel: Path, root: Path, sha256: str = "") -> InstalledWheel:
    """Unpack ``wheel`` into the empty directory ``root`` (a store entry being made); ``sha256``:
    the lock's hash of the wheel, if it has one (see the module docstring)."""
    from installer import install
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile
    from installer.utils import parse_metadata_file

    if sha256:
        check_archive(wheel, sha256)
    helper: _Helper | None = None
    try:
        with zipfile.ZipFile(wheel) as archive:
            check_members(wheel, archive)
            source = WheelFile(archive)
            source.validate_record(validate_contents=False)
            metadata = parse_metadata_file(source.read_dist_info("METADATA"))
            shared = _helper_share(archive, source)
            helper = _Helper(wheel, root, shared, hashed=not sha256) if shared else None
            destination = EntryDestination(wheel, root, source, helper, hashed=not sha256)
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
    paths that leave the entry). Unless the archive's hash was checked, each is hashed as it is
    written, for the entry's RECORD and for ``check_hashes``. Entry points are collected, not
    written.
    """

    def __init__(
        self, wheel: Path, root: Path, source: WheelFile, helper: _Helper | None, hashed: bool
    ) -> None:
        self.wheel = wheel
        #: Whether each file is hashed as written (else its RECORD row keeps the wheel's hash).
        self.hashed = hashed
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
        path = SCHEME_FOLDERS[scheme] + member
        if self.hashed or path not in self.expected:
            row = RecordRow.of(path, content)
        else:
            row = RecordRow(path, f"sha256={self.expected[path]}", len(content))
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
                value = value or self.expected.get(member, "")
                self.rows.append(RecordRow(member, f"sha256={value}" if value else "", size))
        record_path = SCHEME_FOLDERS[scheme] + record_file_path
        self.rows.append(RecordRow(record_path, "", None))
        content = format_record(sorted(self.rows, key=lambda row: row.path)).encode()
        target = os.path.join(self.root, record_path)
        entry_files.write_new_file(target, content, False, self.made_dirs)

    def check_hashes(self) -> None:
        """Refuse the wheel unless each file its RECORD hashes was written with that hash (or,
        when files were not hashed, was written at all)."""
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

    def __init__(self, wheel: Path, root: Path, members: list[str], hashed: bool) -> None:
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
        command += [] if hashed else ["--no-hash"]
        self._proc: subprocess.Popen[bytes] | None = Helper(
            command, [self._listing], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def wait(self) -> dict[str, tuple[str, int]]:
        """Member -> (urlsafe sha256 or "" when not hashed, size) of every file the helper
        wrote."""
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


class Unpacker:
    """Worker processes that unpack wheels, one wheel each at a time, for the threads that fill
    the store; started as needed, at most ``workers``; use it as a context manager, which stops
    them. With ``workers`` 1, wheels are unpacked in this process (one wheel does not pay for a
    worker's start).

    Creating files is kernel work that runs in parallel across processes, and installer's
    per-file Python work runs in parallel only there (threads take turns on the GIL). A worker
    is monotrail's interpreter running :func:`serve` with monotrail's ``sys.path``; it hangs on
    a lifeline (``_lifeline``), so none outlives a killed monotrail.
    """

    def __init__(self, workers: int) -> None:
        from monotrail._lifeline import Pool

        self.workers = Pool(self._start, workers) if workers > 1 and sys.executable else None

    def __enter__(self) -> Unpacker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.workers is not None:
            self.workers.close()

    def unpack(self, wheel: Path, root: Path, sha256: str = "") -> InstalledWheel:
        """As :func:`unpack`, in a worker."""
        if self.workers is None:
            return unpack(wheel, root, sha256)
        import json

        worker = self.workers.wait_for_one()
        assert worker.stdin is not None and worker.stdout is not None
        job = json.dumps({"wheel": str(wheel), "root": str(root), "sha256": sha256})
        try:
            worker.stdin.write(job.encode() + b"\n")
            worker.stdin.flush()
            line = worker.stdout.readline()
        except OSError:
            line = b""
        if not line:  # it died: its stderr says why
            raise self._failure(worker, wheel)
        self.workers.give_back(worker)
        answer = json.loads(line)
        if "refused" in answer:
            raise MonotrailError(answer["refused"])
        if "oserror" in answer:
            raise OSError(*answer["oserror"])
        return InstalledWheel(**answer["unpacked"])

    def _start(self) -> Helper:
        import subprocess

        from monotrail._lifeline import Helper

        logger.debug("unpacking wheels: a worker process")
        command = [
            sys.executable,
            "-I",
            "-S",
            "-W",
            "ignore",
            "-c",
            _WORKER,
            *filter(None, sys.path),
        ]
        return Helper(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def _failure(self, worker: Helper, wheel: Path) -> MonotrailError:
        assert self.workers is not None
        why = self.workers.failure(worker)
        return MonotrailError(f"{wheel.name}: the unpacking worker failed: {why}")


#: A worker's program: monotrail's ``sys.path`` comes as arguments (``-I -S``: no site).
_WORKER = "import sys; sys.path[:0] = sys.argv[1:]; import monotrail.store.unpack as u; u.serve()"


def serve() -> None:
    """A worker's loop: a JSON job per line of stdin, a JSON answer per line of stdout, until
    stdin ends. A wheel refused, or a disk error, is an answer; anything else ends the worker,
    with its traceback on stderr."""
    import json
    from dataclasses import asdict

    for line in sys.stdin:
        job = json.loads(line)
        try:
            done = unpack(Path(job["wheel"]), Path(job["root"]), job["sha256"])
            answer: dict[str, object] = {"unpacked": asdict(done)}
        except MonotrailError as err:
            answer = {"refused": str(err)}
        except OSError as err:
            answer = {"oserror": [err.errno, err.strerror, err.filename]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return " ".join(text.split())[:300]
