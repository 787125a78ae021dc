"""``monotrail python list|find|install|remove|shim``: the interpreters monotrail can run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cleo.helpers import argument

from monotrail._fs import atomic_publish
from monotrail.cli.base import MonotrailCommand
from monotrail.errors import MonotrailError


def _version_argument(text: str) -> tuple[int, ...]:
    from monotrail.python import request

    version = request.parse_request(text)
    if version is None:
        raise MonotrailError(f"{text!r} is not a Python version (expected X.Y or X.Y.Z)")
    if not request.is_supported(version):
        raise MonotrailError(f"Python {text} is not supported (monotrail needs 3.9 or newer)")
    return version


class PythonListCommand(MonotrailCommand):
    name = "python list"
    description = "List the Pythons on this machine and provisioned ones; mark the project's."
    help = "Examples:\n  monotrail python list"

    def handle(self) -> int:
        from monotrail.python import choice, discovery
        from monotrail.python.request import version_text
        from monotrail.targets import project

        found = discovery.survey()
        chosen, note = None, ""
        try:
            where = project.discover()
        except MonotrailError:
            note = "no project here: `run` would use the newest Python found"
        else:
            try:
                chosen, reason = choice.choose(None, where.root, allow_provision=False)
                note = f"the project in {where.root} uses the one marked * ({reason})"
            except MonotrailError as err:
                note = f"the project in {where.root}: {err}"
        rows = [("", "version", "source", "path", "")]
        for item in found:
            interp = item.interpreter
            version = interp.full_version if interp else version_text(item.version)
            mark = "*" if chosen == item.candidate.path else ""
            problem = f"({item.problem})" if item.problem else ""
            rows.append((mark, version or "?", item.candidate.source, item.candidate.path, problem))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        for row in rows:
            self.line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        self.line(note)
        return 0


class PythonFindCommand(MonotrailCommand):
    name = "python find"
    description = "Print the path of the Python that -p VERSION would use."
    help = (
        "Examples:\n"
        "  monotrail python find 3.12\n"
        '  "$(monotrail python find 3.11)" -m venv /tmp/venv-3.11'
    )
    arguments = [argument("version", "X.Y or X.Y.Z")]

    def handle(self) -> int:
        from monotrail.python import discovery
        from monotrail.python.request import version_text

        version = _version_argument(self.argument("version"))
        found = discovery.find(version)
        if found is None:
            have = [f.interpreter.full_version for f in discovery.survey() if f.interpreter]
            raise MonotrailError(
                f"no Python {version_text(version)} found (found: "
                f"{', '.join(have) or 'none'}); `monotrail python install "
                f"{version_text(version)}` provisions it"
            )
        self.line(found.candidate.path)
        return 0


class PythonInstallCommand(MonotrailCommand):
    name = "python install"
    description = "Provision a python-build-standalone CPython into the store."
    help = (
        "Downloads the newest install_only build matching VERSION from python-build-standalone\n"
        "(pbs-installer's version table and checksums), verifies its sha256 and unpacks it\n"
        "atomically below the store's interpreters/managed/.\n\n"
        "MONOTRAIL_PYTHON_MIRROR=URL replaces the GitHub release-download prefix (a mirror keeps\n"
        "the <release>/<file> layout). MONOTRAIL_PYTHON_DOWNLOADS_JSON=PATH|URL names a table in\n"
        "pbs-installer's versions.json format to use instead of the bundled one.\n\n"
        "Examples:\n"
        "  monotrail python install 3.12\n"
        "  MONOTRAIL_PYTHON_MIRROR=https://mirror.example/pbs monotrail python install 3.13.1"
    )
    arguments = [argument("version", "X.Y or X.Y.Z")]

    def handle(self) -> int:
        from monotrail.python import managed

        version = _version_argument(self.argument("version"))
        exe, added = managed.install(version)
        managed.keep(exe)
        if not added:
            self.line_error(f"{exe.parent.parent.name} is already provisioned")
        self.line(str(exe))
        return 0


class PythonRemoveCommand(MonotrailCommand):
    name = "python remove"
    description = "Remove provisioned Pythons matching VERSION from the store."
    help = (
        "Examples:\n"
        "  monotrail python remove 3.12      # every provisioned 3.12.x\n"
        "  monotrail python remove 3.12.4"
    )
    arguments = [argument("version", "X.Y or X.Y.Z")]

    def handle(self) -> int:
        from monotrail.python import managed

        for root in managed.remove(_version_argument(self.argument("version"))):
            self.line(f"removed {root}")
        return 0


class PythonShimCommand(MonotrailCommand):
    name = "python shim"
    description = "Create python, python3 and python3.X symlinks to monotrail in DIR."
    help = (
        "Each link behaves like `monotrail run [-p 3.X] python` in the project of the working\n"
        "directory (and like the plain interpreter outside projects). Put DIR first on PATH:\n"
        '  export PATH="DIR:$PATH"\n'
        "and scripts starting with #!/usr/bin/env python3 run with their project's environment.\n\n"
        "Examples:\n"
        "  monotrail python shim ~/.local/monotrail-shims"
    )
    arguments = [argument("dir", "The folder for the links (created if missing).")]

    def handle(self) -> int:
        from monotrail.python import discovery

        launcher = _launcher()
        folder = Path(self.argument("dir")).expanduser().absolute()
        folder.mkdir(parents=True, exist_ok=True)
        minors = sorted(
            {f.interpreter.version[:2] for f in discovery.survey() if f.interpreter is not None}
        )
        names = ["python", "python3", *(f"python{major}.{minor}" for major, minor in minors)]
        for name in names:
            link = folder / name
            if link.exists() and not link.is_symlink():
                raise MonotrailError(f"{link}: exists and is not a symlink; not replacing it")
            atomic_publish(link, lambda tmp: os.symlink(launcher, tmp))
            self.line(f"{link} -> {launcher}")
        self.line(f'Put it first on PATH: export PATH="{folder}:$PATH"')
        return 0


def _launcher() -> str:
    """The ``monotrail`` console script running now (the links' target)."""
    import shutil

    here = os.path.abspath(sys.argv[0])
    if os.path.basename(here) == "monotrail" and os.path.isfile(here):
        return here
    found = shutil.which("monotrail")
    if found is None:
        raise MonotrailError("cannot find the monotrail command to link to (is it on PATH?)")
    return os.path.abspath(found)


def python_commands() -> list[MonotrailCommand]:
    return [
        PythonListCommand(),
        PythonFindCommand(),
        PythonInstallCommand(),
        PythonRemoveCommand(),
        PythonShimCommand(),
    ]
