"""``venv-install`` and ``export-venv``: real virtualenvs whose packages are linked from the store.

Both put store entries into a venv with ``venv/link.py`` (hard links, an installer's dist-info and
console scripts), so pip and IDEs see ordinary installations.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cleo.helpers import argument, option

from monotrail.cli.base import MonotrailCommand, ProjectCommand
from monotrail.errors import MonotrailError

if TYPE_CHECKING:
    from monotrail.python.interpreter import Interpreter
    from monotrail.store import bytecode
    from monotrail.store.fill import Entry


def venv_from_option(value: str | None) -> Path:
    """The virtualenv named by ``--python`` (its folder or its interpreter), else the active one."""
    from monotrail.venv import link

    if value:
        found = link.find_venv(value)
        if found is None:
            raise MonotrailError(f"{value}: not a virtualenv (no pyvenv.cfg) nor its interpreter")
        return found
    active = link.active_venv()
    if active is None:
        raise MonotrailError("no virtualenv is active: activate one or name it with --python VENV")
    return active


def _summary(report: object, started: float) -> str:
    files, copied = getattr(report, "files", 0), getattr(report, "copied", 0)
    how = f"{files} files linked" if not copied else f"{files} files, {copied} copied"
    return f"({how}) in {time.perf_counter() - started:.2f}s"


class VenvInstallCommand(MonotrailCommand):
    name = "venv-install"
    description = "Install wheel files into a virtualenv, linked from the store (no resolution)."
    help = (
        "Each wheel is unpacked into the global store once, then its files are hard-linked into\n"
        "the virtualenv with the dist-info, RECORD and console scripts an installer writes, so\n"
        "pip list/uninstall/check see it. Dependencies are not resolved (like `installer`).\n\n"
        "Examples:\n"
        "  monotrail venv-install dist/mypkg-1.0-py3-none-any.whl   # into the active venv\n"
        "  monotrail venv-install -p .venv wheels/*.whl"
    )
    arguments = [argument("wheels", "Wheel files to install.", multiple=True)]
    options = [
        option(
            "python",
            "p",
            "The virtualenv (its folder or its python); default: the active one.",
            flag=False,
        ),
        option("no-compile", None, "Do not compile bytecode."),
    ]

    def handle(self) -> int:
        from monotrail.python import interpreter
        from monotrail.store import bytecode, layout, locks
        from monotrail.venv import link

        started = time.perf_counter()
        venv = venv_from_option(self.option("python"))
        scheme = link.venv_scheme(venv)
        target = interpreter.query(scheme.python)
        # Until linked, nothing references the new entries: gc must wait.
        with layout.write_errors(), locks.store_shared(), bytecode.Compiler(target) as compiler:
            wheels = self.argument("wheels")
            compiling = None if self.option("no-compile") else compiler
            entries, direct_urls = _unpack(wheels, target, scheme.python, compiling)
            if compiling is not None:
                compiler.compile_in_place(e.path for e in entries)  # those made by another Python
            present = link.installed(scheme)
            report = link.LinkReport()
            for entry, url in zip(entries, direct_urls, strict=True):
                link.replace(entry, scheme, present, report, requested=True, direct_url=url)
        self.line(f"Installed {' '.join(report.installed)} into {venv} {_summary(report, started)}")
        return 0


def _unpack(
    wheels: list[str], target: Interpreter, python: str, compiler: bytecode.Compiler | None
) -> tuple[list[Entry], list[dict[str, object]]]:
    """Store entries of the wheel files, and the PEP 610 record of where each came from; new
    entries are compiled by ``compiler`` before they are published."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from monotrail.store import fill

    entries = []
    direct_urls: list[dict[str, object]] = []
    for given in wheels:
        wheel = Path(given).absolute()
        if not wheel.is_file():
            raise MonotrailError(f"{given}: no such wheel file")
        try:
            name, version, _, tags = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename as err:
            raise MonotrailError(f"{given}: not a wheel file name: {err}") from None
        if not {str(t) for t in tags} & set(target.tags):
            raise MonotrailError(f"{given}: not a supported wheel for {python} ({target.tags[0]})")
        path, _made = fill.unpack_into_store(wheel, str(name), str(version), compiler)
        entries.append(fill.read_entry(path))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        archive_info = {"hash": f"sha256={digest}", "hashes": {"sha256": digest}}
        direct_urls.append({"url": wheel.as_uri(), "archive_info": archive_info})
    return entries, direct_urls


class ExportVenvCommand(ProjectCommand):
    name = "export-venv"
    description = "Make a real virtualenv of the project's environment, linked from the store."
    help = (
        "For IDEs and tools that need a virtualenv: DIR gets exactly the packages `monotrail run`\n"
        "would use (created if missing, brought in line if it is a venv already), hard-linked\n"
        "from the store, plus a .pth file that makes the project's own source importable.\n\n"
        "Examples:\n"
        "  monotrail export-venv .venv\n"
        "  monotrail export-venv -E plotting -p 3.12 /tmp/ide-venv"
    )
    arguments = [argument("directory", "Where the virtualenv goes.")]

    def handle(self) -> int:
        from monotrail.python import interpreter
        from monotrail.store import fill
        from monotrail.venv import link

        started = time.perf_counter()
        folder = Path(self.argument("directory")).absolute()
        if folder.exists() and link.find_venv(folder) != folder:
            if any(folder.iterdir()):
                raise MonotrailError(f"{folder}: exists and is not a virtualenv; pick another")
            folder.rmdir()
        env = self.prepare()
        target = interpreter.query(env.python)
        if not folder.exists():
            link.make_venv(folder, target.executable)
        scheme = link.venv_scheme(folder)
        if scheme.cache_tag != target.cache_tag:
            raise MonotrailError(
                f"{folder}: a virtualenv of another Python ({scheme.cache_tag}, not "
                f"{target.cache_tag}); remove it or pass its interpreter with -p"
            )
        stored = [fill.read_entry(Path(p)) for p in env.record["entries"]]
        report = link.sync(stored, scheme, exact=True)
        heads = env.record["head"]
        pth = scheme.purelib / "_monotrail_project.pth"
        pth.write_text("".join(f"{h}\n" for h in heads), encoding="utf-8")
        self.line(
            f"Exported {len(env.packages)} packages of {env.record['project']} "
            f"to {folder}: "
            f"{len(report.installed)} linked, {len(report.removed)} removed, "
            f"{len(report.unchanged)} unchanged {_summary(report, started)}"
        )
        return 0
