"""Finding the Python interpreters on this machine, and deciding which one a command uses.

Candidates: the interpreters monotrail provisioned (``interpreters/managed``), the Python behind
monotrail, and what findpython's providers see (PATH, pyenv, asdf, rye, uv). Each is taken by its
real path (a venv's python is its base interpreter); wrapper scripts such as pyenv shims are
skipped, the pyenv provider lists the interpreters they stand for. A version hint is read from
names (``python3.12``, ``versions/3.12.1/``), so a decision starts only the interpreters it
needs, once: interpreter.query caches their facts by path, size and mtime.

The candidate list is cached (cache.py) while the folders searched keep their mtimes;
choice.choose caches each decision on top of it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monotrail.errors import MonotrailError
from monotrail.python import cache
from monotrail.python.request import (
    Version,
    is_supported,
    matches,
    parse_request,
    version_text,
)

if TYPE_CHECKING:
    from monotrail.python.interpreter import Interpreter

#: Preference among interpreters of the same version.
_SOURCE_RANK = {"managed": 0, "pyenv": 1, "asdf": 2, "uv": 3, "rye": 4, "path": 5, "monotrail": 6}
_NAME_VERSION = re.compile(r"python(\d+)(?:\.(\d+))?$")
_DIR_VERSION = re.compile(r"(?:^|[^\d.])(\d+)\.(\d+)\.(\d+)(?![\d.]*\d)")


class Candidate:
    """An interpreter found on the machine, before it is asked anything."""

    __slots__ = ("path", "source", "hint")

    def __init__(self, path: str, source: str, hint: Version) -> None:
        self.path = path
        self.source = source
        #: The version its names promise (``python3.12`` -> (3, 12)); may be partial or empty.
        self.hint = hint


class Found:
    """A candidate after its facts were asked: a usable target, or why it is not one."""

    __slots__ = ("candidate", "interpreter", "problem")

    def __init__(
        self, candidate: Candidate, interpreter: Interpreter | None, problem: str | None
    ) -> None:
        self.candidate = candidate
        self.interpreter = interpreter
        self.problem = problem

    @property
    def version(self) -> Version:
        return self.interpreter.version if self.interpreter else self.candidate.hint


def _hint(path: str) -> Version:
    """The version a path's names promise: the file name, then a versioned folder above it."""
    match = _NAME_VERSION.search(os.path.basename(path))
    from_name: Version = (
        tuple(int(part) for part in match.groups() if part is not None) if match else ()
    )
    for folder in Path(path).parent.parts[-3:][::-1]:
        found = _DIR_VERSION.search(folder)
        if found:
            full = tuple(int(part) for part in found.groups())
            if matches(full, from_name):
                return full
    return from_name


def _is_script(path: str) -> bool:
    """A wrapper (pyenv shim, monotrail's python symlink, a shell script), not an interpreter."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return True


def _search() -> tuple[list[Candidate], dict[str, Any]]:
    """Ask the store and findpython's providers: the candidates, and the folders to watch."""
    from findpython.providers import ALL_PROVIDERS

    from monotrail.python import managed

    watch: dict[str, Any] = {}
    raw: list[tuple[str, str]] = []

    def look(folder: Path | str) -> None:
        watch[str(folder)] = cache.stat_sig(str(folder))

    look(managed.managed_dir())
    raw.extend((str(exe), "managed") for _version, exe in managed.managed())
    for name, provider_class in ALL_PROVIDERS.items():
        provider = provider_class.create()
        if provider is None:
            continue
        for folder in getattr(provider, "paths", ()):
            look(folder)
        root = getattr(provider, "root", None)
        if root is not None:
            for folder in (root, root / "versions", root / "installs" / "python"):
                look(folder)
        try:
            raw.extend((str(python.executable), name) for python in provider.find_pythons())
        except OSError:
            continue
    raw.append((getattr(sys, "_base_executable", None) or sys.executable, "monotrail"))

    candidates: list[Candidate] = []
    seen: set[tuple[int, int]] = set()  # by inode: python3.7m is a hard link to python3.7
    for path, source in raw:
        real = os.path.realpath(path)
        try:
            stat = os.stat(real)
        except OSError:
            continue
        if (stat.st_dev, stat.st_ino) in seen or not os.access(real, os.X_OK):
            continue
        seen.add((stat.st_dev, stat.st_ino))
        if "pypy" in os.path.basename(real).lower() or _is_script(real):
            continue
        look(os.path.dirname(real))
        candidates.append(Candidate(real, source, _hint(real)))
    return candidates, watch


