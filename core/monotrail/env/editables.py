"""Editable packages: source folders imported in place, as with ``pip install -e``.

The project itself is the first editable; Poetry ``develop = true`` path dependencies, ``-e PATH``
lines of a requirements file, uv ``editable`` sources and uv workspace members are the others
(``LockedPackage.editable``). Each gets what an editable install gives it, and nothing is built:

- its folders on ``sys.path`` before the store's entries: the folder its packages live in
  (``src/`` or the folder itself, or Poetry's ``packages`` declaration), or, in the seed's flat
  layout where ``src/__init__.py`` is the package itself, its import name mapped to ``src``;
- its console scripts in the environment's ``bin/``;
- a dist-info in the environment's ``site/`` (name, version, ``Requires-Dist``, entry points, a
  PEP 610 ``direct_url.json`` saying it is editable), so that ``importlib.metadata`` sees it.

Edits to its code show at once. What it declares (its ``pyproject.toml``, ``setup.cfg`` or
``setup.py``) is an input of the environment: ``declaration_digests`` go into the env record's
``extra_inputs``, so a change to one makes the environment again. The packages still come from the
lock as it is: a requirement the lock does not meet is said in one line (``unmet``), as the lock
needs a new run of its locker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from monotrail import fingerprint, toml
from monotrail.env.writer import ProjectSource
from monotrail.errors import MonotrailError
from monotrail.lockfile.model import LockedPackage
from monotrail.names import canonical_name

#: The files that declare a source folder's metadata, dependencies and scripts.
DECLARATIONS = ("pyproject.toml", "setup.cfg", "setup.py")


#: The version a project with ``dynamic = ["version"]`` gets when no lock says it.
DYNAMIC_VERSION = "0.0.0"


def read(folder: Path, name: str | None = None, version: str | None = None) -> ProjectSource:
    """What ``folder``'s pyproject.toml (Poetry, PEP 621) declares; ``name`` and ``version`` (from
    a lock) stand in for what it does not say, such as a dynamic version."""
    result = ProjectSource(folder=str(folder))
    pyproject = folder / "pyproject.toml"
    data = toml.load(pyproject) if pyproject.is_file() else {}
    poetry = data.get("tool", {}).get("poetry", {})
    project_table = data.get("project", {})
    name = project_table.get("name") or poetry.get("name") or name
    declared_version = project_table.get("version") or poetry.get("version")
    version = declared_version if isinstance(declared_version, str) else version
    if version is None and "version" in project_table.get("dynamic", ()):
        # Made by the build backend (setuptools-scm, hatch-vcs...), which is not run: a
        # placeholder keeps ``importlib.metadata.version(name)`` working (README: editables).
        version = DYNAMIC_VERSION
    if poetry.get("package-mode", True) and name and isinstance(version, str):
        result.name, result.version = str(name), version
        groups = {**poetry.get("plugins", {}), **project_table.get("entry-points", {})}
        for group, items in groups.items():
            if isinstance(items, dict):
                result.entry_points[str(group)] = {str(k): str(v) for k, v in items.items()}
        result.requires = _requires(pyproject, project_table, poetry, folder)
    for script_name, target in {
        **poetry.get("scripts", {}),
        **project_table.get("scripts", {}),
    }.items():
        if isinstance(target, dict):
            target = target.get("reference") if target.get("type", "console") == "console" else None
        if isinstance(target, str) and ":" in target:
            result.scripts[script_name] = target.strip()
    _find_folders(result, folder, str(name) if name else None, poetry.get("packages"))
    return result


def _find_folders(result: ProjectSource, root: Path, name: str | None, declared: Any) -> None:
    """The folders that make the packages importable (``head``, ``flat``)."""

    def add_head(folder: Path) -> None:
        if str(folder) not in result.head:
            result.head.append(str(folder))

    if isinstance(declared, list) and declared:
        for item in declared:
            if not isinstance(item, dict) or "include" not in item:
                continue
            base = root / str(item.get("from", "."))
            include = str(item["include"])
            if include == "src" and (root / "src" / "__init__.py").is_file() and name:
                result.flat[_import_name(name)] = str(root / "src")
            else:
                add_head(base.resolve())
        return
    if not name:
        return
    module = _import_name(name)
    if (root / "src" / module).is_dir() or (root / "src" / f"{module}.py").is_file():
        add_head(root / "src")
    elif (root / "src" / "__init__.py").is_file():
        result.flat[module] = str(root / "src")
    elif (root / module).is_dir() or (root / f"{module}.py").is_file():
        add_head(root)


def _import_name(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def _requires(
    pyproject: Path, project: dict[str, Any], poetry: dict[str, Any], folder: Path
) -> list[str]:
    """``Requires-Dist`` lines: PEP 621 ``dependencies`` and ``optional-dependencies``, else
    Poetry's dependency tables (written as PEP 508 by poetry-core)."""
    from packaging.requirements import InvalidRequirement, Requirement

    found: list[str] = []
    try:
        if isinstance(project.get("dependencies"), list):
            found.extend(str(Requirement(str(r))) for r in project["dependencies"])
            for extra, items in (project.get("optional-dependencies") or {}).items():
                for text in items or ():
                    requirement = Requirement(str(text))
                    condition = f'extra == "{extra}"'
                    marker = requirement.marker
                    requirement.marker = None
                    where = f"({marker}) and {condition}" if marker else condition
                    separator = " ; " if requirement.url else "; "  # PEP 508: a URL ends at a space
                    found.append(f"{requirement}{separator}{where}")
            return found
    except InvalidRequirement as err:
        raise MonotrailError(f"{pyproject}: invalid requirement: {err}") from None
    dependencies = poetry.get("dependencies")
    if not isinstance(dependencies, dict):
        return found
    from poetry.core.factory import Factory

    extras_of: dict[str, list[str]] = {}
    for extra, names in (poetry.get("extras") or {}).items():
        for item in names or ():
            extras_of.setdefault(str(item), []).append(str(extra))
    for dep_name, constraints in dependencies.items():
        if dep_name == "python":
            continue
        # Several constraints (a list) are one dependency each, told apart by their markers.
        for constraint in constraints if isinstance(constraints, list) else [constraints]:
            try:
                dependency = Factory.create_dependency(dep_name, constraint, root_dir=folder)
            except (ValueError, TypeError) as err:
                raise MonotrailError(f"{pyproject}: dependency {dep_name}: {err}") from None
            line = dependency.to_pep_508()
            if dependency.is_optional():
                extras = extras_of.get(dep_name, [])
                if not extras:
                    continue
                either = " or ".join(f'extra == "{e}"' for e in extras)
                line += f" and ({either})" if ";" in line else f"; {either}"
            found.append(line)
    return found


