"""End to end, offline: Poetry projects whose packages come from a local index."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import TEST_DATA, assert_one_line_error, monotrail_exe, run
from support.importtime import heavy_imports
from support.index_server import IndexServer

PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[project.optional-dependencies]
ns = ["nsa-one"]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
withpth = "*"

[tool.poetry.group.tools]
optional = true

[tool.poetry.group.tools.dependencies]
dataful = "*"

[[tool.poetry.source]]
name = "local"
url = "{url}"
priority = "primary"
"""

LIST_DISTS = (
    "import importlib.metadata as md\n"
    "print(' '.join(sorted(d.metadata['Name'] for d in md.distributions())))\n"
)


@pytest.fixture
def shop(tmp_path: Path, index: IndexServer) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(url=index.url))
    (root / "dists.py").write_text(LIST_DISTS)
    return root


def test_groups_and_extras_select_from_the_lock(shop: Path, offline_env: dict[str, str]) -> None:
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "dists.py"], shop, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "withpth"]
    assert (shop / "poetry.lock").is_file()
    assert "Wrote poetry.lock" in proc.stderr
    proc = run(
        [exe, "run", "-E", "ns", "--group", "tools", "python", "dists.py"], shop, offline_env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "dataful", "nsa-one", "withpth"]
    assert "Wrote poetry.lock" not in proc.stderr  # the lock was fresh
    assert_one_line_error(
        run([exe, "run", "-E", "nope", "python", "dists.py"], shop, offline_env), "nope", "ns"
    )
    assert_one_line_error(
        run([exe, "run", "--group", "nah", "python", "dists.py"], shop, offline_env), "nah"
    )


def test_a_copy_of_a_locked_project_starts_without_poetry(
    shop: Path, tmp_path: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    assert run([exe, "run", "-E", "ns", "python", "dists.py"], shop, offline_env).returncode == 0
    copy = tmp_path / "checkout"
    copy.mkdir()
    for name in ("pyproject.toml", "poetry.lock", "dists.py"):
        shutil.copy(shop / name, copy / name)
    # A new folder is a new environment, but what the lock selects is known by its content.
    launcher = [sys.executable, "-X", "importtime", exe, "run", "-E", "ns", "python", "dists.py"]
    proc = run(launcher, copy, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "nsa-one", "withpth"]
    heavy = [m for m in heavy_imports(proc.stderr) if not m.startswith("packaging")]
    assert heavy == [], heavy
    # Without the extra the selection differs, and Poetry reads the lock again.
    proc = run([exe, "run", "python", "dists.py"], copy, offline_env)
    assert proc.stdout.split() == ["alpha", "beta", "withpth"], proc.stderr


def test_stale_lock_is_relocked_keeping_pins(
    shop: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    exe = monotrail_exe()
    text = (shop / "pyproject.toml").read_text()
    (shop / "pyproject.toml").write_text(text.replace('["alpha>=1"]', '["alpha>=1", "beta==1.0"]'))
    # alpha needs beta>=2, so pinning beta 1.0 cannot be satisfied.
    assert_one_line_error(run([exe, "run", "python", "dists.py"], shop, offline_env), "beta")
    (shop / "pyproject.toml").write_text(text)
    assert run([exe, "run", "python", "dists.py"], shop, offline_env).returncode == 0
    lock = (shop / "poetry.lock").read_text()
    (shop / "pyproject.toml").write_text(text.replace('["alpha>=1"]', '["alpha>=1", "nsa-two"]'))
    proc = run([exe, "run", "python", "dists.py"], shop, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "nsa-two", "withpth"]
    new_lock = (shop / "poetry.lock").read_text()
    assert new_lock != lock and 'name = "nsa-two"' in new_lock


def test_broken_lock_is_one_error_line(shop: Path, offline_env: dict[str, str]) -> None:
    exe = monotrail_exe()
    assert run([exe, "install"], shop, offline_env).returncode == 0
    lock = shop / "poetry.lock"
    lock.write_text(lock.read_text().replace("[[package]]", "[[package]", 1))
    assert_one_line_error(run([exe, "install"], shop, offline_env), "poetry.lock")


def test_flat_src_layout_is_importable(tmp_path: Path, home: Path) -> None:
    project = tmp_path / "srcery"
    shutil.copytree(TEST_DATA / "poetry" / "srcery", project)
    exe = monotrail_exe()
    code = "from srcery.potion import brew; print(brew())"
    proc = run([exe, "run", "python", "-c", code], project / "src")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "a potion from srcery.potion"
    proc = run([exe, "run", "command", "brew"], project)
    assert proc.stdout.strip() == "a potion from srcery.potion", proc.stderr
    # The project is an installed distribution too, as after `poetry install`.
    code = (
        "import importlib.metadata as md\n"
        "print(md.version('srcery'), [e.value for e in md.entry_points(group='console_scripts')"
        " if e.name == 'brew'])\n"
    )
    proc = run([exe, "run", "python", "-c", code], project)
    assert proc.stdout.strip() == "0.1.0 ['srcery.potion:main']", proc.stderr


def test_private_source_with_poetry_credentials(
    shop: Path, offline_env: dict[str, str], index: IndexServer, home: Path
) -> None:
    """A source behind HTTP basic auth: Poetry's credentials serve resolution and downloads."""
    index.auth = ("alice", "s3cret")
    exe = monotrail_exe()
    assert_one_line_error(run([exe, "install"], shop, offline_env), "alpha")
    env = {
        **offline_env,
        "POETRY_HTTP_BASIC_LOCAL_USERNAME": "alice",
        "POETRY_HTTP_BASIC_LOCAL_PASSWORD": "s3cret",
    }
    proc = run([exe, "run", "python", "dists.py"], shop, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "withpth"]
