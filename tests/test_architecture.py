"""The house's rules, read from the code's own imports (every import, also inside functions).

- core/monotrail has no import cycle: every module can be understood from the ones below it.
- The front ends (pip_monotrail, poetry_monotrail) use the public core API only: no
  ``monotrail.cli``, no module or name that starts with an underscore.
- Subpackage ``__init__`` files hold a docstring at most (what the room is for), so importing
  a room costs nothing on the fast path.
- Only ``monotrail.progress`` imports rich: the core reports its phases through it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

CORE = REPO / "core" / "monotrail"
FRONT_ENDS = [REPO / "pip_monotrail", REPO / "poetry_monotrail"]
#: What a front end may import from monotrail.
PUBLIC = {"monotrail", "monotrail.api", "monotrail.errors"}


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every ``import`` and ``from ... import`` in the file."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def core_graph() -> dict[str, set[str]]:
    """Module -> the core modules it imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    modules = {module_name(p): p for p in CORE.rglob("*.py") if "_boot" not in p.parts}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in imports(path):
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            if not targets and module in modules and module != "monotrail":
                targets = [module]
            graph[name].update(t for t in targets if t != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_core_has_no_import_cycle() -> None:
    graph = core_graph()
    assert len(graph) > 50  # the parser found the modules
    assert "monotrail.env.launch" in graph["monotrail.env.writer"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_front_ends_use_the_public_api_only() -> None:
    wrong = []
    for folder in FRONT_ENDS:
        for path in folder.rglob("*.py"):
            for module, names in imports(path):
                if module.split(".")[0] != "monotrail":
                    continue
                private = [n for n in names if n.startswith("_") and n != "__version__"]
                if module not in PUBLIC or private:
                    wrong.append(f"{path.relative_to(REPO)}: {module} {names}")
    assert not wrong, "\n".join(wrong)


def test_room_init_files_hold_no_code() -> None:
    rooms = [p for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert {p.name for p in rooms} >= {"cli", "env", "fetch", "lockfile", "python", "store"}
    for room in rooms:
        body = ast.parse((room / "__init__.py").read_text(encoding="utf-8")).body
        docstring = body[:1] if body and isinstance(body[0], ast.Expr) else []
        assert body == docstring, f"{room.name}/__init__.py holds code"


def test_only_the_display_module_imports_rich() -> None:
    """The core reports phases to monotrail.progress; only that module knows rich's API."""
    users = sorted(
        module_name(path)
        for path in CORE.rglob("*.py")
        if any(module.split(".")[0] == "rich" for module, _ in imports(path))
    )
    assert users == ["monotrail.progress"], users
