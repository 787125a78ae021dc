"""Version requests: what ``-p 3.12`` or a ``.python-version`` line asks for, and what matches it.

A request is a (possibly partial) version tuple: ``3``, ``3.12`` or ``3.12.1``. Standard library
only, as the ``run`` fast path imports it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing and pathlib cost milliseconds on the fast path
    pass

#: Targets are CPython 3.9 or newer.
MIN_VERSION = (3, 9)
_REQUEST = r"(?:c?python)?[@-]?(\d+)(?:\.(\d+))?(?:\.(\d+))?"

Version = tuple[int, ...]


def parse_request(text: str) -> Version | None:
    """``3``, ``3.12``, ``3.12.1``, ``python3.12``, ``cpython@3.12`` -> the version parts."""
    import re  # not at the top: the fast path never parses a request (the choice is cached)

    match = re.fullmatch(_REQUEST, text.strip(), re.IGNORECASE)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


def is_supported(version: Version) -> bool:
    """Whether a (possibly partial) version can be a target: CPython 3.9 or newer."""
    return version[: len(MIN_VERSION)] >= MIN_VERSION[: len(version)]


def matches(version: Version, request: Version) -> bool:
    """``3.12.1`` matches the requests ``3``, ``3.12`` and ``3.12.1``."""
    return tuple(version[: len(request)]) == tuple(request)
