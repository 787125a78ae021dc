"""Reading ``python -X importtime`` output: did a fast path import what it must not?"""

from __future__ import annotations

#: What a command that starts from an existing env record must not import.
HEAVY = ("poetry", "pip", "requests", "packaging", "cleo", "installer", "platformdirs", "rich")


def heavy_imports(stderr: str) -> list[str]:
    """The heavy modules named in ``-X importtime`` lines of ``stderr``."""
    imported = {line.split("|")[-1].strip() for line in stderr.splitlines() if "|" in line}
    return sorted(m for m in imported if m.split(".")[0] in HEAVY)
