"""A wheel's RECORD and WHEEL files, as unpacking, verifying and linking into a venv read them.

RECORD (PEP 376, PEP 627) is a CSV file: one row per file of the distribution, with its path
relative to the folder holding the ``.dist-info``, ``sha256=<urlsafe base64 without padding>``
and its size; RECORD's own row has neither. WHEEL says where the archive's root goes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from monotrail.store.entry_files import record_digest


@dataclass(frozen=True)
class RecordRow:
    """One row of a RECORD: a file of the distribution."""

    #: Relative to the folder holding the ``.dist-info``, "/"-separated.
    path: str
    #: ``sha256=<urlsafe base64>`` as written; "" for RECORD itself.
    hash: str
    #: In bytes; None when not given.
    size: int | None

    @classmethod
    def of(cls, path: str, content: bytes) -> RecordRow:
        """The row of a file with ``content``."""
        return cls(path, f"sha256={record_digest(content)}", len(content))

    def sha256(self) -> str:
        """The digest in RECORD's encoding ("" without a hash); ValueError for another algorithm."""
        algorithm, _, value = self.hash.partition("=")
        if self.hash and algorithm != "sha256":
            raise ValueError(f"RECORD uses {algorithm!r} for {self.path}, expected sha256")
        return value


def read_record(text: str) -> list[RecordRow]:
    """The rows of a RECORD; ValueError when one is not ``path,hash,size``."""
    rows = []
    for number, fields in enumerate(csv.reader(text.splitlines()), 1):
        if len(fields) != 3:
            raise ValueError(f"RECORD row {number} has {len(fields)} fields, expected 3")
        path, hash_text, size = fields
        rows.append(RecordRow(path.replace("\\", "/"), hash_text, int(size) if size else None))
    return rows


def format_record(rows: Iterable[RecordRow]) -> str:
    """The text of a RECORD listing ``rows``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows((r.path, r.hash, "" if r.size is None else str(r.size)) for r in rows)
    return buffer.getvalue()


def root_is_purelib(wheel_text: str) -> bool:
    """Whether WHEEL puts the archive's root in purelib (else platlib), as installer decides."""
    from installer.utils import parse_metadata_file

    return bool(parse_metadata_file(wheel_text)["Root-Is-Purelib"] == "true")
