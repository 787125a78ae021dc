"""End to end: the real ``poetry`` command with monotrail's plugin, against a local index.

A pinned Poetry (the version of the test venv) and monotrail are installed into a venv of their
own, as ``poetry self add`` would; the fixture project's only source is the local index, behind
HTTP basic auth whose credentials come from Poetry's configuration.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, assert_one_line_error, run
from support.index_server import IndexServer
from support.session_venv import shared_venv

pytestmark = [pytest.mark.online, pytest.mark.slow]

PYPROJECT = """\
[project]
name = "plugged"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[project.optional-dependencies]
data = ["dataful"]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
withpth = "*"

[tool.poetry.group.docs]
optional = true

[tool.poetry.group.docs.dependencies]
nsa-one = "*"

[[tool.poetry.source]]
name = "local"
url = "{url}"
priority = "primary"
"""

DISTS = (
    "import importlib.metadata as md, sys\n"
    "known = {'alpha', 'beta', 'withpth', 'dataful', 'nsa-one', 'nsa-two'}\n"
    "names = sorted(d.metadata['Name'] for d in md.distributions())\n"
    "print(' '.join(n for n in names if n in known), '|', *sys.argv[1:])\n"
)


@pytest.fixture(scope="session")
def poetry_exe(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Poetry, pinned to the test venv's version, with monotrail installed beside it."""
    version = importlib.metadata.version("poetry")
    venv = shared_venv(
        tmp_path_factory, "poetry-with-monotrail", [f"poetry=={version}", "-e", str(REPO)]
    )
    return str(venv / "bin" / "poetry")


