"""monotrail's public core API: what the front ends (the monotrail command, the Poetry plugin,
pip-monotrail) and notebooks call, with no argv and no private names.

- Notebooks: ``interactive`` and ``from_git`` (as ``monotrail.interactive`` and
  ``monotrail.from_git``) add packages to the running interpreter (targets/notebook.py).
- Projects: ``find_project``, ``choose_python``, ``lock_poetry_project``, then
  ``prepare_project`` (``install``) or ``env_record`` (``run``: the valid env record, else
  prepared), then ``exec_in`` or ``exec_command``.
- pip's resolution (pip-monotrail): ``resolve_requirements`` gives pip's installation report;
  ``link_into`` puts it into a virtualenv or ``--target`` folder (``find_venv``, ``venv_site``,
  ``folder_site``); without one, ``fill_store``, ``record_resolution`` and ``write_pylock``.

Importing this module costs only the standard library, as ``run``'s fast path goes through it:
its classes are plain, and each function imports what it uses.
"""

from __future__ import annotations

import os

from monotrail import log
from monotrail.errors import MonotrailError
from monotrail.log import configure as configure_logging
from monotrail.log import set_debug
from monotrail.targets.project import POETRY, PYLOCK, PYPROJECT, REQUIREMENTS, UV, Project

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from monotrail.env.record import EnvRecord
    from monotrail.store.fill import FillReport
    from monotrail.targets.notebook import from_git, interactive
    from monotrail.venv.link import Scheme as Site  # made by __getattr__ at run time

__all__ = [
    "POETRY",
    "PYLOCK",
    "PYPROJECT",
    "REQUIREMENTS",
    "UV",
    "Environment",
    "Linked",
    "Project",
    "Site",
    "StoreFill",
    "check_pylock_name",
    "choose_python",
    "command_path",
    "configure_logging",
    "env_record",
    "exec_command",
    "exec_in",
    "fill_store",
    "find_project",
    "find_venv",
    "folder_site",
    "from_git",
    "interactive",
    "link_into",
    "lock_poetry_project",
    "prepare_project",
    "record_resolution",
    "resolve_requirements",
    "set_debug",
    "venv_python",
    "venv_site",
    "write_pylock",
]


def __getattr__(name: str) -> object:
    """What is imported only when first used: ``interactive`` and ``from_git``
    (targets/notebook.py), and ``Site``, the type ``venv_site`` and ``folder_site`` return."""
    if name in ("interactive", "from_git"):
        from monotrail.targets import notebook

        return getattr(notebook, name)
    if name == "Site":
        from monotrail.venv.link import Scheme

        return Scheme
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def find_project(path: str | os.PathLike[str] | None = None) -> Project:
    """The project in the folder ``path``; without it, the nearest one at or above the working
    directory. ``Project.kind`` (UV, POETRY, PYLOCK, REQUIREMENTS, PYPROJECT) says which file
    decides."""
    from monotrail.targets.project import discover

    return discover(explicit=path)


def choose_python(requested: str | None = None, project_root: str | None = None) -> str:
    """The interpreter ``monotrail run`` uses: ``requested`` (``X.Y``, ``X.Y.Z`` or a path; a
    version nothing on the machine provides is provisioned), else the project's
    ``.python-version``, else the newest Python its ``requires-python`` allows, else the newest
    found. ``project_root`` None: the project around the working directory, if there is one."""
    from monotrail.python import choice

    if project_root is None:
        try:
            project_root = find_project().root_dir
        except MonotrailError:
            pass
    return choice.for_project(requested, project_root)


def lock_poetry_project(project_root: str | os.PathLike[str], poetry: object = None) -> None:
    """Lock the Poetry project as ``poetry lock`` would, when its poetry.lock is missing or
    stale (pins kept). ``poetry``: Poetry's own object for the project, so that its sources,
    credentials and configuration apply (the Poetry plugin has one)."""
    from pathlib import Path

    from monotrail.resolve import poetry_resolver

    poetry_resolver.ensure_lock(Path(project_root), poetry=poetry)


class StoreFill:
    """What filling the store for one interpreter did."""

    __slots__ = ("added", "reused", "packages", "python")

    def __init__(
        self, added: Sequence[str], reused: Sequence[str], packages: Sequence[str], python: str
    ) -> None:
        #: The packages (``name version``) unpacked into the store now, and those already there.
        self.added = tuple(added)
        self.reused = tuple(reused)
        #: Every package (``name-version``), and the interpreter they are for.
        self.packages = tuple(packages)
        self.python = python


