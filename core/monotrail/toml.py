"""Reading TOML files with errors that name the file, line and problem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from monotrail.errors import MonotrailError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


def load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as err:
        raise MonotrailError(f"{path}: cannot read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise MonotrailError(f"{path}: invalid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise MonotrailError(f"{path}: invalid TOML: not UTF-8 text ({err.reason})") from None


def table(value: Any, key: str, path: Path) -> dict[str, Any]:
    """``value`` when it is a TOML table (missing: empty); a one-line error naming ``key`` in
    ``path`` otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MonotrailError(f"{path}: `{key}` must be a table, not {type(value).__name__}")
    return value


def array(value: Any, key: str, path: Path) -> list[Any]:
    """``value`` when it is a TOML array (missing: empty); a one-line error otherwise."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MonotrailError(f"{path}: `{key}` must be an array, not {type(value).__name__}")
    return value
