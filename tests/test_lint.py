"""The code style gates of the project: ruff on everything, mypy (strict) on the three packages:
core/monotrail, pip_monotrail and poetry_monotrail."""

from __future__ import annotations

import subprocess
import sys

from conftest import BIN, REPO


def test_ruff_is_clean() -> None:
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", "--output-format", "concise", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean_on_every_package() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
