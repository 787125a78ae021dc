"""What one distribution looks like from inside an environment (stdlib only, Python 3.9+).

    python compat_probe.py OUT.json DIST [DIST...]

Run by bench/compat.py with a venv's python and with ``monotrail run python``: for each
distribution it writes the version and entry points ``importlib.metadata`` reports, the
top-level modules its RECORD declares, and for each of those the outcome of importing it,
its ``__version__`` and whether its ``__file__`` exists. Paths are left out of the output
so that the two environments can be compared field by field.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import json
import os
import re
import sys
from typing import Any

_PATH = re.compile(r"(/[^\s'\":,()]+)+")


def _clean(text: str) -> str:
    """An error message without the paths that differ between two environments."""
    return _PATH.sub("<path>", text).strip().splitlines()[0] if text.strip() else ""


def top_level_modules(dist: md.Distribution) -> list[str]:
    """The importable top-level names a distribution installs (from its RECORD): folders with
    Python code in them, modules and extensions (not a folder of scripts or data).

    Scripts are listed as ``../../../bin/x`` in a venv and as ``bin/x`` in a store entry (the
    layout of ``pip install --target``): neither is a module.
    """
    files = list(dist.files or ())
    scripts_is_package = any(f.parts == ("bin", "__init__.py") for f in files)
    names: set[str] = set()
    for file in files:
        parts = file.parts
        first = parts[0]
        if first == ".." or first.endswith((".dist-info", ".data", ".egg-info")):
            continue
        if first == "bin" and not scripts_is_package:
            continue
        if not parts[-1].endswith((".py", ".so", ".pyd")):
            continue
        name = first if len(parts) > 1 else first.split(".", 1)[0]
        if name.isidentifier() and name != "__pycache__":
            names.add(name)
    if not names:  # a distribution without RECORD (rare): fall back to top_level.txt
        names.update((dist.read_text("top_level.txt") or "").split())
    return sorted(names)


def probe_module(name: str) -> dict[str, Any]:
    """Import ``name``; what a user would look at first."""
    try:
        module = importlib.import_module(name)
    except BaseException as err:  # SystemExit and KeyboardInterrupt count as failures too
        return {"import": f"{type(err).__name__}: {_clean(str(err))}"}
    version = getattr(module, "__version__", None)
    file = getattr(module, "__file__", None)
    return {
        "import": "ok",
        "version": None if version is None else str(version),
        "file": None if file is None else ("exists" if os.path.exists(file) else "missing"),
    }


def probe_distribution(name: str) -> dict[str, Any]:
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        return {"error": "distribution not found by importlib.metadata"}
    entry_points = sorted(f"{ep.group}: {ep.name} = {ep.value}" for ep in dist.entry_points)
    modules = top_level_modules(dist)
    return {
        "version": md.version(name),
        "entry_points": entry_points,
        "modules": {module: probe_module(module) for module in modules},
    }


def main(argv: list[str]) -> int:
    out, names = argv[0], argv[1:]
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "distributions": sorted(
            f"{d.metadata['Name']}=={d.version}" for d in md.distributions() if d.metadata
        ),
    }
    for name in names:
        result[name] = probe_distribution(name)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Some imports start non-daemon threads or atexit hooks that would hold the exit.
    os._exit(code)
