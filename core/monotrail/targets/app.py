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
    from monotrail.cli.ppipx_args import PpipxArgs
    from monotrail.lockfile.model import LockedPackage


def requirement(args: PpipxArgs) -> str:
    """The app as a PEP 508 requirement: ``name[extras]==version``."""
    extras = f"[{','.join(sorted(set(args.extras)))}]" if args.extras else ""
    pin = f"=={args.version}" if args.version else ""
    return f"{args.package}{extras}{pin}"


def env_key(args: PpipxArgs, executable: str) -> str:
    inputs = [
        f"ppipx={canonical_name(args.package)}",
        f"version={args.version or ''}",
        *sorted(f"with={r.strip()}" for r in args.with_requirements),
    ]
    return launch.env_key(None, executable, args.extras, [], inputs)


def prepare(args: PpipxArgs, executable: str, key: str) -> dict[str, object]:
    """Resolve (unless remembered, or ``--refresh``), install and write the app's record."""
    from monotrail.env import package_env, prepare
    from monotrail.python import interpreter

    target = interpreter.query(executable)
    packages = None if args.refresh else prepare.load_resolution(key)
    if packages is None:
        packages = _resolve(args, target)
        prepare.save_resolution(key, packages)
    meta: dict[str, object] = {
        "project": None,
        "tool": f"ppipx {requirement(args)}",
        "inputs": {},
        "app": canonical_name(args.package),
    }
    return package_env.prepare(key, packages, target, meta).record


def _resolve(args: PpipxArgs, target: object) -> list[LockedPackage]:
    import sys
    from pathlib import Path

    from monotrail.resolve import pip_resolver

    wanted = requirement(args)
    print(f"Resolving {wanted} with pip...", file=sys.stderr)
    try:
        report = pip_resolver.run_pip_report(
            [wanted, *args.with_requirements],
            target,  # type: ignore[arg-type]
            Path.cwd(),
        )
    except MonotrailError as err:
        raise MonotrailError(_resolve_error(args, wanted, str(err))) from None
    return pip_resolver.packages_from_report(report)


def _resolve_error(args: PpipxArgs, wanted: str, message: str) -> str:
    """pip's complaint about the app, said in the app's terms."""
    reason = message.split(": ", 1)[-1]
    if f"requirement {wanted} " in reason and "(from versions: none)" in reason:
        return f"ppipx: {args.package} is not on the package index (pip: {reason})"
    if f"requirement {wanted} " in reason and args.version:
        versions = reason.rpartition("from versions: ")[2].rstrip(")").split(", ")
        newest = ", ".join(versions[-5:])
        return f"ppipx: {args.package} has no version {args.version} (the newest: {newest})"
    return f"ppipx: cannot resolve {wanted}: {reason}"


def pick_command(record: dict[str, object], args: PpipxArgs) -> str:
    """The console script to run: ``--command``, else the one named like the package."""
    scripts: list[str] = list(record.get("scripts", []))  # type: ignore[call-overload]
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


def app_commands(record: dict[str, object], package: str) -> tuple[list[str], str]:
    """The app's own console scripts (from its store entry) and its version."""
    from pathlib import Path

    from monotrail.store.fill import read_entry

    name = canonical_name(package)
    entries: list[str] = record["entries"]  # type: ignore[assignment]
    versions: list[list[str]] = record["packages"]  # type: ignore[assignment]
    for path, (dist, version) in zip(entries, versions, strict=True):
        if canonical_name(dist) == name:
            entry = read_entry(Path(path))
            found = {*entry.console_scripts, *entry.gui_scripts, *entry.data_scripts}
            return sorted(found), version
    return [], "?"
