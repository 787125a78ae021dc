"""``pip-monotrail install``: pip resolves, the store is filled, the result is linked or recorded.

Into a virtualenv (or ``--target``) pip resolves against what is installed there, as a plain
``pip install`` would, and the store entries are linked in. Without one, pip resolves for the
target interpreter ignoring its site-packages; the store is filled and, for a ``-r`` file that is
a project's ``requirements.txt``, the resolution is recorded so that ``monotrail run`` in that
project starts without resolving. ``--lock FILE`` writes it as a PEP 751 ``pylock.toml``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from monotrail import api
from monotrail.errors import MonotrailError


def install(options: argparse.Namespace, pip_args: list[str]) -> int:
    started = time.perf_counter()
    if not (options.requirements or options.requirement or options.editable):
        raise MonotrailError(
            "pip-monotrail install: name something to install (REQ..., -r FILE or -e PATH)"
        )
    if options.target:
        site = api.folder_site(options.target, _target_python(options.python))
        return _into_site(options, pip_args, site, ignore_installed=True, started=started)
    venv = api.find_venv(options.python)
    if venv is not None:
        site = api.venv_site(venv)
        return _into_site(options, pip_args, site, ignore_installed=False, started=started)
    return _into_store(options, pip_args, started)


def _target_python(given: str | None) -> str:
    """The interpreter ``--python`` names (a venv's or a plain one), else the active venv's,
    else the one ``monotrail run`` would use."""
    venv = api.find_venv(given)
    if venv is not None:
        return api.venv_python(venv)
    return api.choose_python(given)


def _resolve(
    options: argparse.Namespace, pip_args: list[str], python: str, ignore_installed: bool
) -> dict[str, Any]:
    """pip's report; written where ``--report`` says; "Would install" for ``--dry-run``."""
    report = api.resolve_requirements(pip_args, python, ignore_installed)
    if options.report:
        text = json.dumps(report, indent=2)
        if options.report == "-":
            print(text)
        else:
            Path(options.report).write_text(text + "\n", encoding="utf-8")
    if options.dry_run:
        items = sorted((i["metadata"]["name"], i["metadata"]["version"]) for i in _items(report))
        print("Would install " + " ".join(f"{name}-{version}" for name, version in items))
    return report


def _items(report: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = report.get("install", [])
    return items


def _into_site(
    options: argparse.Namespace,
    pip_args: list[str],
    site: api.Site,
    ignore_installed: bool,
    started: float,
) -> int:
    report = _resolve(options, pip_args, site.python, ignore_installed)
    if options.dry_run:
        return 0
    items = _items(report)
    if not items:
        print("Requirement already satisfied: nothing to install")
        return 0
    linked = api.link_into(site, report, compile_bytecode=not options.no_compile)
    names = sorted(f"{i['metadata']['name']}-{i['metadata']['version']}" for i in items)
    print("Successfully installed " + " ".join(names))
    _say_timing(linked, started)
    return 0


def _say_timing(result: api.StoreFill, started: float) -> None:
    done = f"{len(result.added)} added to the store, {len(result.reused)} reused"
    if isinstance(result, api.Linked):
        done += f"; {result.files} files linked"
        done += f", {result.copied} copied" if result.copied else ""
    print(f"monotrail: {done} in {time.perf_counter() - started:.2f}s", file=sys.stderr)


def _project_in(folder: Path, kind: str) -> api.Project | None:
    """The project of ``kind`` in ``folder``, if that folder is one."""
    try:
        project = api.find_project(folder)
    except MonotrailError:
        return None
    return project if project.kind == kind else None


def _requirement_projects(files: list[str]) -> list[api.Project]:
    """The projects whose own ``requirements.txt`` is among the ``-r`` files."""
    found = []
    for name in files:
        path = Path(name).absolute()
        if path.name == "requirements.txt":
            project = _project_in(path.parent, api.REQUIREMENTS)
            if project is not None:
                found.append(project)
    return found


def _into_store(options: argparse.Namespace, pip_args: list[str], started: float) -> int:
    """No virtualenv: fill the store, record the resolution, never touch site-packages."""
    if options.lock:
        api.check_pylock_name(options.lock)
    recorded = _requirement_projects(options.requirement)
    # The interpreter `monotrail run` would pick in that project, so that the record fits it.
    chosen = api.choose_python(options.python, recorded[0].root_dir if recorded else None)
    report = _resolve(options, pip_args, chosen, ignore_installed=True)
    if options.dry_run:
        return 0
    filled = api.fill_store(report, chosen, compile_bytecode=not options.no_compile)
    print(f"Installed into monotrail's store for {filled.python}: " + " ".join(filled.packages))
    for project in recorded:
        api.record_resolution(project, chosen, report)
    if options.lock:
        api.write_pylock(options.lock, report, chosen)
        print(f"Wrote {options.lock} ({len(filled.packages)} packages)")
        locked = _project_in(Path(options.lock).absolute().parent, api.PYLOCK)
        if locked is not None:
            recorded.append(locked)
    for project in recorded:
        api.prepare_project(project, chosen, compile_bytecode=not options.no_compile)
    if recorded:
        where = ", ".join(str(p.root) for p in recorded)
        print(f"Recorded for `monotrail run` (no resolving there): {where}")
    else:
        print(
            "No virtualenv is active, nothing was installed into one; `monotrail run` reads a "
            "project's requirements.txt or pylock.toml (see -r, --lock)",
            file=sys.stderr,
        )
    _say_timing(filled, started)
    return 0
