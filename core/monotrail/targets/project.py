"""Finding the project a command runs for, and the files that define its dependencies.

Which file decides a folder's packages: the first of these that matches, from the top (the
README's table "Which file decides" says the same; ``kind_of`` is the code):

1. ``uv.lock`` (``UV``): the lock, read as ``uv sync --frozen`` reads it, never written;
2. ``poetry.lock`` (``POETRY``): the lock, re-locked as ``poetry lock`` would when stale;
3. ``pylock.toml`` (``PYLOCK``): the lock (PEP 751);
4. ``[tool.poetry]`` in pyproject.toml (``POETRY``): Poetry's solver writes poetry.lock;
5. ``requirements.txt`` (``REQUIREMENTS``): pip resolves it once, kept in the store;
6. pyproject.toml, PEP 621 only (``PYPROJECT``): Poetry's solver locks it once into the
   store; nothing is written into the folder.

Stdlib only and light: this runs on the ``run`` fast path, so it works on ``os.path`` strings
and imports pathlib only when a caller asks for ``Path`` objects.

A member of a uv workspace is a uv project whose uv.lock is the workspace root's: the nearest
folder above it whose pyproject.toml has ``[tool.uv.workspace]``, when that table's ``members``
globs (less its ``exclude`` globs) take the member's folder in, as uv finds it. Only a folder with
a pyproject.toml and no lock file of its own is looked at this way, so the search costs a
project with a lock nothing.
"""

from __future__ import annotations

import os

from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from pathlib import Path

UV = "uv"
POETRY = "poetry"
REQUIREMENTS = "requirements"
PYLOCK = "pylock"
PYPROJECT = "pyproject"

_MARKERS = ("poetry.lock", "pyproject.toml", "requirements.txt")


class Project:
    """A project directory and how its dependencies are declared."""

    __slots__ = ("root_dir", "kind", "input_files", "workspace_dir")

    def __init__(
        self,
        root_dir: str,
        kind: str,
        input_files: tuple[str, ...],
        workspace_dir: str | None = None,
    ) -> None:
        self.root_dir = root_dir
        self.kind = kind
        #: The files whose content decides the environment (hashed into the env key).
        self.input_files = input_files
        #: The root of the uv workspace this project is a member of, which holds its uv.lock
        #: (None: the project's own folder holds its lock).
        self.workspace_dir = workspace_dir

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.root_dir)

    @property
    def inputs(self) -> tuple[Path, ...]:
        from pathlib import Path

        return tuple(Path(p) for p in self.input_files)

    @property
    def workspace(self) -> Path | None:
        from pathlib import Path

        return None if self.workspace_dir is None else Path(self.workspace_dir)

    @property
    def requirements(self) -> Path:
        return self.root / "requirements.txt"

    def __repr__(self) -> str:
        return f"Project({self.root_dir!r}, {self.kind!r})"


