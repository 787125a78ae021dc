"""Activating an env record inside the running interpreter (notebooks, ``from_git``).

Unlike a launched program, a running kernel already has its own site-packages on ``sys.path``
(monotrail's dependencies live there, and keep working). The environment's finder therefore goes
first on ``sys.meta_path`` and answers the environment's top-level names from its store entries
only, so the kernel's copies cannot shadow the chosen versions; the entries also go on
``sys.path`` before site-packages, so ``importlib.metadata`` reports the same versions.

A module that is already imported cannot be swapped: when a new record would change the version
of an imported distribution, activation is refused before anything changes.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType
from typing import Any

from monotrail.env.finder import StoreFinder, process_pth
from monotrail.errors import MonotrailError
from monotrail.names import canonical_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import EnvRecord


class FirstFinder(StoreFinder):
    """A StoreFinder that does not look at the rest of ``sys.path`` first."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if path is not None or fullname in self.flat:
            return super().find_spec(fullname, path, target)
        roots = self.roots(fullname)
        spec = PathFinder.find_spec(fullname, roots, target) if roots else None
        # A namespace package is left to PathFinder, which joins its portions on sys.path.
        return spec if spec is not None and spec.loader is not None else None


#: What each activation (one per slot: "interactive", a git checkout) added.
_slots: dict[str, tuple[FirstFinder, list[str]]] = {}


def activate(record: EnvRecord, slot: str) -> None:
    """Make ``record``'s packages importable now, replacing the earlier record of ``slot``."""
    problems = conflicts(record)
    if problems:
        raise MonotrailError(
            f"{'; '.join(problems)}: an imported module cannot be replaced, so restart the "
            "kernel (or the Python process) and ask for the versions before importing them"
        )
    old_finder, old_paths = _slots.pop(slot, (None, []))
    if old_finder in sys.meta_path:
        sys.meta_path.remove(old_finder)
    added = [*record["head"], *record["entries"]]
    kept = set(added) | {p for _, paths in _slots.values() for p in paths}
    sys.path[:] = [p for p in sys.path if p not in old_paths or p in kept]
    new = [p for p in added if p not in sys.path]
    position = _before_site_packages()
    sys.path[position:position] = new
    finder = FirstFinder(record["entries"], record["index"], record["flat"])
    sys.meta_path.insert(0, finder)
    _slots[slot] = (finder, added)
    importlib.invalidate_caches()
    for pth in record["pth"]:
        if os.path.dirname(pth) in new:
            process_pth(pth)


def _before_site_packages() -> int:
    """The index in sys.path of the first site-packages folder (the end when there is none)."""
    import site

    sites = set(site.getsitepackages()) | {site.getusersitepackages()}
    for number, entry in enumerate(sys.path):
        if entry in sites or entry.rstrip(os.sep).endswith("site-packages"):
            return number
    return len(sys.path)


def conflicts(record: EnvRecord) -> list[str]:
    """Imported modules whose distribution the record would give another version (or replace)."""
    from monotrail.store.fill import read_entry

    problems = []
    for path, (name, version) in zip(record["entries"], record["packages"], strict=True):
        for module_name in read_entry(Path(path)).top_level:
            module = sys.modules.get(module_name)
            loaded = _loaded_from(module, module_name) if module is not None else None
            if loaded is None:
                continue
            dist, loaded_version = loaded
            if canonical_name(dist) == canonical_name(name) and loaded_version == version:
                continue
            if canonical_name(dist) == canonical_name(name):
                what = f"{name} {loaded_version} is imported (module {module_name})"
            else:
                what = f"module {module_name} is imported from {dist} {loaded_version}"
            problems.append(f"{what} and this would change it to {name} {version}")
    return problems


def _loaded_from(module: ModuleType, name: str) -> tuple[str, str] | None:
    """The distribution (name, version) an imported top-level module came from, found through
    the top-level names of the distributions installed where the module lives."""
    locations = list(getattr(module, "__path__", None) or [])
    file = getattr(module, "__file__", None)
    if file and not locations:
        locations = [file]
    if not locations:
        return None  # built in, or a namespace package without a single home
    root = os.path.dirname(os.path.abspath(locations[0]))
    from importlib import metadata

    for dist in metadata.distributions(path=[root]):
        if name in _top_level_names(dist):
            return dist.metadata["Name"], dist.version
    return None


def _top_level_names(dist: Any) -> set[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names = set()
    for file in dist.files or ():
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "..":
            continue
        names.add(first.split(".", 1)[0] if len(file.parts) == 1 else first)
    return names
