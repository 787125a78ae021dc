"""PEP 723 inline script metadata: the ``# /// script`` block of a single-file script.

``find_block`` is stdlib-only and cheap (the ``run`` fast path keys a script's environment by the
block's text); ``parse`` reads the TOML only when an environment has to be made.
"""

from __future__ import annotations

import sys

from monotrail.errors import MonotrailError

#: The PEP's reference regular expression (compiled when a script has a block: `re` costs
#: milliseconds on the fast path of every other script).
BLOCK_PATTERN = r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"
#: Scripts are read up to this size when looking for a block; larger files are not scripts.
MAX_SCRIPT_BYTES = 4 * 1024 * 1024
MARKER = "# /// script"


class ScriptMetadata:
    """What a script's block asks for (a plain class: dataclasses cost ~10 ms to import)."""

    __slots__ = ("dependencies", "requires_python")

    def __init__(self, dependencies: list[str], requires_python: str | None) -> None:
        self.dependencies = dependencies
        self.requires_python = requires_python


def read_script(path: str) -> str | None:
    """The text of ``path`` when it is a readable file that may carry a block, else None."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SCRIPT_BYTES)
    except OSError:
        return None
    if MARKER.encode() not in data:
        return None
    return data.decode("utf-8", errors="replace")


def find_block(text: str, where: str) -> str | None:
    """The content of the ``script`` block (comment prefixes removed), None without one."""
    import re

    blocks = re.finditer(BLOCK_PATTERN, text)
    matches = [m for m in blocks if m.group("type") == "script"]
    if len(matches) > 1:
        raise MonotrailError(f"{where}: more than one `# /// script` block (PEP 723 allows one)")
    if not matches:
        return None
    return "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in matches[0].group("content").splitlines(keepends=True)
    )


def parse(block: str, where: str) -> ScriptMetadata:
    """The block's ``dependencies`` and ``requires-python``, checked."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found, no-redef]

    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError as err:
        raise MonotrailError(f"{where}: invalid TOML in the `# /// script` block: {err}") from None
    dependencies = data.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise MonotrailError(
            f"{where}: `dependencies` in the `# /// script` block must be a list of strings"
        )
    requires_python = data.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise MonotrailError(
            f"{where}: `requires-python` in the `# /// script` block must be a string"
        )
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    for dependency in dependencies:
        try:
            Requirement(dependency)
        except InvalidRequirement as err:
            raise MonotrailError(f"{where}: invalid dependency {dependency!r}: {err}") from None
    if requires_python is not None:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            raise MonotrailError(
                f"{where}: requires-python {requires_python!r} is not a valid version specifier"
            ) from None
    return ScriptMetadata(list(dependencies), requires_python)