def sources(packages: list[LockedPackage]) -> list[ProjectSource]:
    """The editable packages among ``packages``, read from their folders."""
    found = []
    for package in packages:
        if not package.editable or package.source_dir is None:
            continue
        folder = Path(package.source_dir)
        if not folder.is_dir():
            raise MonotrailError(
                f"{package.name}: its editable source folder {folder} does not exist"
            )
        source = read(folder, package.name, package.version)
        if not source.name:  # a setup.py project, or one that declares no version
            source.name, source.version = package.name, package.version
        if not source.head and not source.flat:
            src = folder / "src"
            source.head.append(str(src if src.is_dir() else folder))
        found.append(source)
    return found


def unmet(
    editable: list[ProjectSource], packages: list[LockedPackage], markers: dict[str, str]
) -> list[str]:
    """One line per requirement of an editable (under ``markers``) that ``packages`` lack."""
    from packaging.requirements import Requirement

    have = {canonical_name(p.name): p.version for p in packages}
    found = []
    for source in editable:
        for line in source.requires:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({**markers, "extra": ""}):
                continue
            version = have.get(canonical_name(requirement.name))
            if version is not None and requirement.specifier.contains(version, prereleases=True):
                continue
            locked = f"the lock has {version}" if version else "the lock does not have it"
            found.append(
                f"{source.folder}: {source.name} needs {requirement.name}{requirement.specifier}, "
                f"{locked}; lock again to install it"
            )
    return found


def declaration_digests(folders: list[str]) -> dict[str, str]:
    """``fingerprint.file_digest`` of the declaration files present in ``folders``."""
    found = {}
    for folder in folders:
        for name in DECLARATIONS:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found[path] = fingerprint.file_digest(path)
    return found