class Environment(StoreFill):
    """A project's prepared environment: its env record, and the store fill."""

    __slots__ = ("record",)

    def __init__(self, store: StoreFill, record: EnvRecord) -> None:
        super().__init__(store.added, store.reused, store.packages, store.python)
        #: The env record, for ``exec_in`` and ``exec_command``.
        self.record = record

    def summary(self, seconds: float) -> str:
        """The last line of ``install``."""
        return (
            f"{len(self.added)} added, {len(self.reused)} already in the store "
            f"({len(self.packages)} packages for Python {self.record['python_version']}) "
            f"in {seconds:.2f}s"
        )


def prepare_project(
    project: Project | None,
    python: str,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    compile_bytecode: bool = True,
    with_requirements: Sequence[str] = (),
    with_files: Sequence[str] = (),
    refresh: bool = False,
) -> Environment:
    """Make the project's environment for the interpreter ``python``: resolve when it has no
    valid lock, fill the store, write the env record. ``groups`` may exclude one: ``!NAME``
    (and take the other words of ``monotrail.lockfile.dependency_groups``).
    ``with_requirements`` and the requirements files ``with_files`` (absolute paths) add
    packages, resolved with the lock's versions kept (``run --with``); ``project`` None: an
    environment of just those. ``refresh`` resolves again what monotrail resolved itself (a
    requirements.txt, a lock-less PEP 621 project, ``--with``)."""
    from monotrail.env.prepare import prepare
    from monotrail.python import interpreter
    from monotrail.targets import with_extras

    target = interpreter.query(python)
    env = with_extras.target(
        project, target, list(extras), list(groups), with_requirements, with_files, refresh
    )
    prepared = prepare(env, target, compile_bytecode)
    return Environment(_store_fill(prepared.report, target.executable), prepared.record)


def _store_fill(report: FillReport, python: str) -> StoreFill:
    names = [f"{entry.name}-{entry.version}" for entry in report.entries]
    return StoreFill(report.added, report.reused, names, python)


def env_record(
    project: Project | None,
    python: str,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    with_requirements: Sequence[str] = (),
    with_files: Sequence[str] = (),
    refresh: bool = False,
) -> EnvRecord:
    """The env record ``run`` uses: the one on disk while it is valid (found with the standard
    library only), or one derived from the same project in another folder (``env.derive``),
    else made by ``prepare_project``, with one line on stderr when that added packages. With
    ``refresh``, always made again."""
    from monotrail.env.launch import load_valid_record
    from monotrail.targets.with_extras import env_key

    key = env_key(project, python, extras, groups, with_requirements, with_files)
    record = None if refresh else load_valid_record(key)
    if record is None and project is not None and not (with_requirements or with_files or refresh):
        from monotrail.env.derive import derive

        record = derive(project, python, extras, groups, key)
    if record is not None:
        log.debug(f"fast path, env record {record['path']}")
        return record
    import time

    configure_logging()
    started = time.perf_counter()
    env = prepare_project(
        project, python, extras, groups, True, with_requirements, with_files, refresh
    )
    if env.added:
        from monotrail import progress

        progress.summary_line(
            f"Installed {progress.count_text(len(env.added), 'package')} into the store "
            f"({len(env.reused)} already there) in "
            f"{progress.seconds_text(time.perf_counter() - started)}"
        )
    return env.record


def exec_in(record: EnvRecord, argv: Sequence[str]) -> None:
    """Replace this process with the environment's interpreter, given python's ``argv`` (a
    script and its arguments, ``-m``, ``-c``...)."""
    from monotrail.env.launch import exec_python

    exec_python(record, list(argv))


def command_path(record: EnvRecord, name: str, owner: str | None = None) -> str:
    """The console script ``name`` of the environment; an error naming the environment's
    console scripts when it has none of that name. ``owner`` (for the message) defaults to
    the project's folder."""
    from monotrail.env import record as records

    return records.command_path(record, name, owner or str(record.get("project")))


def exec_command(
    record: EnvRecord, name: str, argv: Sequence[str], owner: str | None = None
) -> None:
    """Replace this process with the console script ``name`` of the environment, given
    ``argv``; see ``command_path`` for a name it does not have."""
    from monotrail.env import launch

    launch.exec_command(record, name, list(argv), owner or str(record.get("project")))


