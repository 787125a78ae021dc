"""End to end, offline: `monotrail from-git` and `monotrail.from_git` on a repository the test
makes with the real `git` command, served by a file:// URL, with two revisions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.importtime import heavy_imports
from support.index_server import IndexServer
from support.source_trees import git

MODULE = """\
VERSION = "{version}"

def hello():
    import beta
    return f"gitpkg {{VERSION}} beta {{beta.VALUE}}"

def main():
    print("cli", hello())
"""

PYPROJECT = """\
[project]
name = "gitpkg"
version = "2.0"
requires-python = ">=3.9"
dependencies = ["beta==1.0"]

[project.scripts]
gitpkg-hello = "gitpkg:main"

[tool.poetry]
packages = [{{ include = "gitpkg" }}]

[[tool.poetry.source]]
name = "local"
url = "{url}"
priority = "primary"
"""

HELLO = ["python", "-c", "import gitpkg; print(gitpkg.hello())"]


@pytest.fixture
def repo(tmp_path: Path, index: IndexServer) -> tuple[str, str, str]:
    """A repository: a requirements.txt project at the first commit, a Poetry project (with a
    console script) at the tag v2. Returns (url, first commit, "v2")."""
    root = tmp_path / "upstream"
    (root / "gitpkg").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "requirements.txt").write_text("alpha\n")
    (root / "gitpkg" / "__init__.py").write_text(MODULE.format(version=1))
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    first = git(root, "rev-parse", "HEAD")
    (root / "requirements.txt").unlink()
    (root / "pyproject.toml").write_text(PYPROJECT.format(url=index.url))
    (root / "gitpkg" / "__init__.py").write_text(MODULE.format(version=2))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two")
    git(root, "tag", "v2")
    return root.as_uri(), first, "v2"


def test_two_revisions_each_fetched_once(
    repo: tuple[str, str, str],
    tmp_path: Path,
    offline_env: dict[str, str],
    index: IndexServer,
    home: Path,
) -> None:
    url, first, tag = repo
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exe = monotrail_exe()
    proc = run([exe, "from-git", url, first, *HELLO], elsewhere, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "gitpkg 1 beta beta-2"  # alpha pulled beta>=2
    proc = run([exe, "from-git", url, tag, "command", "gitpkg-hello"], elsewhere, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "cli gitpkg 2 beta old-beta"
    checkouts = sorted(p.name for p in (home / "git").glob("*/[!.]*"))
    assert checkouts == sorted([first, tag])
    assert list((home / "git").glob(f"*/{tag}/poetry.lock"))  # Poetry locked the checkout

    # Fetched once: with the upstream gone and the index silent, both still start (fast path).
    Path(url.removeprefix("file://")).rename(tmp_path / "moved")
    requests_before = len(index.requests_log)
    debug = {**offline_env, "MONOTRAIL_LOG": "debug"}
    for rev, expected in ((first, "gitpkg 1 beta beta-2"), (tag, "gitpkg 2 beta old-beta")):
        launcher = [sys.executable, "-X", "importtime", exe, "from-git", url, rev]
        proc = run([*launcher, *HELLO], elsewhere, debug)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == expected
        assert "fast path" in proc.stderr
        assert heavy_imports(proc.stderr) == []
    assert len(index.requests_log) == requests_before


def test_python_api_makes_the_checkout_importable(
    repo: tuple[str, str, str], tmp_path: Path, offline_env: dict[str, str]
) -> None:
    url, first, _ = repo
    code = (
        "import monotrail\n"
        f"monotrail.from_git({url!r}, {first!r})\n"
        "import gitpkg, alpha\n"
        "print(gitpkg.hello(), alpha.__version__)\n"
    )
    proc = run([sys.executable, "-c", code], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "gitpkg 1 beta beta-2 1.0"


def test_git_errors_are_one_line(
    repo: tuple[str, str, str], tmp_path: Path, offline_env: dict[str, str], home: Path
) -> None:
    url, _, _ = repo
    exe = monotrail_exe()
    proc = run([exe, "from-git", url, "no-such-rev", *HELLO], tmp_path, offline_env)
    assert_one_line_error(proc, url, "no-such-rev")
    missing = (tmp_path / "nothing-here").as_uri()
    proc = run([exe, "from-git", missing, "main", *HELLO], tmp_path, offline_env)
    assert_one_line_error(proc, missing)
    assert not list((home / "git").glob("*/[!.]*"))  # nothing half-fetched is left
    assert_one_line_error(run([exe, "from-git", url], tmp_path, offline_env), "revision")
