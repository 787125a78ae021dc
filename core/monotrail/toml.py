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
