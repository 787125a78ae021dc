"""Environments that are not a project's: a resolved package list made into an env record.

ppipx tools, PEP 723 scripts, git checkouts and notebooks resolve in their own ways; from the
package list on they share this step with ``sync.prepare``: fill the store, then write the record
(under the store lock, so that ``gc`` never sees entries that no record references yet).
"""

from __future__ import annotations

from monotrail import environment, installation, store, store_locks
from monotrail.interpreter import Interpreter
from monotrail.lock import LockedPackage
from monotrail.project_source import ProjectSource
from monotrail.sync import Prepared


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
    store.check_writable()
    with store.write_errors(), store_locks.store_shared():
        report = installation.install(packages, interpreter)
        record = environment.write_record(
            key, interpreter, report.entries, source or ProjectSource(), meta
        )
    return Prepared(record, report)
