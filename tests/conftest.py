"""Shared fixtures: an isolated store per test, the real monotrail command, a local index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fixture_packages import build_fixture_packages
from support.index_server import IndexServer, pip_env

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = REPO / "test-data"
BIN = Path(sys.executable).parent


def monotrail_exe(name: str = "monotrail") -> str:
    """The installed console script (tests run the real command in a subprocess)."""
    path = BIN / name
    assert path.exists(), f"{path} missing: install monotrail into the test venv (pip install -e .)"
    return str(path)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty store for this test (MONOTRAIL_HOME), also seen by subprocesses."""
    store = tmp_path / "monotrail-home"
    monkeypatch.setenv("MONOTRAIL_HOME", str(store))
    return store


@pytest.fixture(scope="session")
def fixture_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real wheels (and an sdist) of small test packages, built once per session."""
    root = tmp_path_factory.mktemp("index-root")
    build_fixture_packages(root)
    return root


@pytest.fixture
def index(fixture_wheels: Path, tmp_path: Path) -> Iterator[IndexServer]:
    """A PEP 503/691 index on localhost serving a private copy of the fixture packages."""
    root = tmp_path / "index"
    shutil.copytree(fixture_wheels, root)
    with IndexServer(root) as server:
        yield server


@pytest.fixture
def offline_env(index: IndexServer, home: Path) -> dict[str, str]:
    """Environment variables for a monotrail subprocess that only sees the local index."""
    return pip_env({"PIP_INDEX_URL": index.url, "MONOTRAIL_HOME": str(home)})


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output."""
    return subprocess.run(
        args,
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A user error: non-zero exit, an ``error:`` line naming the problem, no traceback."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
