"""The project's own code: which folders make its packages importable, and its scripts.

Like an editable install: the folder a package lives in goes on sys.path after the standard
library. The seed's flat layout, where ``src/__init__.py`` is the package itself (``srcery``),
maps the project's import name straight to ``src``.
"""

from __future__ import annotations

from pathlib import Path

from monotrail import toml
from monotrail.env.writer import ProjectSource
from monotrail.targets.project import POETRY, PYPROJECT, UV, Project


def read(project: Project) -> ProjectSource:
    """The project's own source, from its pyproject.toml (Poetry, uv and PEP 621 projects)."""
    result = ProjectSource()
    pyproject = project.root / "pyproject.toml"
    if project.kind not in (POETRY, UV, PYPROJECT) or not pyproject.is_file():
        return result
    data = toml.load(pyproject)
    poetry = data.get("tool", {}).get("poetry", {})
    project_table = data.get("project", {})
    name = project_table.get("name") or poetry.get("name")
    root = project.root
    package_mode = poetry.get("package-mode", True)
    version = project_table.get("version") or poetry.get("version")
    if package_mode and name and isinstance(version, str):
        result.name, result.version = str(name), version
        groups = {**poetry.get("plugins", {}), **project_table.get("entry-points", {})}
        for group, items in groups.items():
            if isinstance(items, dict):
                result.entry_points[str(group)] = {str(k): str(v) for k, v in items.items()}
    for script_name, target in {
        **poetry.get("scripts", {}),
        **project_table.get("scripts", {}),
    }.items():
        if isinstance(target, dict):
            target = target.get("reference") if target.get("type", "console") == "console" else None
        if isinstance(target, str) and ":" in target:
            result.scripts[script_name] = target.strip()

    def add_head(folder: Path) -> None:
        if str(folder) not in result.head:
            result.head.append(str(folder))

    declared = poetry.get("packages")
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
        return result
    if not name:
        return result
    module = _import_name(name)
    if (root / "src" / module).is_dir() or (root / "src" / f"{module}.py").is_file():
        add_head(root / "src")
    elif (root / "src" / "__init__.py").is_file():
        result.flat[module] = str(root / "src")
    elif (root / module).is_dir() or (root / f"{module}.py").is_file():
        add_head(root)
    return result


def _import_name(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()
