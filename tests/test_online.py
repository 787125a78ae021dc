"""End to end against PyPI: the seed's data-science stack, pytest with plugins, an sdist.

These share one store for the module (the downloads are the slow part) and run the real
monotrail command as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import TEST_DATA, monotrail_exe, run

pytestmark = [pytest.mark.online, pytest.mark.slow]


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["MONOTRAIL_HOME"] = str(tmp_path_factory.mktemp("online-home"))
    return env


def test_data_science_stack_with_extra(tmp_path: Path, shared_env: dict[str, str]) -> None:
    project = tmp_path / "data-science"
    shutil.copytree(TEST_DATA / "poetry" / "data-science", project)
    lock_before = (project / "poetry.lock").read_text()
    exe = monotrail_exe()
    proc = run([exe, "run", "-E", "tqdm_feature", "python", "analyse.py"], project, shared_env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["sum"] == 285 and result["png"] is True
    for name in ("numpy", "pandas", "matplotlib", "tqdm"):
        assert f'name = "{name}"\nversion = "{result[name]}"' in lock_before, name
    # Without the extra, tqdm is not importable; the lock is untouched (it was fresh).
    proc = run([exe, "run", "python", "analyse.py"], project, shared_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tqdm"] is None
    assert (project / "poetry.lock").read_text() == lock_before


def test_pytest_with_xdist_plugin(tmp_path: Path, shared_env: dict[str, str]) -> None:
    project = tmp_path / "tested"
    project.mkdir()
    (project / "requirements.txt").write_text("pytest==8.3.4\npytest-xdist==3.6.1\n")
    (project / "test_sample.py").write_text(
        "import sys\n\n"
        "def test_one():\n    assert 'site-packages' not in ''.join(sys.path)\n\n"
        "def test_two():\n    import xdist\n    assert xdist\n"
    )
    proc = run(
        [monotrail_exe(), "run", "command", "pytest", "-n", "2", "-p", "no:cacheprovider"],
        project,
        shared_env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 workers [2 items]" in proc.stdout
    assert "2 passed" in proc.stdout


def test_sdist_only_package_is_built_once(tmp_path: Path, shared_env: dict[str, str]) -> None:
    project = tmp_path / "docopt-user"
    project.mkdir()
    (project / "requirements.txt").write_text("docopt==0.6.2\n")
    (project / "cli.py").write_text(
        '"""Usage: cli.py <name>"""\nimport docopt\nprint(docopt.docopt(__doc__)["<name>"])\n'
    )
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "cli.py", "world"], project, shared_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "world"
    home = Path(shared_env["MONOTRAIL_HOME"])
    built = list((home / "artifacts" / "built").rglob("docopt-0.6.2-*.whl"))
    assert len(built) == 1
    entries = list((home / "store" / "docopt" / "0.6.2").iterdir())
    assert [e.name for e in entries if not e.name.startswith(".")] == ["py2.py3-none-any"]
    # A second project with the same pin reuses the built wheel and the entry.
    other = tmp_path / "other"
    other.mkdir()
    (other / "requirements.txt").write_text("docopt==0.6.2\n")
    proc = run([exe, "install"], other, shared_env)
    assert proc.returncode == 0, proc.stderr
    assert "0 added, 1 already in the store" in proc.stdout
