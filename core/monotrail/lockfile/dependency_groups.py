"""PEP 735 dependency groups: reading ``[dependency-groups]``, and which groups a run installs.

A group lists PEP 508 requirements (markers included) and ``{include-group = "NAME"}`` tables;
``expand`` replaces each include by the included group's requirements, and a cycle or an
include of a group that does not exist is one error line naming pyproject.toml. Group names
compare normalized (PEP 503), as PEP 735 says.

Which groups a run installs starts from the defaults of the tool whose project it is, and then
applies the words of the group options (``--group`` and friends, as uv has them):

- uv and plain PEP 621 projects: ``[tool.uv] default-groups`` (a list, or ``"all"``), else
  ``dev`` when the project has such a group (``uv_defaults``);
- Poetry projects: every group that is not ``optional = true`` (the caller knows them);
- ``NAME`` adds a group (``--group``), ``!NAME`` leaves one out (``--no-group``),
  ``NO_DEFAULT`` drops the defaults (``--no-default-groups``), ``ALL`` takes every group
  (``--all-groups``), ``ONLY`` drops the defaults and the project's own dependencies
  (``--only-group NAME`` is ``ONLY`` and ``NAME``).

The option words start with ``:``, which no group name can. An unknown group is one error line
that lists the groups the project has. Standard library only: the ``run`` parser imports the
words.
"""

from __future__ import annotations

from monotrail.errors import MonotrailError
from monotrail.names import canonical_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path
    from typing import Any

#: ``--no-default-groups``: only the groups asked for by name.
NO_DEFAULT = ":no-default"
#: ``--all-groups``: every group of the project.
ALL = ":all"
#: ``--only-group``: the groups asked for by name, without the project's own dependencies.
ONLY = ":only"
FLAGS = (NO_DEFAULT, ALL, ONLY)


class Choice:
    """The groups a run installs, and whether the project's own dependencies come too."""

    __slots__ = ("groups", "project")

    def __init__(self, groups: frozenset[str], project: bool) -> None:
        #: Normalized group names.
        self.groups = groups
        #: False for ``--only-group``: the groups' packages alone.
        self.project = project


def declared(path: Path, pyproject: dict[str, Any]) -> dict[str, list[Any]]:
    """``[dependency-groups]`` by normalized name, as written (includes not expanded)."""
    table = pyproject.get("dependency-groups")
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise MonotrailError(f"{path}: [dependency-groups] must be a table")
    found: dict[str, list[Any]] = {}
    for name, items in table.items():
        if not isinstance(items, list):
            raise MonotrailError(f"{path}: dependency group {name} must be an array")
        found[canonical_name(str(name))] = items
    return found


def expand(path: Path, pyproject: dict[str, Any]) -> dict[str, list[str]]:
    """Each group's requirements (PEP 508 text), with ``include-group`` expanded."""
    groups = declared(path, pyproject)

    def requirements(name: str, chain: tuple[str, ...]) -> list[str]:
        found: list[str] = []
        for item in groups[name]:
            if isinstance(item, str):
                found.append(item)
                continue
            included = item.get("include-group") if isinstance(item, dict) else None
            if not isinstance(included, str) or len(item) != 1:
                raise MonotrailError(
                    f"{path}: dependency group {name} has {item!r}; an entry is a requirement "
                    'string or {include-group = "NAME"}'
                )
            other = canonical_name(included)
            if other not in groups:
                raise MonotrailError(
                    f"{path}: dependency group {name} includes {included}, which does not "
                    f"exist (the project has: {', '.join(sorted(groups))})"
                )
            if other in chain:
                cycle = " -> ".join((*chain[chain.index(other) :], other))
                raise MonotrailError(f"{path}: dependency groups include each other: {cycle}")
            found.extend(requirements(other, (*chain, other)))
        return found

    return {name: requirements(name, (name,)) for name in groups}


def uv_table(pyproject: dict[str, Any]) -> dict[str, Any]:
    """``[tool.uv]`` (empty when absent or malformed)."""
    tool = pyproject.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return uv if isinstance(uv, dict) else {}


def uv_defaults(path: Path, pyproject: dict[str, Any], existing: Iterable[str]) -> set[str]:
    """The groups uv installs by default: ``[tool.uv] default-groups``, else ``dev`` if any."""
    existing = set(existing)
    uv = uv_table(pyproject)
    defaults = uv.get("default-groups", ["dev"])
    if defaults == "all":
        return existing
    if not isinstance(defaults, list):
        raise MonotrailError(f'{path}: [tool.uv] default-groups must be a list or "all"')
    chosen = {canonical_name(str(g)) for g in defaults}
    if "default-groups" in uv:
        _check(path, chosen, existing, " in [tool.uv] default-groups")
    return chosen & existing  # uv's implicit `dev` only when there is one


def choose(
    path: Path, existing: Iterable[str], defaults: Iterable[str], words: Sequence[str]
) -> Choice:
    """The groups ``words`` (the group options, see above) select from ``existing``."""
    existing = set(existing)
    named = [w for w in words if w not in FLAGS]
    excluded = {canonical_name(w[1:]) for w in named if w.startswith("!")}
    added = {canonical_name(w) for w in named if not w.startswith("!")}
    _check(path, added | excluded, existing, "")
    only = ONLY in words
    if ALL in words:
        chosen = existing
    elif only or NO_DEFAULT in words:
        chosen = added
    else:
        chosen = {canonical_name(g) for g in defaults} | added
    return Choice(frozenset(chosen - excluded), project=not only)


def _check(path: Path, names: set[str], existing: set[str], where: str) -> None:
    unknown = sorted(names - existing)
    if unknown:
        known = ", ".join(sorted(existing)) or "none"
        raise MonotrailError(
            f"{path}: unknown group {', '.join(unknown)}{where} (the project has: {known})"
        )