def _cache_file() -> Path:
    return Path(cache.cache_dir()) / f"discovery-{cache.env_signature()}"


def discover() -> list[Candidate]:
    """Every interpreter candidate on the machine, from the cache while nothing changed."""
    data = cache.read_cache(_cache_file())
    if data is not None and cache.unchanged(data["watch"]):
        return [Candidate(path, source, tuple(hint)) for path, source, hint in data["candidates"]]
    candidates, watch = _search()
    cache.write_cache(
        _cache_file(),
        {"watch": watch, "candidates": [[c.path, c.source, list(c.hint)] for c in candidates]},
    )
    return candidates


def watched() -> dict[str, Any]:
    """The folders the current candidate list depends on (after discover() ran)."""
    data = cache.read_cache(_cache_file())
    return dict(data["watch"]) if data else {}


def probe(candidates: list[Candidate]) -> list[Found]:
    """Ask each candidate its facts (cached per interpreter; uncached ones in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    from monotrail.python import interpreter

    def ask(candidate: Candidate) -> Found:
        if candidate.hint and not is_supported(candidate.hint):
            return Found(candidate, None, "unsupported: monotrail needs 3.9 or newer")
        try:
            return Found(candidate, interpreter.query(candidate.path), None)
        except MonotrailError as err:
            return Found(candidate, None, str(err).replace(f"{candidate.path}: ", "", 1))

    if len(candidates) <= 1:
        return [ask(c) for c in candidates]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(ask, candidates))


def _too_old(version: Version) -> str:
    return f"Python {version_text(version)} is not supported (monotrail needs 3.9 or newer)"


def _preference(found: Found) -> tuple[Version, int]:
    return found.version, -_SOURCE_RANK.get(found.candidate.source, 9)


def best(allows: Callable[[Version], bool], request: Version = ()) -> Found | None:
    """The newest usable interpreter whose version ``allows`` accepts.

    Candidates are asked group by group, newest hint first, so a decision usually starts at most
    the one or two interpreters of the version it picks (and only the first time).
    """
    groups: dict[Version, list[Candidate]] = {}
    for candidate in discover():
        hint = candidate.hint
        if hint and (not is_supported(hint) or not matches(hint, request[: len(hint)])):
            continue
        # No minor version in the name: it must be asked before anything else can be ruled out.
        key = hint[:2] if len(hint) >= 2 else (99, 99)
        groups.setdefault(key, []).append(candidate)
    for key in sorted(groups, reverse=True):
        usable = [
            found
            for found in probe(groups[key])
            if found.interpreter is not None and allows(found.interpreter.version)
        ]
        if usable:
            return max(usable, key=_preference)
    return None


def survey() -> list[Found]:
    """Every candidate with its facts or its problem, newest first (``python list``)."""
    return sorted(probe(discover()), key=_preference, reverse=True)


def _summary() -> str:
    usable = [f.interpreter for f in survey() if f.interpreter is not None]
    if not usable:
        return "no CPython 3.9+ was found"
    return "found: " + ", ".join(f"{i.full_version} ({i.executable})" for i in usable)


def explicit_path(requested: str) -> str:
    """``-p PATH``: the interpreter there; a wrapper script is run once to learn its binary."""
    path = os.path.abspath(os.path.expanduser(requested))
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise MonotrailError(f"{path}: no such Python interpreter (not an executable file)")
    if not _is_script(path):
        return path
    import subprocess

    proc = subprocess.run(
        [path, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
    )
    real = proc.stdout.strip()
    if proc.returncode != 0 or not os.path.isfile(real):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise MonotrailError(f"{path}: this wrapper script does not start Python: {last}")
    return real


def decide(
    requested: str | None, project_root: Path | None, allow_provision: bool = True
) -> tuple[str, str]:
    """The interpreter for ``-p requested`` or the project, and why (uncached)."""
    if requested:
        version = parse_request(requested)
        if version is None:
            import shutil

            found = shutil.which(requested)
            if found:
                return found, f"-p {requested}"
            raise MonotrailError(
                f"-p {requested}: not a Python version (X.Y or X.Y.Z) nor an interpreter path"
            )
        reason = f"-p {requested}"
        return for_version(version, reason, allow_provision=allow_provision), reason
    for pin in map(Path, cache.version_files(project_root)):
        if pin.is_file():
            version, text = read_version_file(pin)
            reason = f"{pin} says {text}"
            return for_version(version, reason, pin, allow_provision), reason
    constraint = project_constraint(project_root) if project_root is not None else None
    if constraint is not None:
        description, allows = constraint
        chosen = best(allows)
        if chosen is None:
            raise MonotrailError(
                f"{description} allows none of the Pythons on this machine ({_summary()}); "
                "install one with `monotrail python install X.Y` or pass -p"
            )
        return chosen.candidate.path, description
    chosen = best(lambda version: True)
    if chosen is None:
        raise MonotrailError(
            "no CPython 3.9 or newer found on this machine (PATH, pyenv, asdf, uv, rye); "
            "install one with `monotrail python install 3.12`"
        )
    return chosen.candidate.path, "the newest Python found"


def find(version: Version) -> Found | None:
    """The best interpreter of ``version`` on the machine (provisioned ones included)."""
    return best(lambda have: matches(have, version), version)


def for_version(
    version: Version, reason: str, where: Path | None = None, allow_provision: bool = True
) -> str:
    """An interpreter of ``version``: found on the machine, else provisioned."""
    prefix = f"{where}: " if where else ""
    if not is_supported(version):
        raise MonotrailError(f"{prefix}{_too_old(version)}")
    found = find(version)
    if found is not None:
        return found.candidate.path
    from monotrail.python import managed

    build = managed.find_build(version)
    if build is None or not allow_provision:
        if build is not None:
            raise MonotrailError(
                f"{prefix}no Python {version_text(version)} on this machine yet "
                f"(`monotrail run` provisions {version_text(build.version)})"
            )
        raise MonotrailError(
            f"{prefix}no Python {version_text(version)} on this machine ({_summary()}) "
            f"and no python-build-standalone build of it in {managed.table_source()}"
        )
    print(
        f"Python {version_text(version)} ({reason}) is not on this machine: provisioning it",
        file=sys.stderr,
    )
    executable = str(managed.install_build(build))
    discover()  # the store changed: search again, so that this decision is cached as valid
    return executable


def read_version_file(path: Path) -> tuple[Version, str]:
    """The first version in a ``.python-version`` file (pyenv's format: one per line)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise MonotrailError(f"{path}: cannot read: {err.strerror}") from None
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        version = parse_request(line) if line else None
        if version is not None:
            return version, line
    raise MonotrailError(f"{path}: no Python version in it (expected a line such as 3.12)")


def project_constraint(project_root: Path) -> tuple[str, Callable[[Version], bool]] | None:
    """The project's ``requires-python`` and Poetry ``python`` constraint, as one predicate."""
    pyproject = Path(project_root) / "pyproject.toml"
    if not pyproject.is_file():
        return None
    from monotrail import toml

    data = toml.load(pyproject)
    tests: list[Callable[[Version], bool]] = []
    said: list[str] = []
    requires = data.get("project", {}).get("requires-python")
    if isinstance(requires, str) and requires.strip():
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            spec = SpecifierSet(requires)
        except InvalidSpecifier:
            raise MonotrailError(
                f"{pyproject}: requires-python {requires!r} is not a valid version specifier"
            ) from None
        tests.append(lambda v: spec.contains(version_text(v), prereleases=True))
        said.append(f"requires-python {requires}")
    poetry_python = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry_python, str) and poetry_python.strip() not in ("", "*"):
        from poetry.core.constraints.version import Version as PoetryVersion
        from poetry.core.constraints.version import parse_constraint

        try:
            constraint = parse_constraint(poetry_python)
        except ValueError:
            raise MonotrailError(
                f"{pyproject}: python = {poetry_python!r} is not a valid Poetry constraint"
            ) from None
        tests.append(lambda v: bool(constraint.allows(PoetryVersion.parse(version_text(v)))))
        said.append(f"python = {poetry_python!r}")
    if not tests:
        return None
    return f"{pyproject}: {' and '.join(said)}", lambda v: all(test(v) for test in tests)
