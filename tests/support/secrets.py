"""The check every private-index test ends with: the secret is nowhere monotrail could keep it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def assert_no_secret(home: Path, secret: str, *procs: subprocess.CompletedProcess[str]) -> None:
    """``secret`` is in no output of ``procs`` and in no file (or name) under ``home``."""
    for proc in procs:
        assert secret not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert home.is_dir()
    for folder, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            assert secret not in name
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                assert secret.encode() not in path.read_bytes(), path