@pytest.fixture(scope="session")
def poetry_alone_exe(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The same Poetry without monotrail, for monotrail as a project plugin."""
    version = importlib.metadata.version("poetry")
    venv = shared_venv(tmp_path_factory, "poetry-alone", [f"poetry=={version}"])
    return str(venv / "bin" / "poetry")


@pytest.fixture(scope="session")
def monotrail_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """monotrail's wheel, built from this checkout."""
    out = tmp_path_factory.mktemp("monotrail-wheel")
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    subprocess.run([*build, str(REPO)], check=True, capture_output=True)
    return next(out.glob("monotrail-*.whl"))


@pytest.fixture
def poetry_env(offline_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Poetry with its own empty config, cache and venv folders, credentials for the index."""
    return {
        **offline_env,
        "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
        "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
        "POETRY_DATA_DIR": str(tmp_path / "poetry-data"),
        "POETRY_VIRTUALENVS_PATH": str(tmp_path / "poetry-venvs"),
        "POETRY_HTTP_BASIC_LOCAL_USERNAME": "alice",
        "POETRY_HTTP_BASIC_LOCAL_PASSWORD": "s3cret",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


@pytest.fixture
def plugged(tmp_path: Path, index: IndexServer) -> Path:
    index.auth = ("alice", "s3cret")
    root = tmp_path / "plugged"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(url=index.url))
    (root / "dists.py").write_text(DISTS)
    return root


def test_run_locks_with_poetry_and_passes_arguments_through(
    poetry_exe: str, plugged: Path, poetry_env: dict[str, str], tmp_path: Path
) -> None:
    proc = run(
        [poetry_exe, "monotrail", "run", "python", "dists.py", "-x", "--flag"], plugged, poetry_env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "withpth", "|", "-x", "--flag"]
    assert " packages with Poetry in " in proc.stderr  # the solver ran
    assert (plugged / "poetry.lock").is_file()
    # Poetry's options stop at `command NAME`: -x, -k, even -v and -q (which Poetry itself
    # reads anywhere) belong to the console script.
    proc = run(
        [poetry_exe, "monotrail", "run", "command", "alpha-cli", "-x", "-v", "-q", "-k", "name"],
        plugged,
        poetry_env,
    )
    assert proc.stdout.strip() == "alpha-cli beta-2 -x -v -q -k name", proc.stderr
    # A `--` before the program is allowed too (and needed for a -C naming no directory).
    proc = run([poetry_exe, "monotrail", "run", "--", "python", "-V"], plugged, poetry_env)
    assert proc.stdout.startswith("Python 3."), proc.stdout + proc.stderr
    # No virtualenv anywhere: not in Poetry's venv folder, not in the project.
    assert not (tmp_path / "poetry-venvs").exists() or not any(
        (tmp_path / "poetry-venvs").iterdir()
    )
    assert not (plugged / ".venv").exists()


ARGV = "import os, sys; print(os.path.basename(os.getcwd()), *sys.argv[1:])"


def test_poetrys_global_options_after_the_program_are_the_programs(
    poetry_exe: str, plugged: Path, poetry_env: dict[str, str], tmp_path: Path
) -> None:
    """Poetry reads -h, -V, -C, -P, -q... anywhere, before plugins load; as with `poetry run`,
    after `python` or `command NAME` they belong to the program."""
    (plugged / "sub").mkdir()
    words = ["-h", "-V", "-x", "-k", "name", "-C", "sub", "-P", ".", "-q", "-n", "--no-cache"]
    proc = run([poetry_exe, "monotrail", "run", "python", "-c", ARGV, *words], plugged, poetry_env)
    assert proc.stdout.split() == ["plugged", *words], proc.stdout + proc.stderr
    proc = run([poetry_exe, "monotrail", "run", "python", "-V"], plugged, poetry_env)
    assert proc.stdout.startswith("Python 3."), proc.stdout + proc.stderr
    proc = run(
        [poetry_exe, "monotrail", "run", "command", "alpha-cli", "--help"], plugged, poetry_env
    )
    assert proc.stdout.strip() == "alpha-cli beta-2 --help", proc.stdout + proc.stderr
    # Poetry's options before the program still count: -C (also a second one for the
    # program), -v (monotrail's debug lines), -h for `monotrail run` itself.
    proc = run(
        [poetry_exe, "-C", "plugged", "monotrail", "run", "-v", "python", "-c", ARGV, "-C", "/"],
        tmp_path,
        poetry_env,
    )
    assert proc.stdout.split() == ["plugged", "-C", "/"], proc.stdout + proc.stderr
    assert "monotrail DEBUG" in proc.stderr
    proc = run([poetry_exe, "monotrail", "run", "-h"], plugged, poetry_env)
    assert "python ARGS... | command NAME ARGS..." in proc.stdout, proc.stdout + proc.stderr


def test_groups_extras_and_a_stale_lock(
    poetry_exe: str, plugged: Path, poetry_env: dict[str, str]
) -> None:
    proc = run(
        [poetry_exe, "monotrail", "install", "--with", "docs", "-E", "data", "--without", "dev"],
        plugged,
        poetry_env,
    )
    assert proc.returncode == 0, proc.stderr
    added = {line.split("+", 1)[1].strip() for line in proc.stdout.splitlines() if "+" in line}
    assert added == {"alpha 1.0", "beta 2.0", "dataful 1.0", "nsa-one 1.0"}
    proc = run(
        [poetry_exe, "monotrail", "run", "--only", "docs", "python", "dists.py"],
        plugged,
        poetry_env,
    )
    assert proc.stdout.split() == ["nsa-one", "|"], proc.stderr
    proc = run(
        [poetry_exe, "monotrail", "run", "--all-extras", "python", "dists.py"], plugged, poetry_env
    )
    assert proc.stdout.split() == ["alpha", "beta", "dataful", "withpth", "|"], proc.stderr
    # pyproject changes: the lock is stale, Poetry's solver runs again (in-process).
    pyproject = plugged / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["alpha>=1"]', '["alpha>=1", "nsa-two"]'))
    proc = run([poetry_exe, "monotrail", "run", "python", "dists.py"], plugged, poetry_env)
    assert proc.stdout.split() == ["alpha", "beta", "nsa-two", "withpth", "|"], proc.stderr
    assert " packages with Poetry in " in proc.stderr
    assert 'name = "nsa-two"' in (plugged / "poetry.lock").read_text()
    # Mistakes are one line.
    assert_one_line_error(
        run(
            [poetry_exe, "monotrail", "run", "--with", "nope", "python", "-c", "1"],
            plugged,
            poetry_env,
        ),
        "nope",
    )
    assert_one_line_error(
        run(
            [poetry_exe, "monotrail", "run", "-E", "nope", "python", "-c", "1"], plugged, poetry_env
        ),
        "unknown extra nope",
    )


PROJECT_PLUGIN = """
[tool.poetry.requires-plugins]
monotrail = ">=0.1"

# Poetry installs a project plugin with all of Poetry's own packages pinned, so its solver
# looks them up too. Through the simple index: this machine's PyPI mirror answers PyPI's
# per-version JSON API (Poetry's default PyPI source) with 404.
[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "supplemental"
"""


def test_as_a_project_plugin(
    poetry_alone_exe: str,
    monotrail_wheel: Path,
    index: IndexServer,
    plugged: Path,
    poetry_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """`[tool.poetry.requires-plugins]`: Poetry installs monotrail into the project's
    .poetry/plugins (only `poetry install` does that) and loads it from there."""
    (index.root / monotrail_wheel.name).write_bytes(monotrail_wheel.read_bytes())
    pyproject = plugged / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + PROJECT_PLUGIN)
    command = [poetry_alone_exe, "monotrail", "run", "python", "dists.py", "-V", "-x"]
    proc = run(command[:-2], plugged, poetry_env)  # (Poetry would answer -V itself)
    assert "command monotrail does not exist" in proc.stderr, proc.stdout + proc.stderr
    # The plugins only, without a virtualenv: a dry run that may not create one.
    install = [poetry_alone_exe, "install", "--dry-run"]
    proc = run(install, plugged, {**poetry_env, "POETRY_VIRTUALENVS_CREATE": "false"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Installing monotrail (0.1.0)" in proc.stdout
    assert (plugged / ".poetry" / "plugins" / "poetry_monotrail" / "plugin.py").is_file()
    assert not (tmp_path / "poetry-venvs").exists()
    proc = run(command, plugged, poetry_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["alpha", "beta", "withpth", "|", "-V", "-x"], proc.stderr
    # Found through -C from elsewhere too.
    proc = run([poetry_alone_exe, "-C", "plugged", *command[1:]], tmp_path, poetry_env)
    assert proc.stdout.split() == ["alpha", "beta", "withpth", "|", "-V", "-x"], proc.stderr
