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
import tempfile
import time
from pathlib import Path
from typing import Any

from monotrail import paths
from monotrail.errors import MonotrailError
from monotrail.names import canonical_name
from monotrail.python import interpreter
from monotrail.python.interpreter import Interpreter
from monotrail.resolve import pip_resolver
from monotrail.store import fill, layout, locks
from monotrail.targets import project as projects
from monotrail.targets.project import Project
from monotrail.venv import link


def install(options: argparse.Namespace, pip_args: list[str]) -> int:
    started = time.perf_counter()
    if not (options.requirements or options.requirement or options.editable):
        raise MonotrailError(
            "pip-monotrail install: name something to install (REQ..., -r FILE or -e PATH)"
        )
    if options.target:
        python = _target_python(options.python)
        scheme = link.target_scheme(Path(options.target).absolute(), python)
        return _into_scheme(options, pip_args, scheme, ignore_installed=True, started=started)
    venv = link.find_venv(options.python) if options.python else link.active_venv()
    if venv is not None:
        scheme = link.venv_scheme(venv)
        return _into_scheme(options, pip_args, scheme, ignore_installed=False, started=started)
    return _into_store(options, pip_args, started)


def _target_python(given: str | None) -> str:
    """The interpreter ``--python`` names (a venv's or a plain one), else the active venv's,
    else the one ``monotrail run`` would use."""
    venv = link.find_venv(given) if given else link.active_venv()
    if venv is not None:
        return str(link.venv_python(venv))
    from monotrail.cli.main import _target_executable

    return _target_executable(given)


def _resolve(
    options: argparse.Namespace, pip_args: list[str], target: Interpreter, ignore_installed: bool
) -> dict[str, Any]:
    """pip's report; written where ``--report`` says; "Would install" for ``--dry-run``."""
    report = pip_resolver.run_pip_report(pip_args, target, Path.cwd(), ignore_installed)
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


def _is_editable(item: dict[str, Any]) -> bool:
    return bool(item["download_info"].get("dir_info", {}).get("editable"))


def _into_scheme(
    options: argparse.Namespace,
    pip_args: list[str],
    scheme: link.Scheme,
    ignore_installed: bool,
    started: float,
) -> int:
    target = interpreter.query(scheme.python)
    report = _resolve(options, pip_args, target, ignore_installed)
    if options.dry_run:
        return 0
    items = _items(report)
    if not items:
        print("Requirement already satisfied: nothing to install")
        return 0
    stored = [i for i in items if not _is_editable(i)]
    packages = pip_resolver.packages_from_report({"install": stored})
    linked = link.LinkReport()
    # Until linked, nothing references the new entries: gc must wait.
    with layout.write_errors(), locks.store_shared():
        filled = fill.install(packages, target, compile_bytecode=not options.no_compile)
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
    names = sorted(f"{i['metadata']['name']}-{i['metadata']['version']}" for i in items)
    print("Successfully installed " + " ".join(names))
    _say_timing(filled, linked, started)
    return 0


def _install_editable(
    item: dict[str, Any], scheme: link.Scheme, target: Interpreter, present: dict[str, Any]
) -> None:
    """A PEP 660 editable wheel points at its source tree: it goes into the venv, not the store."""
    from urllib.parse import unquote, urlsplit

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


def _say_timing(filled: fill.InstallReport, linked: link.LinkReport | None, started: float) -> None:
    done = f"{len(filled.added)} added to the store, {len(filled.reused)} reused"
    if linked is not None:
        done += f"; {linked.files} files linked"
        done += f", {linked.copied} copied" if linked.copied else ""
    print(f"monotrail: {done} in {time.perf_counter() - started:.2f}s", file=sys.stderr)


def _requirement_projects(files: list[str]) -> list[Project]:
    """The projects whose own ``requirements.txt`` is among the ``-r`` files."""
    found = []
    for name in files:
        path = Path(name).absolute()
        if path.name == "requirements.txt" and projects.kind_of(str(path.parent)):
            project = projects.discover(explicit=path.parent)
            if project.kind == projects.REQUIREMENTS:
                found.append(project)
    return found


def _into_store(options: argparse.Namespace, pip_args: list[str], started: float) -> int:
    """No virtualenv: fill the store, record the resolution, never touch site-packages."""
    from monotrail.cli.main import _target_executable
    from monotrail.env import prepare
    from monotrail.env.launch import env_key
    from monotrail.lockfile import pylock

    if options.lock:
        pylock.check_name(Path(options.lock))
    recorded = _requirement_projects(options.requirement)
    # The interpreter `monotrail run` would pick in that project, so that the record fits it.
    chosen = _target_executable(options.python, recorded[0] if recorded else None)
    target = interpreter.query(chosen)
    report = _resolve(options, pip_args, target, ignore_installed=True)
    if options.dry_run:
        return 0
    packages = pip_resolver.packages_from_report(report)
    filled = fill.install(packages, target, compile_bytecode=not options.no_compile)
    print(
        f"Installed into monotrail's store for {target.executable}: "
        + " ".join(f"{p.name}-{p.version}" for p in packages)
    )
    for project in recorded:
        prepare.save_resolution(env_key(project, target.executable, [], []), packages)
    if options.lock:
        lock_path = Path(options.lock).absolute()
        pylock.write(lock_path, pylock.from_pip_report(report, target, lock_path.parent))
        print(f"Wrote {options.lock} ({len(packages)} packages)")
        if projects.kind_of(str(lock_path.parent)) == projects.PYLOCK:
            recorded.append(projects.discover(explicit=lock_path.parent))
    for project in recorded:
        prepare.prepare(project, target, [], [], not options.no_compile)
    if recorded:
        where = ", ".join(str(p.root) for p in recorded)
        print(f"Recorded for `monotrail run` (no resolving there): {where}")
    else:
        print(
            "No virtualenv is active, nothing was installed into one; `monotrail run` reads a "
            "project's requirements.txt or pylock.toml (see -r, --lock)",
            file=sys.stderr,
        )
    _say_timing(filled, None, started)
    return 0
