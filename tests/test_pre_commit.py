"""End to end: the real ``pre-commit`` (from PyPI) running tools through monotrail.

Three hooks check a temporary git repository: this repository's ``monotrail-run`` hook (a tool
from the project's own lock, served by the local index) and ``monotrail-ppipx`` hook (a pinned
pyflakes from the package index), which pre-commit installs from a git repository made of the
working tree, and a ``language: system`` local hook as the README documents. Each must pass a
good file and fail a bad one, naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, REPO, run
from support.index_server import IndexServer
from support.session_venv import shared_venv
from support.wheels import build_wheel

pytestmark = [pytest.mark.online, pytest.mark.slow]

LINTER = """\
import sys


def main():
    bad = [path for path in sys.argv[1:] if "BAD" in open(path).read()]
    for path in bad:
        print(f"{path}: contains BAD")
    return 1 if bad else 0
"""

CONFIG = """\
repos:
  - repo: {hooks}
    rev: {rev}
    hooks:
      - id: monotrail-run
        name: lintish via the monotrail-run hook
        args: [lintish]
      - id: monotrail-ppipx
        name: pyflakes via the monotrail-ppipx hook
        args: [--version, "3.2.0", pyflakes]
  - repo: local
    hooks:
      - id: lintish-system
        name: lintish via a local system hook
        entry: monotrail run command lintish
        language: system
        types: [python]
"""

# What `pip install .` of monotrail needs: the hook repository pre-commit installs from.
SOURCES = (
    "pyproject.toml",
    "README.md",
    ".pre-commit-hooks.yaml",
    "core",
    "scripts",
    "poetry_monotrail",
    "pip_monotrail",
)


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_exe(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(shared_venv(tmp_path_factory, "pre-commit", ["pre-commit"]) / "bin" / "pre-commit")


def hook_repository(folder: Path) -> str:
    """A git repository of the working tree's monotrail; returns its commit."""
    folder.mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, folder / name)
    git("init", "-q", cwd=folder)
    git("add", ".", cwd=folder)
    git("commit", "-q", "-m", "monotrail", cwd=folder)
    return git("rev-parse", "HEAD", cwd=folder)


def test_hooks_run_a_tool_from_the_lock(
    pre_commit_exe: str, tmp_path: Path, index: IndexServer, home: Path
) -> None:
    build_wheel(
        index.root,
        "lintish",
        "1.0",
        {"lintish.py": LINTER},
        entry_points={"console_scripts": {"lintish": "lintish:main"}},
    )
    rev = hook_repository(tmp_path / "hooks")
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / "requirements.txt").write_text(f"--index-url {index.url}\nlintish==1.0\n")
    (repo / ".pre-commit-config.yaml").write_text(CONFIG.format(hooks=tmp_path / "hooks", rev=rev))
    (repo / "good.py").write_text("print('fine')\n")
    (repo / "bad.py").write_text("import os\nprint('BAD')\n")
    git("add", ".", cwd=repo)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "MONOTRAIL_HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",  # monotrail for the system hook
    }
    env.pop("VIRTUAL_ENV", None)

    good = run([pre_commit_exe, "run", "--files", "good.py"], repo, env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.count("Passed") == 3, good.stdout

    bad = run([pre_commit_exe, "run", "--files", "bad.py"], repo, env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.count("Failed") == 3, bad.stdout
    assert bad.stdout.count("bad.py: contains BAD") == 2, bad.stdout
    assert "bad.py:1:1: 'os' imported but unused" in bad.stdout, bad.stdout
