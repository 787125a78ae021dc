"""pip's installation report into a virtualenv or ``--target`` folder, as ``pip install``.

Every distribution pip chose is unpacked into the store once and linked into the folder
(link.py). A PEP 660 editable wheel points at one source tree: it is built and installed
straight into the folder, never into the store.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from monotrail import paths
from monotrail.names import canonical_name
from monotrail.python import interpreter
from monotrail.python.interpreter import Interpreter
from monotrail.resolve import pip_resolver
from monotrail.store import fill, layout, locks
from monotrail.venv import link


def install(
    report: dict[str, Any], scheme: link.Scheme, compile_bytecode: bool
) -> tuple[fill.FillReport, link.LinkReport]:
    """Install the report's distributions into ``scheme``: what the store did, and the links."""
    target = interpreter.query(scheme.python)
    items: list[dict[str, Any]] = report.get("install", [])
    stored = [i for i in items if not _is_editable(i)]
    packages = pip_resolver.packages_from_report({"install": stored})
    linked = link.LinkReport()
    # Until linked, nothing references the new entries: gc must wait.
    with layout.write_errors(), locks.store_shared():
        filled = fill.fill_store(packages, target, compile_bytecode=compile_bytecode)
        present = link.installed(scheme)
        for item, entry in zip(stored, filled.entries, strict=True):
            link.replace(
                entry,
                scheme,
                present,
                linked,
                requested=bool(item.get("requested")),
                direct_url=item["download_info"] if item.get("is_direct") else None,
            )
        for item in items:
            if _is_editable(item):
                _install_editable(item, scheme, target, present)
    return filled, linked


def _is_editable(item: dict[str, Any]) -> bool:
    return bool(item["download_info"].get("dir_info", {}).get("editable"))


def _install_editable(
    item: dict[str, Any],
    scheme: link.Scheme,
    target: Interpreter,
    present: dict[str, link.Installed],
) -> None:
    from monotrail.fetch import sdist_build

    source = Path(unquote(urlsplit(item["download_info"]["url"]).path))
    old = present.pop(canonical_name(item["metadata"]["name"]), None)
    if old is not None:
        link.remove(old)
    with tempfile.TemporaryDirectory(dir=paths.tmp_dir()) as out:
        wheel = sdist_build.build_tree(
            source, Path(out), target, label=str(source), distribution="editable"
        )
        link.install_wheel(
            wheel,
            scheme,
            requested=bool(item.get("requested")),
            direct_url=item["download_info"],
        )
