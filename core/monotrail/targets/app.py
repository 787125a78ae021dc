"""ppipx: run an app from the package index with nothing installed outside the store.

The environment of an app is keyed by the app, its extras, ``--version`` and ``--with``
requirements, and the interpreter; the first run resolves with pip's resolver (the newest version
unless ``--version``) and remembers the resolution, later runs read the env record and start
(stdlib only: ``env_key`` and ``pick_command`` are on that fast path).
"""

from __future__ import annotations

from monotrail.env import launch
from monotrail.errors import MonotrailError
from monotrail.names import canonical_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from monotrail.env.prepare import Target
    from monotrail.env.record import EnvRecord, Owner
    from monotrail.lockfile.model import LockedPackage
    from monotrail.python.interpreter import Interpreter


class App:
    """Which app to run, and with what (a plain class: dataclasses cost ~10 ms to import)."""

    def __init__(self) -> None:
        #: The distribution that provides the app.
        self.package = ""
        #: The version wanted; None for the newest (resolved once).
        self.version: str | None = None
        self.extras: list[str] = []
        #: More requirements installed beside it (``--with``).
        self.with_requirements: list[str] = []
        #: The console script to run; None for the one named like the package.
        self.command: str | None = None
        #: Resolve again even when a resolution is kept.
        self.refresh = False


def requirement(args: App) -> str:
    """The app as a PEP 508 requirement: ``name[extras]==version``."""
    extras = f"[{','.join(sorted(set(args.extras)))}]" if args.extras else ""
    pin = f"=={args.version}" if args.version else ""
    return f"{args.package}{extras}{pin}"


def env_key(args: App, executable: str) -> str:
    inputs = [
        f"ppipx={canonical_name(args.package)}",
        f"version={args.version or ''}",
        *sorted(f"with={r.strip()}" for r in args.with_requirements),
    ]
    return launch.env_key(None, executable, args.extras, [], inputs)


def target(args: App, key: str) -> Target:
    """The app as a target: resolved once with pip (resolution cache; ``--refresh`` resolves
    again), the newest version unless ``--version``."""
    from monotrail.env.prepare import Target
    from monotrail.resolve import resolution_cache

    wanted = requirement(args)

    def packages(interpreter: Interpreter) -> list[LockedPackage]:
        return resolution_cache.remembered(
            key, f"{wanted} with pip", lambda: _resolve(args, interpreter), args.refresh
        )

    owner: Owner = {"project": None, "tool": f"ppipx {wanted}", "inputs": {}}
    owner["app"] = canonical_name(args.package)
    return Target(key, packages, owner)


def _resolve(args: App, target: Interpreter) -> list[LockedPackage]:
    from pathlib import Path

    from monotrail.resolve import pip_resolver

    wanted = requirement(args)
    try:
        report = pip_resolver.run_pip_report([wanted, *args.with_requirements], target, Path.cwd())
    except MonotrailError as err:
        raise MonotrailError(_resolve_error(args, wanted, str(err))) from None
    return pip_resolver.packages_from_report(report)


def _resolve_error(args: App, wanted: str, message: str) -> str:
    """pip's complaint about the app, said in the app's terms."""
    reason = message.split(": ", 1)[-1]
    if f"requirement {wanted} " in reason and "(from versions: none)" in reason:
        return f"ppipx: {args.package} is not on the package index (pip: {reason})"
    if f"requirement {wanted} " in reason and args.version:
        versions = reason.rpartition("from versions: ")[2].rstrip(")").split(", ")
        newest = ", ".join(versions[-5:])
        return f"ppipx: {args.package} has no version {args.version} (the newest: {newest})"
    return f"ppipx: cannot resolve {wanted}: {reason}"


def pick_command(record: EnvRecord, args: App) -> str:
    """The console script to run: ``--command``, else the one named like the package."""
    scripts = record["scripts"]
    wanted = args.command or args.package
    if wanted in scripts:
        return wanted
    if args.command is None:
        alike = [s for s in scripts if canonical_name(s) == canonical_name(args.package)]
        if len(alike) == 1:
            return alike[0]
    app, version = app_commands(record, args.package)
    listed = ", ".join(app) or "none"
    others = sorted(set(scripts) - set(app))
    also = f"; its dependencies have: {', '.join(others)}" if others else ""
    hint = "" if args.command else " (pick one with --command NAME)"
    raise MonotrailError(
        f"ppipx: {args.package} {version} has no command {wanted!r}{hint}; "
        f"its commands: {listed}{also}"
    )


def app_commands(record: EnvRecord, package: str) -> tuple[list[str], str]:
    """The app's own console scripts (from its store entry) and its version."""
    from pathlib import Path

    from monotrail.store.fill import read_entry

    name = canonical_name(package)
    for path, (dist, version) in zip(record["entries"], record["packages"], strict=True):
        if canonical_name(dist) == name:
            entry = read_entry(Path(path))
            found = {*entry.console_scripts, *entry.gui_scripts, *entry.data_scripts}
            return sorted(found), version
    return [], "?"
