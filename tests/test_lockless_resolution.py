"""The first run of a PEP 621 project without a lock, offline against the localhost index.

Poetry's solver locks it into the store, the index fetched ahead of the solver: the versions it
goes back to (the newest ones need another Python) still give the right lock. A second project
with the same dependencies reuses the metadata cache: it asks the index for the project pages
(versions may have been released since) and for no metadata or file. A mirror whose PyPI JSON API
has no dependencies is asked once, then the simple index serves.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import monotrail_exe, run
from support.index_server import IndexServer
from support.wheels import build_wheel

pytestmark = pytest.mark.slow

CODE = "import alpha, beta, gamma; print(alpha.__version__, beta.VALUE, gamma.VERSION)"


def pep621_project(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["alpha", "gamma>=1"]\n'
    )
    return folder


@pytest.fixture
def env(offline_env: dict[str, str], tmp_path: Path, index: IndexServer) -> dict[str, str]:
    """The offline environment with a Poetry cache of this test's own, and an index where
    gamma's newest versions need a Python no interpreter has."""
    for version in ("1.0", "1.1"):
        files = {"gamma.py": f"VERSION = '{version}'\n"}
        build_wheel(index.root, "gamma", version, files, extra_metadata=["Requires-Python: >=3"])
    for version in ("2.0", "2.1", "3.0"):
        files = {"gamma.py": f"VERSION = '{version}'\n"}
        build_wheel(index.root, "gamma", version, files, extra_metadata=["Requires-Python: >=3.99"])
    return {**offline_env, "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache")}


def test_a_second_project_with_the_same_dependencies_reuses_the_metadata_cache(
    tmp_path: Path, index: IndexServer, env: dict[str, str], home: Path
) -> None:
    exe = monotrail_exe()
    first = pep621_project(tmp_path / "first", "first-app")
    proc = run([exe, "run", "python", "-c", CODE], first, env)
    assert proc.returncode == 0, proc.stderr
    # The solver went back from gamma 3.0 past 2.x to 1.1.
    assert proc.stdout.split() == ["1.0", "beta-2", "1.1"]
    assert "with Poetry's solver" in proc.stderr
    lock = next((home / "resolutions").glob("*.poetry.lock")).read_text()
    assert 'name = "gamma"\nversion = "1.1"' in lock
    assert any(path.startswith("/files/") for path in index.requests_log)

    index.requests_log.clear()
    second = pep621_project(tmp_path / "second", "second-app")  # another resolution key
    proc = run([exe, "run", "python", "-c", CODE], second, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1.0", "beta-2", "1.1"]
    assert "with Poetry's solver" in proc.stderr
    assert len(list((home / "resolutions").glob("*.poetry.lock"))) == 2
    # Only the pages: the metadata came from the cache, the files from the store.
    assert sorted(set(index.requests_log)) == ["/simple/alpha/", "/simple/beta/", "/simple/gamma/"]


def test_a_json_api_without_dependencies_gives_way_to_the_simple_index(
    index: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mirror answering PyPI's per-version JSON with ``requires_dist`` null is asked once:
    the dependencies come from the simple index's metadata, and so do the next versions'."""
    from monotrail.resolve import poetry_repositories
    from poetry.config.config import Config
    from poetry.core.constraints.version import Version

    monkeypatch.setenv("POETRY_CACHE_DIR", str(tmp_path / "poetry-cache"))
    index.json_api_without_dependencies = True
    pypi = poetry_repositories.simple_fallback_pypi()
    repository = pypi(url=index.base_url, config=Config.create(reload=True))
    alpha = repository.package("alpha", Version.parse("1.0"))
    assert [str(d.to_pep_508()) for d in alpha.requires] == ["beta (>=2)"]
    assert {f["file"] for f in alpha.files} == {"alpha-1.0-py3-none-any.whl"}
    beta = repository.package("beta", Version.parse("2.0"))
    assert beta.requires == [] and beta.files
    asked = [path for path in index.requests_log if path.startswith("/pypi/")]
    assert asked == ["/pypi/alpha/1.0/json"]
