"""Keep a Poetry project's ``poetry.lock`` fresh, resolving with Poetry's solver in-process.

``ensure_lock`` does what ``poetry lock`` (Poetry 2, without ``--regenerate``) does: it keeps the
versions an existing lock pins, re-solves, and writes a lock-version 2.1 file. It drives Poetry's
``Solver`` and ``Locker`` directly instead of going through the ``Installer``, because the
installer wants an environment (and Poetry's ``EnvManager`` would create a virtualenv); a lock is
environment independent, so no ``Env`` is needed at all.

The repositories the solver asks (``resolve.poetry_repositories``) fetch the index ahead of it,
in parallel, and fall back to the simple index where a PyPI mirror 404s the JSON API.

poetry is imported inside the functions only: importing this module must stay cheap, because
monotrail's ``run`` fast path must not import poetry.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monotrail import paths, progress
from monotrail.errors import MonotrailError
from monotrail.log import logger
from monotrail.resolve import poetry_repositories

if TYPE_CHECKING:
    from monotrail.lockfile.model import LockedPackage
    from monotrail.python.interpreter import Interpreter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, no-redef]

PYPROJECT = "pyproject.toml"
LOCK = "poetry.lock"


def lock_is_fresh(project_dir: Path) -> bool:
    """True when poetry.lock exists, is lock-version 2.1+ (has per-package ``groups``) and its
    content-hash matches pyproject (Poetry's own ``Locker.is_fresh()``)."""
    project_dir = Path(project_dir).absolute()
    # Poetry's Locker alone answers this; building the whole Poetry object costs ~1 s more.
    from poetry.packages.locker import Locker

    from monotrail import toml

    data = toml.load(project_dir / PYPROJECT)
    with _poetry_errors(project_dir):
        return _locker_is_fresh(Locker(project_dir / LOCK, data))


def ensure_lock(project_dir: Path, poetry: Any = None) -> Path:
    """Return the path of a fresh poetry.lock, locking like ``poetry lock`` of Poetry 2 first when
    the lock is missing, stale or of an old lock version (2.0, without ``groups``).

    Versions already pinned in an existing lock are kept (no ``--regenerate``). Progress lines go
    to stderr. ``poetry`` is the project's ``Poetry`` object when the caller has one (the Poetry
    plugin passes the application's, with its sources and credentials); else it is made here.
    """
    project_dir = Path(project_dir).absolute()
    with _poetry_errors(project_dir):
        poetry = poetry if poetry is not None else _create_poetry(project_dir)
        lock_path = Path(poetry.locker.lock)
        if _locker_is_fresh(poetry.locker):
            logger.debug("%s is fresh, not resolving", lock_path)
            return lock_path
        pool = _pool_with_simple_fallback(poetry.pool, poetry.config, poetry.disable_cache)
        count = _lock(poetry.package, poetry.locker, project_dir, pool)
    progress.summary_line(f"Wrote {LOCK} ({progress.count_text(count, 'package')})")
    return lock_path


def lock_elsewhere(project_dir: Path, lock_path: Path) -> int:
    """Lock a PEP 621 project that is no Poetry project, as ``poetry lock`` would, but into
    ``lock_path`` (in monotrail's store): the project's folder is not written. The packages
    come from the indexes pip is configured with (``index-url``, ``extra-index-url``), as for
    a requirements.txt. Returns the number of locked packages."""
    import tempfile

    import tomlkit
    from poetry.config.config import Config
    from poetry.core.factory import Factory as CoreFactory
    from poetry.packages.locker import Locker

    from monotrail.env.editables import DYNAMIC_VERSION

    project_dir = Path(project_dir).absolute()
    with _poetry_errors(project_dir), tempfile.TemporaryDirectory(dir=paths.tmp_dir()) as tmp:
        _check_toml(project_dir)
        source = project_dir
        document = tomlkit.parse((project_dir / PYPROJECT).read_text(encoding="utf-8"))
        table = document.get("project")
        if isinstance(table, dict) and "version" in table.get("dynamic", []):
            # Poetry needs a version; the build backend that makes it is not run (the same
            # placeholder as the project's own metadata, env.editables).
            table["version"] = DYNAMIC_VERSION
            table["dynamic"] = [name for name in table["dynamic"] if name != "version"]
            source = Path(tmp)
            (source / PYPROJECT).write_text(tomlkit.dumps(document), encoding="utf-8")
        pool = _pip_pool(Config.create(reload=True), False)
        # The index is fetched ahead from here on, while the project is read and the solver
        # imported (the dependencies of groups and extras join from the solver's start).
        with _fetching_ahead(pool, _dependencies(table)):
            # poetry-core's project, not Poetry's application object: a project without
            # [tool.poetry] has no sources or settings of its own, and Poetry's factory
            # imports its installer (about half a second more).
            project = CoreFactory().create_poetry(source)
            locker = Locker(lock_path, project.pyproject.data)
            return _lock(project.package, locker, project_dir, pool)


def _dependencies(project_table: object) -> list[Any]:
    """Poetry ``Dependency`` objects of ``[project].dependencies`` (those that parse: the
    project's validation reports the others)."""
    from poetry.core.packages.dependency import Dependency

    found = []
    requirements = project_table.get("dependencies") if isinstance(project_table, dict) else None
    for requirement in requirements if isinstance(requirements, list) else []:
        try:
            found.append(Dependency.create_from_pep_508(str(requirement)))
        except ValueError:
            continue
    return found


def solve_for_interpreter(
    requested: dict[str, Any], interpreter: Interpreter, preferred: dict[str, str], label: str
) -> list[LockedPackage]:
    """Resolve Poetry-style constraints (``{"numpy": "^1.21"}``, a value may also be a table such
    as ``{"version": "^1", "extras": ["x"]}``) with Poetry's solver, for exactly ``interpreter``,
    from PyPI; the ``preferred`` versions (name -> version, earlier pins) are kept where they fit.

    Returns the packages this interpreter needs (markers evaluated), their files by name and hash.
    ``label`` names the request in error messages.
    """
    from monotrail.fetch import indexes
    from monotrail.lockfile.model import Artifact, LockedPackage
    from monotrail.names import canonical_name

    with _poetry_errors(Path.cwd(), label):
        from cleo.io.null_io import NullIO
        from poetry.config.config import Config
        from poetry.core.factory import Factory
        from poetry.core.packages.package import Package
        from poetry.core.packages.project_package import ProjectPackage
        from poetry.puzzle.solver import Solver
        from poetry.repositories import RepositoryPool
        from poetry.utils.env import MockEnv

        config = Config.create(reload=True)
        root = ProjectPackage("monotrail-interactive", "0")
        root.python_versions = f"=={interpreter.full_version}"
        for name, constraint in requested.items():
            root.add_dependency(Factory.create_dependency(name, constraint))
        pool = RepositoryPool(config=config)
        pool.add_repository(poetry_repositories.simple_fallback_pypi()(config=config))
        locked = [Package(name, version) for name, version in preferred.items()]
        solver = Solver(root, pool, [], locked, NullIO())
        markers = interpreter.markers
        env = MockEnv(
            interpreter.version,
            platform=markers["sys_platform"],
            platform_machine=markers["platform_machine"],
            os_name=markers["os_name"],
            marker_env=dict(markers),
        )
        try:
            # In this environment only: dependencies whose markers exclude it are left out.
            with solver.use_environment(env), _fetching_ahead(pool, root.all_requires):
                solved = list(solver.solve().get_solved_packages())
        except Exception as e:
            if _is_solver_problem(e):
                missing = _missing_direct_dependency(root, pool)
                reason = f"Package {missing} not found" if missing else _condense(str(e))
                raise MonotrailError(f"{label}: {reason}") from None
            raise
    packages = []
    for package in solved:
        if package.source_type:
            raise MonotrailError(
                f"{label}: {package.name} comes from a {package.source_type} source, which is "
                "not supported here (use monotrail.from_git for a repository)"
            )
        artifacts = []
        for item in package.files:
            algorithm, _, digest = str(item.get("hash", "")).partition(":")
            artifacts.append(Artifact(item["file"], None, {algorithm: digest} if digest else {}))
        packages.append(
            LockedPackage(
                canonical_name(package.name),
                package.version.text,
                artifacts,
                [indexes.pypi_simple_url()],
            )
        )
    return packages


# --------------------------------------------------------------------------------------------
# Poetry plumbing


def _create_poetry(project_dir: Path) -> Any:
    """Poetry's ``Poetry`` object for the project, plugins disabled, output discarded."""
    from cleo.io.null_io import NullIO
    from poetry.config.config import Config
    from poetry.factory import Factory

    _check_toml(project_dir)
    # Poetry's global Config is a process-wide singleton that create_poetry merges the project's
    # poetry.toml and sources into; reload it so one project's settings never leak into the next.
    Config.create(reload=True)
    # Plugins are disabled: monotrail's own Poetry plugin must not re-enter here, and a lock does
    # not depend on application plugins.
    return Factory().create_poetry(cwd=project_dir, io=NullIO(), disable_plugins=True)


def _check_toml(project_dir: Path) -> None:
    """The project's pyproject.toml is read here first, so that a syntax error is reported with
    the file's path; Poetry's own validation then reports an invalid configuration."""
    pyproject = Path(project_dir) / PYPROJECT
    try:
        with pyproject.open("rb") as f:
            tomllib.load(f)
    except FileNotFoundError:
        raise MonotrailError(
            f"{pyproject} not found: {project_dir} is not a Poetry project"
        ) from None
    except OSError as e:
        raise MonotrailError(f"{pyproject}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise MonotrailError(f"{pyproject}: invalid TOML: {e}") from None


def _locker_is_fresh(locker: Any) -> bool:
    if not locker.is_locked():
        logger.debug("%s does not exist", locker.lock)
        return False
    try:
        if not locker.is_locked_groups_and_markers():
            logger.debug("%s is older than lock-version 2.1 (no groups)", locker.lock)
            return False
        fresh = bool(locker.is_fresh())
    except (RuntimeError, ValueError, KeyError, tomllib.TOMLDecodeError) as e:
        # An unreadable lock is re-created, like Poetry's `lock` does.
        logger.debug("%s is unreadable, it will be re-created: %s", locker.lock, e)
        return False
    if not fresh:
        logger.debug("%s: content-hash does not match %s", locker.lock, PYPROJECT)
    return fresh


def _lock(package: Any, locker: Any, project_dir: Path, pool: Any) -> int:
    """Solve the project ``package`` from ``pool`` and write ``locker``'s lock like
    ``Installer._do_refresh`` (``poetry lock``); return the number of locked packages."""
    from poetry.puzzle.solver import Solver

    locked: list[Any] = []
    if locker.is_locked():
        try:
            locked = list(locker.locked_repository().packages)
        except (RuntimeError, ValueError, KeyError, tomllib.TOMLDecodeError) as e:
            logger.debug("ignoring unreadable %s: %s", locker.lock, e)
        else:
            logger.debug("keeping the %d versions pinned in %s", len(locked), locker.lock)

    # installed == locked, as in `poetry lock`: the lock is environment independent.
    solver = Solver(package, pool, locked, locked, _solver_io(package.complete_name))
    # Directory dependencies are always re-solved, else a change in them would go unnoticed.
    use_latest = [p.name for p in locked if p.source_type == "directory"]
    try:
        with (
            progress.phase("Resolving dependencies with Poetry", unit="selected") as step,
            _fetching_ahead(pool, package.all_requires),
        ):
            # No source root: VCS checkouts go to Poetry's default one (in its cache), not a venv.
            packages = solver.solve(use_latest=use_latest).get_solved_packages()
            step.summary = f"Resolved {progress.count_text(len(packages), 'package')} with Poetry"
    except Exception as e:
        if _is_solver_problem(e):
            raise MonotrailError(_solver_problem_message(e, package, pool, project_dir)) from None
        raise

    written = locker.set_lock_data(package, packages)
    logger.debug("%s %s", "wrote" if written else "unchanged:", locker.lock)
    return len(packages)


@contextmanager
def _fetching_ahead(pool: Any, dependencies: list[Any]) -> Iterator[None]:
    """The index fetched ahead of the solver while it solves ``dependencies`` from ``pool``."""
    poetry_repositories.prefetch(pool, dependencies)
    try:
        yield
    finally:
        poetry_repositories.close_prefetch(pool)


def _solver_io(root: str) -> Any:
    """A cleo IO for Poetry's solver that turns its own progress, the ``selecting NAME
    (VERSION)`` lines it writes at debug verbosity, into the phase this thread shows (the
    ``root`` package, selected first, is not counted)."""
    from cleo.io.inputs.string_input import StringInput
    from cleo.io.io import IO
    from cleo.io.outputs.null_output import NullOutput
    from cleo.io.outputs.output import Output, Verbosity

    class Selections(Output):  # type: ignore[misc]
        def _write(self, message: str, new_line: bool = False) -> None:
            for line in _strip_tags(message).splitlines():
                _, selecting, chosen = line.partition(" selecting ")  # "   3: selecting x (1.0)"
                if selecting and not chosen.startswith(f"{root} ("):
                    progress.advance()
                    progress.detail(chosen.strip())

    return IO(StringInput(""), Selections(Verbosity.DEBUG), NullOutput())


def _is_solver_problem(error: BaseException) -> bool:
    from poetry.puzzle.exceptions import SolverProblemError

    return isinstance(error, SolverProblemError)


def _solver_problem_message(error: Exception, package: Any, pool: Any, project_dir: Path) -> str:
    """One line for a failed resolution: a direct dependency that no source knows by name gets
    "Package X not found", anything else Poetry's explanation condensed."""
    pyproject = project_dir / PYPROJECT
    missing = _missing_direct_dependency(package, pool)
    if missing:
        return f"Package {missing} not found (required in {pyproject})"
    return f"Cannot resolve the dependencies of {pyproject}: {_condense(str(error))}"


def _missing_direct_dependency(package: Any, pool: Any) -> str | None:
    """The name of a dependency of ``package`` that no source knows at all, if any."""
    from poetry.core.packages.dependency import Dependency

    for dep in package.all_requires:
        if dep.is_direct_origin():
            continue
        probe = Dependency(dep.name, "*")
        probe.source_name = dep.source_name
        try:
            found = pool.find_packages(probe)
        except Exception as e:  # a broken source must not hide the solver's explanation
            logger.debug("cannot look up %s: %s", dep.name, e)
            continue
        if not found:
            return str(dep.pretty_name)
    return None


def _condense(message: str) -> str:
    """Poetry's multi-line solver explanation as one line.

    The explanation has an optional header-plus-bullets paragraph (e.g. packages whose Python
    requirement does not fit the project's), then the derivation ("Because ... version solving
    failed."), then hints. Bullets are de-duplicated and capped, a long derivation is reduced to
    its conclusion, hints are dropped.
    """
    parts: list[str] = []
    for paragraph in re.split(r"\n\s*\n", _strip_tags(message)):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        bullets = [line.lstrip("-*• ").strip() for line in lines[1:] if line[:1] in "-*•"]
        if lines[0][:1] in "-*•":
            break  # hints
        if bullets:
            unique = list(dict.fromkeys(bullets))
            shown = "; ".join(unique[:3]) + ("; ..." if len(unique) > 3 else "")
            parts.append(f"{lines[0].rstrip(':')}: {shown}")
            continue
        text = " ".join(lines)
        sentences = re.split(r"(?<=\.)\s+(?=(?:And because|So, because|Because)\b)", text)
        parts.append(sentences[0] if len(sentences) == 1 else sentences[-1])
        if "version solving failed" in text:
            break  # the derivation is complete; hints follow
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in parts) or (
        "version solving failed."
    )


def _pool_with_simple_fallback(pool: Any, config: Any, disable_cache: bool) -> Any:
    """A copy of Poetry's pool where the PyPI repository (a ``PyPiRepository``) is replaced by
    ``_SimpleFallbackPyPiRepository``; order and priorities are kept, other sources (legacy
    repositories from ``[[tool.poetry.source]]``) are kept as they are."""
    from poetry.repositories import RepositoryPool
    from poetry.repositories.pypi_repository import PyPiRepository

    new_pool = RepositoryPool(config=config)
    for repo in pool.all_repositories:
        priority = pool.get_priority(repo.name)
        if type(repo) is PyPiRepository:
            repo = poetry_repositories.simple_fallback_pypi()(
                config=config, disable_cache=disable_cache
            )
            logger.debug("PyPI: falling back to the simple index where the JSON API fails")
        new_pool.add_repository(repo, priority=priority)
    return new_pool


def _pip_pool(config: Any, disable_cache: bool) -> Any:
    """Poetry's pool for pip's index configuration: ``index-url`` (PyPI through
    ``_SimpleFallbackPyPiRepository``), then each ``extra-index-url``; indexes that are no
    http(s) URL are left out (Poetry's repositories speak HTTP only)."""
    from poetry.repositories import RepositoryPool

    from monotrail import fingerprint
    from monotrail.fetch import indexes

    index, extra = indexes.pip_index_urls()
    pool = RepositoryPool(config=config)
    for url in [index, *extra]:
        if url == indexes.pypi_simple_url():
            fallback = poetry_repositories.simple_fallback_pypi()
            pool.add_repository(fallback(config=config, disable_cache=disable_cache))
        elif url.startswith(("http://", "https://")):
            # Poetry caches release info by repository name: one name per URL.
            name = f"pip-{fingerprint.digest(url.encode(), size=4)}"
            legacy = poetry_repositories.prefetching_legacy()
            pool.add_repository(legacy(name, url, config=config, disable_cache=disable_cache))
        else:
            logger.debug("pip's index %s is no http(s) URL: Poetry's solver cannot use it", url)
    return pool


# --------------------------------------------------------------------------------------------
# Errors and output


@contextmanager
def _poetry_errors(project_dir: Path, label: str | None = None) -> Iterator[None]:
    """Turn what Poetry raises for user mistakes and network failures into one-line
    ``MonotrailError``s, and send Poetry's log records to monotrail's debug log.

    Messages name the project's pyproject.toml, or ``label`` for a request without one."""
    pyproject = label or Path(project_dir) / PYPROJECT
    with _poetry_log_to_debug():
        try:
            yield
        except MonotrailError:
            raise
        except Exception as e:
            message = _user_error_message(e, pyproject)
            if message is None:
                raise
            raise MonotrailError(message) from None


def _user_error_message(error: Exception, pyproject: Path | str) -> str | None:
    """The one-line message for an error a user can fix, None for a bug."""
    import requests
    from cleo.exceptions import CleoError
    from poetry.core.pyproject.exceptions import PyProjectError
    from poetry.exceptions import PoetryError
    from poetry.repositories.exceptions import PackageNotFoundError, RepositoryError

    from monotrail.fetch.credentials import redact, redact_all

    text = redact_all(_one_line(_strip_tags(str(error))))
    if isinstance(error, CleoError):
        # Poetry's console errors, e.g. "All attempts to connect to pypi.org failed." raised
        # from a requests ConnectionError after its retries.
        cause = error.__cause__ or error.__context__
        if isinstance(cause, (requests.exceptions.RequestException, OSError)):
            return (
                f"Network failure while resolving {pyproject}: {text.rstrip('.')}"
                f" ({_short_network(cause)})"
            )
        return f"{pyproject}: {text}"
    if isinstance(error, requests.exceptions.RequestException):
        url = getattr(error.request, "url", None) if error.request is not None else None
        where = f" ({redact(url)})" if url else ""
        return f"Network failure while resolving {pyproject}{where}: {_short_network(error)}"
    if isinstance(error, RepositoryError):
        return f"Package index failure while resolving {pyproject}: {text}"
    if isinstance(error, PackageNotFoundError):
        return f"{text.rstrip('.')} (while resolving {pyproject})"
    if isinstance(error, PyProjectError):
        return f"{pyproject}: {text}"
    if isinstance(error, PoetryError):
        return f"{pyproject}: {text}"
    if isinstance(error, RuntimeError) and "configuration is invalid" in str(error):
        return f"{pyproject} is not a valid Poetry project: {_invalid_details(str(error))}"
    if isinstance(error, ValueError) and not isinstance(error, UnicodeError):
        # Poetry-core reports bad constraints, markers, extras and sources as ValueError.
        return f"{pyproject}: {text}"
    return None


def _strip_tags(text: str) -> str:
    """Without cleo's formatting tags (``<c1>``, ``</>``, ``<error>``...)."""
    return re.sub(r"</?[a-z][a-z0-9_=;,-]*>|</>", "", text)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _invalid_details(text: str) -> str:
    details = [line.strip().lstrip("- ").strip() for line in text.splitlines()[1:]]
    return "; ".join(d for d in details if d) or _one_line(text)


def _short_network(error: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, without the wrapper noise."""
    reason = error
    for _ in range(10):
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in reason.args if isinstance(a, BaseException)), None)
        if inner is None or inner is reason:
            break
        reason = inner
    text = _one_line(str(reason)) or type(reason).__name__
    # urllib3 prefixes "<urllib3.connection.HTTPSConnection object at 0x...>: " or
    # "HTTPSConnection(host='pypi.org', port=443): "
    return re.sub(r"^(<[^>]*>|\w+\(host=[^)]*\)):\s*", "", text)


class _ForwardToDebug(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            logger.debug("poetry: %s", _strip_tags(record.getMessage()))
        except Exception:
            self.handleError(record)


@contextmanager
def _poetry_log_to_debug() -> Iterator[None]:
    """Poetry logs warnings (e.g. about its caches or metadata) through ``logging``; with no
    handler they would reach stderr. Keep Poetry quiet and explain through ``-v`` instead."""
    poetry_logger = logging.getLogger("poetry")
    handler = _ForwardToDebug()
    saved = (poetry_logger.level, poetry_logger.propagate)
    poetry_logger.addHandler(handler)
    poetry_logger.propagate = False
    poetry_logger.setLevel(logging.DEBUG if logger.isEnabledFor(logging.DEBUG) else logging.ERROR)
    try:
        yield
    finally:
        poetry_logger.removeHandler(handler)
        poetry_logger.setLevel(saved[0])
        poetry_logger.propagate = saved[1]
