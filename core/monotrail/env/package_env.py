"""Environments that are not a project's: a resolved package list made into an env record.

ppipx tools, PEP 723 scripts, git checkouts and notebooks resolve in their own ways; from the
package list on they share this step with ``sync.prepare``: fill the store, then write the record
(under the store lock, so that ``gc`` never sees entries that no record references yet).
"""

from __future__ import annotations

from monotrail.env import writer
from monotrail.env.prepare import Prepared
from monotrail.lockfile.model import LockedPackage
from monotrail.python.interpreter import Interpreter
from monotrail.store import fill, layout, locks
from monotrail.targets.project_source import ProjectSource


def prepare(
    key: str,
    packages: list[LockedPackage],
    interpreter: Interpreter,
    meta: dict[str, object],
    source: ProjectSource | None = None,
) -> Prepared:
    """Install ``packages`` for ``interpreter`` and write the env record ``key``.

    ``meta`` says whose environment it is (``tool``, ``project``, ``inputs``: the gc roots).
    """
    layout.check_writable()
    with layout.write_errors(), locks.store_shared():
        report = fill.install(packages, interpreter)
        record = writer.write_record(
            key, interpreter, report.entries, source or ProjectSource(), meta
        )
    return Prepared(record, report)