def kind_of(directory: str) -> str | None:
    """How ``directory`` declares dependencies, or None when it is not a project root."""
    join, isfile = os.path.join, os.path.isfile
    if isfile(join(directory, "uv.lock")):
        return UV  # uv's lock: read as uv sync would, never rewritten
    if isfile(join(directory, "poetry.lock")):
        return POETRY
    if isfile(join(directory, "pylock.toml")):
        return PYLOCK  # a PEP 751 lock: a resolution, so it wins over what it was made from
    pyproject = join(directory, "pyproject.toml")
    has_pyproject = isfile(pyproject)
    if has_pyproject:
        try:
            with open(pyproject, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            text = ""
        if "[tool.uv.workspace]" in text or _workspace_root(directory) is not None:
            return UV  # a uv workspace (root or member): the workspace's uv.lock decides
        if _has_poetry_table(text):
            return POETRY
    if isfile(join(directory, "requirements.txt")):
        return REQUIREMENTS
    if has_pyproject:
        return PYPROJECT
    return None


def _has_poetry_table(pyproject: str) -> bool:
    """Whether pyproject.toml's text has ``[tool.poetry]`` or a table below it (not, say,
    ``[tool.poetry-dynamic-versioning]`` of another build backend's plugin)."""
    if "tool.poetry" not in pyproject:
        return False
    for line in pyproject.splitlines():
        header = line.strip().lstrip("[").replace(" ", "")
        if line.lstrip().startswith("[") and header.startswith(("tool.poetry]", "tool.poetry.")):
            return True
    return False


def explain(project: Project, executable: str, key: str) -> list[tuple[str, str]]:
    """What ``run -v`` and ``show`` say first: which file decides, the interpreter, the env
    key and the env record's path."""
    from monotrail.env.record import path_of

    path, how = deciding_file(project)
    return [
        ("file", f"{path} ({how})"),
        ("interpreter", executable),
        ("env key", key),
        ("record", path_of(key)),
    ]


def deciding_file(project: Project) -> tuple[str, str]:
    """The file that decides the project's packages, and how it is used (a few words)."""
    join = os.path.join
    if project.kind == UV:
        return join(project.workspace_dir or project.root_dir, "uv.lock"), "uv's lock"
    if project.kind == PYLOCK:
        return join(project.root_dir, "pylock.toml"), "PEP 751 lock"
    if project.kind == REQUIREMENTS:
        return join(project.root_dir, "requirements.txt"), "resolved by pip, kept in the store"
    lock = join(project.root_dir, "poetry.lock")
    if project.kind == POETRY and os.path.isfile(lock):
        return lock, "Poetry's lock"
    pyproject = join(project.root_dir, "pyproject.toml")
    if project.kind == POETRY:
        return pyproject, "[tool.poetry] without a lock: Poetry's solver writes poetry.lock"
    return pyproject, "PEP 621 without a lock: locked by Poetry's solver, kept in the store"


def discover(start: str | None = None, explicit: str | os.PathLike[str] | None = None) -> Project:
    """The nearest project at or above ``start`` (the working directory), or ``explicit``."""
    if explicit is not None:
        root = os.path.abspath(os.fspath(explicit))
        if not os.path.isdir(root):
            raise MonotrailError(f"{root}: --project is not a directory")
        kind = kind_of(root)
        if kind is None:
            raise MonotrailError(
                f"{root}: not a project "
                "(no pyproject.toml, uv.lock, poetry.lock or requirements.txt)"
            )
        return _project(root, kind)
    here = os.path.abspath(start or os.getcwd())
    directory = here
    while True:
        kind = kind_of(directory)
        if kind is not None:
            return _project(directory, kind)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    raise MonotrailError(
        f"no project found in {here} or its parents: monotrail looks for pyproject.toml, "
        "uv.lock, poetry.lock, pylock.toml or requirements.txt (or pass --project DIR)"
    )


def _workspace_root(directory: str) -> str | None:
    """The root of the uv workspace that has ``directory`` as a member, or None."""
    if directory not in _WORKSPACES:
        _WORKSPACES[directory] = _find_workspace_root(directory)
    return _WORKSPACES[directory]


_WORKSPACES: dict[str, str | None] = {}


def _find_workspace_root(directory: str) -> str | None:
    child, parent = directory, os.path.dirname(directory)
    while parent != child:
        pyproject = os.path.join(parent, "pyproject.toml")
        try:
            with open(pyproject, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            text = ""
        if "workspace" in text:
            members = _workspace_globs(text) or _workspace_members(pyproject)
            if members is not None:
                return parent if _is_member(parent, directory, *members) else None
        child, parent = parent, os.path.dirname(parent)
    return None


def _workspace_globs(text: str) -> tuple[list[str], list[str]] | None:
    """``_workspace_members`` without a TOML parser (whose imports cost a run from a member
    more than the rest of its start), for the plain form: a ``[tool.uv.workspace]`` table with
    ``members`` and ``exclude`` arrays of quoted strings. None for anything else."""
    header = "\n[tool.uv.workspace]\n"
    start = ("\n" + text).find(header)
    if start < 0:
        return None
    body = text[start - 1 + len(header) :].split("\n[", 1)[0]
    found: dict[str, list[str]] = {"members": [], "exclude": []}
    for item in body.split("]"):
        key, equals, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not key and not value:
            continue
        if not equals or key not in found or not value.startswith("[") or "#" in item:
            return None
        for word in value[1:].split(","):
            word = word.strip()
            if not word:
                continue
            if len(word) < 2 or word[0] not in "\"'" or word[-1] != word[0] or "\\" in word:
                return None
            found[key].append(word[1:-1])
    return found["members"], found["exclude"]


def _workspace_members(pyproject: str) -> tuple[list[str], list[str]] | None:
    """``[tool.uv.workspace]``'s ``members`` and ``exclude`` globs, or None without one."""
    from pathlib import Path

    from monotrail import toml

    workspace = toml.load(Path(pyproject)).get("tool", {}).get("uv", {}).get("workspace")
    if not isinstance(workspace, dict):
        return None

    def globs(key: str) -> list[str]:
        value = workspace.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MonotrailError(f"{pyproject}: [tool.uv.workspace] {key} must be a list of globs")
        return value

    return globs("members"), globs("exclude")


def _is_member(root: str, directory: str, members: list[str], exclude: list[str]) -> bool:
    """Whether the globs (relative to ``root``, as uv expands them) take ``directory`` in."""
    relative = os.path.relpath(directory, root).split(os.sep)

    def matched(patterns: list[str]) -> bool:
        return any(_glob_matches(p, root, directory, relative) for p in patterns)

    return matched(members) and not matched(exclude)


def _glob_matches(pattern: str, root: str, directory: str, relative: list[str]) -> bool:
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    if "**" in parts or any(c in pattern for c in "?[") or len(parts) != len(relative):
        import glob  # the rare case: glob itself, whose imports cost milliseconds

        found = glob.glob(os.path.join(glob.escape(root), pattern), recursive=True)
        return any(os.path.abspath(f) == directory for f in found)
    return all(_part_matches(p, n) for p, n in zip(parts, relative, strict=True))


def _part_matches(part: str, name: str) -> bool:
    """One path component against a glob component with ``*`` only (not hidden names)."""
    if "*" not in part:
        return part == name
    pieces = part.split("*")
    if name.startswith(".") and not part.startswith("."):
        return False
    position, end = len(pieces[0]), len(name) - len(pieces[-1])
    if end < position or not (name.startswith(pieces[0]) and name.endswith(pieces[-1])):
        return False
    for piece in pieces[1:-1]:
        found = name.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _project(root: str, kind: str) -> Project:
    workspace = None
    if kind == UV and not os.path.isfile(os.path.join(root, "uv.lock")):
        workspace = _workspace_root(root)
        if workspace is not None:
            names = (
                os.path.join(root, "pyproject.toml"),
                os.path.join(workspace, "pyproject.toml"),
            )
            return Project(root, kind, (*names, os.path.join(workspace, "uv.lock")), workspace)
    if kind in (POETRY, UV):
        names = ("pyproject.toml", "poetry.lock" if kind == POETRY else "uv.lock")
        candidates = (os.path.join(root, n) for n in names)
        inputs = tuple(p for p in candidates if os.path.isfile(p))
    elif kind == PYLOCK:
        inputs = (os.path.join(root, "pylock.toml"),)
    elif kind == PYPROJECT:
        inputs = (os.path.join(root, "pyproject.toml"),)
    else:
        inputs = (os.path.join(root, "requirements.txt"),)
    return Project(root, kind, inputs)
