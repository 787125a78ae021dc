"""``run --with REQ`` and ``--with-requirements FILE``: packages added to a project's
environment for one run; outside any project, an environment of just those packages (or none).

The added requirements are resolved by pip together with the project's lock: every package the
lock pins for the interpreter is a constraint (``name==version``), so pinned versions are kept,
and a requirement that needs another version is a conflict, said in one line naming the
requirement and the pin. The environment is keyed like any other, over the project's inputs,
the interpreter, extras and groups plus each requirement and each file's content; what pip
added is kept in the resolution cache (under that key, and the content of the files those files
include). So a repeat run reads the env record and starts (stdlib only), and one whose record
is gone still resolves nothing.

``env_key`` is stdlib-only: it runs on ``run``'s fast path.
"""

from __future__ import annotations

from monotrail import fingerprint
from monotrail.env import launch

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from collections.abc import Sequence

    from monotrail.env.prepare import Target
    from monotrail.env.record import Owner
    from monotrail.lockfile.model import LockedPackage
    from monotrail.python.interpreter import Interpreter
    from monotrail.targets.project import Project


def env_key(
    project: Project | None,
    executable: str,
    extras: Sequence[str],
    groups: Sequence[str],
    requirements: Sequence[str],
    files: Sequence[str],
) -> str:
    """The env record's key: the project's own when nothing is added. ``files`` are absolute."""
    if project is not None and not requirements and not files:
        return launch.env_key(project, executable, extras, groups)
    inputs = [
        "run --with",
        *sorted(f"with={r.strip()}" for r in requirements),
        *(f"with-requirements={path}|{fingerprint.file_digest(path)}" for path in files),
    ]
    return launch.env_key(project, executable, extras, groups, inputs)


def described(requirements: Sequence[str], files: Sequence[str]) -> str:
    """The added requirements as command-line words (``--with X --with-requirements F``)."""
    words = [*(f"--with {r}" for r in requirements), *(f"--with-requirements {f}" for f in files)]
    return " ".join(words)


def target(
    project: Project | None,
    interpreter: Interpreter,
    extras: list[str],
    groups: list[str],
    requirements: Sequence[str] = (),
    files: Sequence[str] = (),
    refresh: bool = False,
) -> Target:
    """The project's target (``targets.project_env``) with ``requirements`` and the
    requirements ``files`` added; ``project`` None: those alone. ``refresh`` resolves again."""
    import os
    from pathlib import Path

    from monotrail.env.prepare import Target
    from monotrail.errors import MonotrailError
    from monotrail.resolve import resolution_cache
    from monotrail.targets import project_env

    key = env_key(project, interpreter.executable, extras, groups, requirements, files)
    if project is None:
        base = Target(key, lambda _: [], {"project": None, "inputs": {}})
    else:
        base = project_env.target(project, interpreter, extras, groups, refresh)
        if not requirements and not files:
            return base
    added = described(requirements, files)
    includes: dict[str, str] = {}
    for path in files:
        if not os.path.isfile(path):
            raise MonotrailError(f"{path}: no such file (given to --with-requirements)")
        includes.update(project_env.requirement_file_includes(Path(path)))
    pinned_by = project.input_files[-1] if project and project.input_files else ""
    # The env key names the files, not what they include: the resolution follows both (and
    # is kept under the env key itself when nothing is included, so gc keeps it with the record).
    included = [f"{path}|{digest}".encode() for path, digest in sorted(includes.items())]
    resolution_key = fingerprint.digest(key.encode(), *included) if included else key

    def packages(python: Interpreter) -> list[LockedPackage]:
        pinned = base.packages(python)
        if not added:
            return pinned
        _check_pins(pinned, requirements, python, pinned_by)
        more = resolution_cache.remembered(
            resolution_key,
            f"{added} with pip",
            lambda: _resolve(pinned, requirements, files, python, added, pinned_by),
            refresh,
        )
        return [*pinned, *more]

    owner: Owner = {**base.owner, "tool": f"run {added}" if added else "run python"}
    return Target(
        key,
        packages,
        owner,
        input_files=(*base.input_files, *files),
        source=base.source,
        extra_inputs={**base.extra_inputs, **includes},
    )


def _resolve(
    pinned: list[LockedPackage],
    requirements: Sequence[str],
    files: Sequence[str],
    interpreter: Interpreter,
    added: str,
    pinned_by: str,
) -> list[LockedPackage]:
    """The packages pip adds for ``requirements`` and ``files`` with ``pinned`` kept."""
    import os
    import tempfile
    from pathlib import Path

    from monotrail import paths
    from monotrail.errors import MonotrailError
    from monotrail.names import canonical_name
    from monotrail.resolve import pip_resolver

    args = [*requirements, *(word for path in files for word in ("-r", path))]
    constraints = [f"{p.name}=={p.version}\n" for p in pinned if not p.source_dir and not p.git]
    # Not named *.txt: pip's errors name the first requirements file among the arguments.
    fd, constraints_file = tempfile.mkstemp(suffix=".pins", dir=paths.tmp_dir())
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(constraints)
        try:
            report = pip_resolver.run_pip_report(
                [*args, "-c", constraints_file], interpreter, Path.cwd()
            )
        except pip_resolver.ResolutionConflict as err:
            raise MonotrailError(_conflict(err.causes, added, pinned_by)) from None
        except MonotrailError as err:
            if any(str(err).startswith(f"{path}: ") for path in files):
                raise  # it names the file already
            raise MonotrailError(f"{added}: {err}") from None
    finally:
        os.unlink(constraints_file)
    versions = {canonical_name(p.name): p for p in pinned}
    more = []
    for package in pip_resolver.packages_from_report(report):
        locked = versions.get(package.name)
        if locked is None:
            more.append(package)
        elif locked.version != package.version:  # a local tree or git checkout: no constraint
            raise MonotrailError(
                f"{added} conflicts with the project's lock: it needs {package} from the "
                f"package index, {pinned_by} pins {locked} from a local folder or git"
            )
    return more


def _check_pins(
    pinned: list[LockedPackage],
    requirements: Sequence[str],
    interpreter: Interpreter,
    pinned_by: str,
) -> None:
    """A ``--with`` requirement on a package the lock pins at a version it excludes: one line
    naming both, before pip runs."""
    from packaging.requirements import InvalidRequirement, Requirement

    from monotrail.errors import MonotrailError
    from monotrail.names import canonical_name

    versions = {canonical_name(p.name): p.version for p in pinned}
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # a path or URL: pip reads it
        marker = requirement.marker
        if marker is not None and not marker.evaluate({**interpreter.markers, "extra": ""}):
            continue
        version = versions.get(canonical_name(requirement.name))
        if version is not None and not requirement.specifier.contains(version, prereleases=True):
            raise MonotrailError(
                f"--with {text} conflicts with the project's lock: "
                f"{pinned_by} pins {requirement.name} {version}"
            )


def _conflict(causes: list[str], added: str, pinned_by: str) -> str:
    """pip's reasons for a conflict, in the terms of the command line and the lock."""
    said = []
    for cause in causes:
        if cause.startswith("The user requested (constraint) "):
            said.append(f"{pinned_by} pins {cause.rpartition(' ')[2]}")
        elif cause.startswith("The user requested "):
            said.append(f"requested {cause.removeprefix('The user requested ')}")
        else:
            said.append(cause)
    where = "conflicts with the project's lock" if pinned_by else "cannot be installed together"
    return f"{added} {where}: {'; '.join(said)}"
