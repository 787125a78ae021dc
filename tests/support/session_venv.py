"""Virtualenvs with tools from PyPI (Poetry, pre-commit), made once per test session.

Under pytest-xdist the workers share one: it is made under the session's common temporary
folder, by whichever worker comes first, behind a file lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock


def shared_venv(factory: pytest.TempPathFactory, name: str, packages: list[str]) -> Path:
    """The folder of a virtualenv with ``packages`` installed by pip (from PyPI)."""
    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/, common to the workers of this session
    root = base / name
    with FileLock(f"{root}.lock"):
        if not (root / "ready").exists():
            subprocess.run([sys.executable, "-m", "virtualenv", "-q", str(root)], check=True)
            pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q"]
            subprocess.run([*pip, *packages], check=True)
            (root / "ready").touch()
    return root
