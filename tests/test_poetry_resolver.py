"""Tests of monotrail.resolve.poetry_resolver: real Poetry, real (mirror of) PyPI, no mocks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from monotrail.errors import MonotrailError
from monotrail.resolve.poetry_resolver import ensure_lock, lock_is_fresh

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CORE = Path(__file__).resolve().parents[1] / "core"


@pytest.fixture(scope="session")
def poetry_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Poetry cache for the session (metadata is fetched once), its own venv folder."""
    return tmp_path_factory.mktemp("poetry-home")


@pytest.fixture(autouse=True)
def isolated_poetry(poetry_home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point Poetry's cache and virtualenv folder into tmp; after each test, no venv exists."""
    venvs = poetry_home / "virtualenvs"
    monkeypatch.setenv("POETRY_CACHE_DIR", str(poetry_home / "cache"))
    monkeypatch.setenv("POETRY_VIRTUALENVS_PATH", str(venvs))
    monkeypatch.setenv("POETRY_VIRTUALENVS_IN_PROJECT", "false")
    yield
    assert not venvs.exists(), "Poetry created a virtualenv"
    cache = poetry_home / "cache"
    assert not (cache / "virtualenvs").exists(), "Poetry created a virtualenv"


def write_project(path: Path, body: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def read_lock(project: Path) -> dict[str, Any]:
    with (project / "poetry.lock").open("rb") as f:
        return tomllib.load(f)


def locked(project: Path) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in read_lock(project)["package"]}


def simple_project(path: Path, dependencies: str) -> Path:
    return write_project(
        path,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = [{dependencies}]

        [tool.poetry]
        package-mode = false
        """,
    )


# ---------------------------------------------------------------------------------------------
# offline


def test_module_import_does_not_import_poetry() -> None:
    code = (
        "import sys, monotrail.resolve.poetry_resolver\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('poetry', 'cleo', 'requests', 'packaging'))\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(CORE)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_broken_toml(tmp_path: Path) -> None:
    write_project(tmp_path, '[project\nname = "x"\n')
    for function in (lock_is_fresh, ensure_lock):
        with pytest.raises(MonotrailError) as info:
            function(tmp_path)
        message = str(info.value)
        assert "pyproject.toml" in message and "line 1" in message
        assert "\n" not in message


def test_invalid_for_poetry(tmp_path: Path) -> None:
    write_project(tmp_path, '[project]\nname = "x"\nversion = "1"\ndependencies = 5\n')
    # lock_is_fresh only compares hashes (cheaply, without validating); locking validates.
    assert not lock_is_fresh(tmp_path)
    with pytest.raises(MonotrailError, match=r"pyproject\.toml.*dependencies must be array"):
        ensure_lock(tmp_path)


def test_no_pyproject(tmp_path: Path) -> None:
    with pytest.raises(MonotrailError, match="pyproject.toml not found"):
        ensure_lock(tmp_path / "nowhere")


def test_fresh_lock_is_not_resolved_again(tmp_path: Path) -> None:
    """A lock whose content-hash matches is returned as is (no network: no dependencies)."""
    project = simple_project(tmp_path, "")
    assert not lock_is_fresh(project)
    lock = ensure_lock(project)
    assert lock == project / "poetry.lock" and lock_is_fresh(project)
    mtime = lock.stat().st_mtime_ns
    assert ensure_lock(project) == lock
    assert lock.stat().st_mtime_ns == mtime


def test_pool_swap_keeps_other_sources(tmp_path: Path) -> None:
    from monotrail.resolve.poetry_resolver import _pool_with_simple_fallback
    from poetry.factory import Factory
    from poetry.repositories.legacy_repository import LegacyRepository
    from poetry.repositories.pypi_repository import PyPiRepository
    from poetry.repositories.repository_pool import Priority

    project = write_project(
        tmp_path,
        """
        [project]
        name = "demo"
        version = "0.1.0"

        [[tool.poetry.source]]
        name = "extra-index"
        url = "https://example.invalid/simple/"
        priority = "supplemental"

        [[tool.poetry.source]]
        name = "first"
        url = "https://example.invalid/first/simple/"
        """,
    )
    poetry = Factory().create_poetry(project, disable_plugins=True)
    pool = _pool_with_simple_fallback(poetry.pool, poetry.config, False)
    names = [repo.name for repo in pool.all_repositories]
    assert names == [repo.name for repo in poetry.pool.all_repositories]
    # a primary source is configured, so Poetry leaves PyPI out; nothing to swap
    assert "PyPI" not in names
    assert all(type(repo) is LegacyRepository for repo in pool.all_repositories)
    assert pool.get_priority("extra-index") is Priority.SUPPLEMENTAL

    project = write_project(tmp_path / "two", '[project]\nname = "demo"\nversion = "0.1.0"\n')
    poetry = Factory().create_poetry(project, disable_plugins=True)
    pool = _pool_with_simple_fallback(poetry.pool, poetry.config, False)
    (pypi,) = pool.all_repositories
    assert isinstance(pypi, PyPiRepository) and type(pypi) is not PyPiRepository
    assert pypi.name == "PyPI" and pypi.url == poetry.pool.repository("PyPI").url


def test_condense_solver_message() -> None:
    from monotrail.resolve.poetry_resolver import _condense

    bullet = "  - numpy requires Python >=3.12, so it will not be installable for Python <3.12"
    message = "\n".join(
        [
            "The current project's supported Python range (>=3.10) is not compatible with"
            " some of the required packages Python requirement:",
            *[bullet] * 20,
            "",
            "Because no versions of numpy match >2.3,<2.4",
            " and numpy (2.4.0) requires Python >=3.12, numpy is forbidden.",
            "So, because demo depends on numpy (>=2.3), version solving failed.",
            "",
            "  * Check your dependencies Python requirement: ...",
            "",
            '    For numpy, a possible solution would be to set the `python` property to ">=3.12"',
        ]
    )
    condensed = _condense(message)
    assert "\n" not in condensed
    assert condensed.count("numpy requires Python >=3.12") == 1
    assert condensed.endswith("So, because demo depends on numpy (>=2.3), version solving failed.")
    assert "possible solution" not in condensed


# ---------------------------------------------------------------------------------------------
# online


@pytest.mark.online
def test_lock_then_relock_keeps_pinned_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = simple_project(tmp_path, '"six==1.15.0"')
    assert not lock_is_fresh(project)
    assert ensure_lock(project) == project / "poetry.lock"
    err = capsys.readouterr().err
    assert "Resolved 1 package with Poetry in " in err
    assert "Wrote poetry.lock (1 package)" in err
    assert lock_is_fresh(project)

    lock = read_lock(project)
    assert lock["metadata"]["lock-version"] == "2.1"
    (six,) = lock["package"]
    assert (six["name"], six["version"], six["groups"]) == ("six", "1.15.0", ["main"])
    # looks like a lock made by Poetry against PyPI: no source section, hashed files
    assert "source" not in six
    assert {f["file"] for f in six["files"]} == {
        "six-1.15.0-py2.py3-none-any.whl",
        "six-1.15.0.tar.gz",
    }
    assert all(f["hash"].startswith("sha256:") for f in six["files"])

    # relax six and add a dependency: the lock is stale, six stays pinned
    simple_project(tmp_path, '"six>=1.10", "tomli>=2"')
    assert not lock_is_fresh(project)
    ensure_lock(project)
    assert lock_is_fresh(project)
    packages = locked(project)
    assert packages["six"]["version"] == "1.15.0"
    assert packages["tomli"]["groups"] == ["main"]
    assert all("source" not in p for p in packages.values())
    assert "Wrote poetry.lock (2 packages)" in capsys.readouterr().err

    # an old lock (version 2.0, no per-package groups) is not fresh and is re-locked,
    # keeping its versions
    text = (project / "poetry.lock").read_text(encoding="utf-8")
    old = "\n".join(line for line in text.splitlines() if not line.startswith("groups = ")).replace(
        'lock-version = "2.1"', 'lock-version = "2.0"'
    )
    (project / "poetry.lock").write_text(old, encoding="utf-8")
    assert not lock_is_fresh(project)
    ensure_lock(project)
    assert lock_is_fresh(project)
    packages = locked(project)
    assert packages["six"]["version"] == "1.15.0"
    assert all(p["groups"] == ["main"] for p in packages.values())


@pytest.mark.online
def test_extra_and_dev_group(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        """
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = ["six"]

        [project.optional-dependencies]
        toml = ["tomli>=2"]

        [tool.poetry]
        package-mode = false

        [tool.poetry.group.dev.dependencies]
        iniconfig = ">=2"
        """,
    )
    ensure_lock(project)
    assert lock_is_fresh(project)
    lock = read_lock(project)
    packages = {p["name"]: p for p in lock["package"]}
    assert set(packages) == {"six", "tomli", "iniconfig"}
    assert packages["six"]["groups"] == ["main"] and not packages["six"]["optional"]
    assert packages["iniconfig"]["groups"] == ["dev"]
    assert packages["tomli"]["optional"] is True
    assert packages["tomli"]["groups"] == ["main"]
    assert 'extra == "toml"' in packages["tomli"]["markers"]
    assert lock["extras"] == {"toml": ["tomli"]}


@pytest.mark.online
def test_nonexistent_package(tmp_path: Path) -> None:
    project = simple_project(tmp_path, '"six", "monotrail-no-such-package-zzz"')
    assert not lock_is_fresh(project)  # freshness needs no index
    with pytest.raises(MonotrailError) as info:
        ensure_lock(project)
    message = str(info.value)
    assert "Package monotrail-no-such-package-zzz not found" in message
    assert str(project / "pyproject.toml") in message
    assert not (project / "poetry.lock").exists()


@pytest.mark.online
def test_unsatisfiable(tmp_path: Path) -> None:
    project = simple_project(tmp_path, '"six>=99"')
    with pytest.raises(MonotrailError) as info:
        ensure_lock(project)
    message = str(info.value)
    assert "\n" not in message
    assert "pyproject.toml" in message
    assert "six (>=99) which doesn't match any versions, version solving failed" in message
    assert not (project / "poetry.lock").exists()


@pytest.mark.online
def test_own_source_is_kept(tmp_path: Path) -> None:
    """A project with its own [[tool.poetry.source]] (a LegacyRepository) still locks, and its
    packages carry the source, as with Poetry."""
    from poetry.repositories.pypi_repository import PyPiRepository

    simple_url = PyPiRepository(disable_cache=True).url
    project = write_project(
        tmp_path,
        f"""
        [project]
        name = "demo"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = ["six==1.16.0"]

        [tool.poetry]
        package-mode = false

        [[tool.poetry.source]]
        name = "mirror"
        url = "{simple_url}"
        priority = "primary"
        """,
    )
    ensure_lock(project)
    six = locked(project)["six"]
    assert six["version"] == "1.16.0"
    assert six["source"] == {"type": "legacy", "url": simple_url.rstrip("/"), "reference": "mirror"}


@pytest.mark.online
@pytest.mark.slow
def test_network_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable index is one line naming the host (Poetry retries for ~8 s first)."""
    # a fresh cache, so nothing is answered from it
    monkeypatch.setenv("POETRY_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    project = simple_project(tmp_path / "project", '"six"')
    with pytest.raises(MonotrailError) as info:
        ensure_lock(project)
    message = str(info.value)
    assert message.startswith("Network failure while resolving")
    assert "pypi.org" in message and "\n" not in message
