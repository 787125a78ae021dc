"""Environments that are not a project's: a resolved package list made into an env record.

ppipx tools, PEP 723 scripts, git checkouts and notebooks resolve in their own ways; from the
package list on they share this step with ``sync.prepare``: fill the store, then write the record
(under the store lock, so that ``gc`` never sees entries that no record references yet).
"""

from __future__ import annotations

import json

from monotrail import environment, installation, paths, store, store_locks
from monotrail.interpreter import Interpreter
from monotrail.lock import LockedPackage
from monotrail.log import logger
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


def load_resolution(key: str) -> list[LockedPackage] | None:
    """The resolution remembered (``sync.save_resolution``) for env record ``key``, None when
    there is none or it is unreadable."""
    from monotrail.sync import _packages_from_json

    path = paths.locks_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    logger.debug("reusing the resolution in %s", path)
    return _packages_from_json(data)