def find_venv(python: str | None = None) -> str | None:
    """The virtualenv ``python`` names (its folder or its interpreter), else the active one
    (``VIRTUAL_ENV``); None when there is none."""
    from monotrail.venv import link

    found = link.find_venv(python) if python else link.active_venv()
    return str(found) if found is not None else None


def venv_python(venv: str) -> str:
    """The interpreter of the virtualenv ``venv``."""
    from pathlib import Path

    from monotrail.venv import link

    return str(link.venv_python(Path(venv)))


def venv_site(venv: str) -> Site:
    """Where an installation into the virtualenv ``venv`` puts each part of a wheel (asked from
    its interpreter, ``Site.python``)."""
    from pathlib import Path

    from monotrail.venv import link

    return link.venv_scheme(Path(venv))


def folder_site(folder: str, python: str) -> Site:
    """pip's ``--target FOLDER`` layout for the interpreter ``python``: libraries in FOLDER,
    scripts in FOLDER/bin."""
    from pathlib import Path

    from monotrail.venv import link

    return link.target_scheme(Path(folder).absolute(), python)


def resolve_requirements(
    pip_args: Sequence[str], python: str, ignore_installed: bool = True
) -> dict[str, Any]:
    """pip's JSON installation report for ``pip install PIP_ARGS`` in the working directory,
    resolved for the interpreter ``python``. With ``ignore_installed`` false, what ``python``
    has installed counts (a plain ``pip install`` into a venv): the report lists only what
    must be installed."""
    from pathlib import Path

    from monotrail.fetch import credentials
    from monotrail.python import interpreter
    from monotrail.resolve import pip_resolver

    target = interpreter.query(python)
    credentials.use_indexes(credentials.pip_argument_indexes(pip_args, "pip's arguments"))
    return pip_resolver.run_pip_report(list(pip_args), target, Path.cwd(), ignore_installed)


def fill_store(report: dict[str, Any], python: str, compile_bytecode: bool = True) -> StoreFill:
    """Put every distribution of pip's ``report`` into the store, for ``python``."""
    from monotrail.python import interpreter
    from monotrail.resolve import pip_resolver
    from monotrail.store import fill

    target = interpreter.query(python)
    packages = pip_resolver.packages_from_report(report)
    filled = fill.fill_store(packages, target, compile_bytecode)
    names = [f"{p.name}-{p.version}" for p in packages]
    return StoreFill(filled.added, filled.reused, names, target.executable)


class Linked(StoreFill):
    """What ``link_into`` did: the store fill, then the files linked (or copied) into place."""

    __slots__ = ("files", "copied")

    def __init__(self, store: StoreFill, files: int, copied: int) -> None:
        super().__init__(store.added, store.reused, store.packages, store.python)
        self.files = files
        self.copied = copied


def link_into(site: Site, report: dict[str, Any], compile_bytecode: bool = True) -> Linked:
    """Install pip's ``report`` into ``site`` (``venv_site``, ``folder_site``) as pip would:
    each distribution through the store, then linked; editable ones straight in."""
    from monotrail.venv import pip_report

    filled, linked = pip_report.install(report, site, compile_bytecode)
    return Linked(_store_fill(filled, site.python), linked.files, linked.copied)


def record_resolution(project: Project, python: str, report: dict[str, Any]) -> None:
    """Keep pip's ``report`` as the resolution of the requirements project for ``python``, so
    that ``monotrail run`` there starts without resolving."""
    from monotrail.python import interpreter
    from monotrail.resolve import pip_resolver, resolution_cache
    from monotrail.targets import project_env

    executable = interpreter.query(python).executable
    packages = pip_resolver.packages_from_report(report)
    resolution_cache.save(project_env.resolution_key(project, executable), packages)


def check_pylock_name(path: str | os.PathLike[str]) -> None:
    """Refuse a PEP 751 lock file name other than ``pylock.toml`` or ``pylock.NAME.toml``."""
    from pathlib import Path

    from monotrail.lockfile import pylock

    pylock.check_name(Path(path))


def write_pylock(path: str | os.PathLike[str], report: dict[str, Any], python: str) -> None:
    """Write pip's ``report`` for ``python`` as the PEP 751 lock file ``path``."""
    from pathlib import Path

    from monotrail.lockfile import pylock
    from monotrail.python import interpreter

    lock_path = Path(path).absolute()
    target = interpreter.query(python)
    pylock.write(lock_path, pylock.from_pip_report(report, target, lock_path.parent))
