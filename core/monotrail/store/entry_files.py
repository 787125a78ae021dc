"""Writing a store entry's files, in monotrail's process and in its unpacking helper.

Stdlib only: besides being imported by unpack, this file is run as a script
(``python -I -S entry_files.py WHEEL ROOT LISTING [--no-hash]``) by a helper process that writes
some of a large wheel's files while installer writes the others (see unpack). For each file it
prints ``<urlsafe sha256><TAB><size><TAB><member>`` (an empty hash with ``--no-hash``); exit
status 3 means an OSError (a full disk: ``errno<TAB>strerror<TAB>filename`` on stderr), 4
anything else (a broken wheel).
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys
import zipfile


def record_digest(content: bytes) -> str:
    """The hash as RECORD files write it: urlsafe base64 of the sha256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).decode("ascii").rstrip("=")


#: The modes entry files are created with, before the umask: no write bits, as in the Nix
#: store (the umask still decides the group's and others' read and execute bits).
READ_ONLY, EXECUTABLE = 0o444, 0o555


def write_new_file(path: str, content: bytes, executable: bool, made_dirs: set[str]) -> None:
    """Create ``path``, read-only (never overwrite: a wheel listing a member twice is refused).

    The descriptor opened here may write; nothing that opens the file later may.
    """
    folder = os.path.dirname(path)
    if folder not in made_dirs:
        os.makedirs(folder, exist_ok=True)
        made_dirs.add(folder)
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, EXECUTABLE if executable else READ_ONLY
    )
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def is_executable(info: zipfile.ZipInfo) -> bool:
    """Whether a member has an executable bit (as installer and pip decide it)."""
    mode = info.external_attr >> 16
    return bool(mode and stat.S_ISREG(mode) and mode & 0o111)


def write_members(wheel: str, root: str, names: list[str], hashed: bool = True) -> list[str]:
    """Write ``names`` from ``wheel`` below ``root``; one output line per file."""
    made: set[str] = set()
    lines = []
    with zipfile.ZipFile(wheel) as archive:
        for name in names:
            info = archive.getinfo(name)
            content = archive.read(info)
            write_new_file(os.path.join(root, name), content, is_executable(info), made)
            digest = record_digest(content) if hashed else ""
            lines.append(f"{digest}\t{len(content)}\t{name}")
    return lines


def main(argv: list[str]) -> int:
    wheel, root, listing = argv[:3]
    with open(listing, encoding="utf-8") as handle:
        names = handle.read().split("\n")
    try:
        lines = write_members(wheel, root, names, hashed="--no-hash" not in argv[3:])
    except OSError as err:
        sys.stderr.write(f"{err.errno}\t{err.strerror}\t{err.filename or ''}\n")
        return 3
    except Exception as err:  # noqa: BLE001 - reported to the parent as "not a valid wheel"
        sys.stderr.write(f"0\t{type(err).__name__}: {err}\t\n")
        return 4
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
