"""Private indexes: every way pip, Poetry and uv take credentials reaches monotrail's downloads.

Two real indexes on localhost: one behind HTTP basic auth, one shaped like GitLab's
(``/api/v4/projects/42/packages/pypi/simple/``, the access token as the password, files beside
the simple pages). Each route runs the real command with ``-v`` and debug logging, then looks for
the secret in everything it printed and in every file of ``$MONOTRAIL_HOME``: it is nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, assert_one_line_error, monotrail_exe, run
from support.index_server import IndexServer, pip_env
from support.secrets import assert_no_secret

USER = "alice"
PASSWORD = "s3cret-Pa55-q7"
TOKEN = "glpat-Tok3n-x9"
GITLAB_PATH = "/api/v4/projects/42/packages/pypi"
SUPPORT = Path(__file__).parent / "support"
IMPORT = "import alpha, beta; print('private', beta.VALUE)"


@pytest.fixture
def private(index: IndexServer) -> IndexServer:
    """The fixture packages behind HTTP basic auth."""
    index.auth = (USER, PASSWORD)
    return index


@pytest.fixture
def gitlab(fixture_wheels: Path, tmp_path: Path) -> Iterator[IndexServer]:
    """The fixture packages on a GitLab-shaped index that takes an access token as password."""
    root = tmp_path / "gitlab-index"
    shutil.copytree(fixture_wheels, root)
    with IndexServer(root, GITLAB_PATH) as server:
        server.auth = ("__token__", TOKEN)
        yield server


def clean_env(tmp_path: Path, home: Path, **extra: str) -> dict[str, str]:
    """No pip, Poetry, uv or netrc configuration of this machine; only what a test adds."""
    env = {k: v for k, v in pip_env().items() if not k.startswith(("UV_", "POETRY_"))}
    env.update(
        MONOTRAIL_HOME=str(home),
        MONOTRAIL_LOG="debug",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        NETRC=str(tmp_path / "no-netrc"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    env.update(extra)
    return env


def requirements_project(tmp_path: Path, text: str = "alpha\n") -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(text)
    return project


def run_private(
    project: Path, env: dict[str, str], home: Path, secret: str
) -> subprocess.CompletedProcess[str]:
    """``monotrail run -v`` of code importing the private packages; it works, tells nothing."""
    proc = run([monotrail_exe(), "run", "-v", "python", "-c", IMPORT], project, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["private", "beta-2"]
    assert "monotrail DEBUG" in proc.stderr  # the debug log ran and printed no secret either
    assert_no_secret(home, secret, proc)
    return proc


def test_pip_index_url_with_credentials(private: IndexServer, tmp_path: Path, home: Path) -> None:
    project = requirements_project(tmp_path)
    env = clean_env(tmp_path, home, PIP_INDEX_URL=private.url_with(USER, PASSWORD))
    run_private(project, env, home, PASSWORD)
    assert any(p.startswith("/files/alpha-") for p in private.requests_log)  # our download


def test_pip_conf_written_by_the_test_gitlab_token(
    gitlab: IndexServer, tmp_path: Path, home: Path
) -> None:
    project = requirements_project(tmp_path)
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {gitlab.url_with('__token__', TOKEN)}\n")
    env = clean_env(tmp_path, home, PIP_CONFIG_FILE=str(conf))
    run_private(project, env, home, TOKEN)
    assert f"{GITLAB_PATH}/files/" in " ".join(gitlab.requests_log)


def test_index_url_line_in_requirements(private: IndexServer, tmp_path: Path, home: Path) -> None:
    project = requirements_project(
        tmp_path, f"--index-url {private.url_with(USER, PASSWORD)}\nalpha\n"
    )
    run_private(project, clean_env(tmp_path, home), home, PASSWORD)


def test_pip_monotrail_index_url_argument_and_pylock_export(
    private: IndexServer, tmp_path: Path, home: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = clean_env(tmp_path, home)
    env.pop("VIRTUAL_ENV", None)
    args = [
        "install",
        "-v",
        "-i",
        private.url_with(USER, PASSWORD),
        "alpha",
        "--lock",
        "pylock.toml",
    ]
    proc = run([monotrail_exe("pip-monotrail"), *args], project, env)
    assert proc.returncode == 0, proc.stderr
    assert (home / "store" / "alpha" / "1.0").is_dir()
    lock = (project / "pylock.toml").read_text()
    assert f"http://127.0.0.1:{private.port}/files/alpha-1.0-py3-none-any.whl" in lock
    assert_no_secret(home, PASSWORD, proc)
    assert_no_secret(project, PASSWORD)


def test_netrc(gitlab: IndexServer, tmp_path: Path, home: Path) -> None:
    project = requirements_project(tmp_path)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin __token__\npassword {TOKEN}\n")
    netrc.chmod(0o600)
    env = clean_env(tmp_path, home, PIP_INDEX_URL=gitlab.url, NETRC=str(netrc))
    run_private(project, env, home, TOKEN)


def test_keyring_when_pips_keyring_provider_is_set(
    private: IndexServer, tmp_path: Path, home: Path
) -> None:
    project = requirements_project(tmp_path)
    config = tmp_path / "config"
    (config / "python_keyring").mkdir(parents=True)
    (config / "python_keyring" / "keyringrc.cfg").write_text(
        f"[backend]\ndefault-keyring = file_keyring.FileKeyring\nkeyring-path = {SUPPORT}\n"
    )
    secrets = tmp_path / "keyring.json"
    secrets.write_text(json.dumps({f"127.0.0.1:{private.port}": [USER, PASSWORD]}))
    # pip runs under the target interpreter (--python), where only the keyring command is
    # at hand: its "subprocess" provider asks that for the user named in the index URL.
    env = clean_env(
        tmp_path,
        home,
        PIP_INDEX_URL=private.url.replace("://", f"://{USER}@"),
        PIP_KEYRING_PROVIDER="subprocess",
        MONOTRAIL_TEST_KEYRING=str(secrets),
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    del env["PYTHON_KEYRING_BACKEND"]
    proc = run_private(project, env, home, PASSWORD)
    assert f"from keyring (127.0.0.1:{private.port})" in proc.stderr
    assert any(p.startswith("/files/alpha-") for p in private.requests_log)


POETRY_PROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "corp-repo"
url = "{url}"
priority = "primary"
"""


def test_poetry_source_with_poetry_http_basic_variables(
    private: IndexServer, tmp_path: Path, home: Path
) -> None:
    """Locked once, then installed into an empty store: the download alone needs credentials."""
    project = tmp_path / "shop"
    project.mkdir()
    (project / "pyproject.toml").write_text(POETRY_PROJECT.format(url=private.url))
    variables = {
        "POETRY_HTTP_BASIC_CORP_REPO_USERNAME": USER,
        "POETRY_HTTP_BASIC_CORP_REPO_PASSWORD": PASSWORD,
    }
    run_private(project, clean_env(tmp_path, home, **variables), home, PASSWORD)
    assert (project / "poetry.lock").is_file()
    assert PASSWORD not in (project / "poetry.lock").read_text()
    second = tmp_path / "second-home"
    run_private(project, clean_env(tmp_path, second, **variables), second, PASSWORD)


UV_PROJECT = """\
[project]
name = "proj"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[[tool.uv.index]]
name = "corp-repo"
url = "{url}"
default = true
"""


def uv_project(tmp_path: Path, index: IndexServer, username: str, password: str) -> Path:
    """A project locked by the real ``uv lock`` against ``index`` with uv's index variables."""
    project = tmp_path / "uvproj"
    project.mkdir()
    (project / "pyproject.toml").write_text(UV_PROJECT.format(url=index.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # UV_NO_CONFIG would skip [tool.uv] too
        UV_INDEX_CORP_REPO_USERNAME=username,
        UV_INDEX_CORP_REPO_PASSWORD=password,
    )
    proc = run([str(BIN / "uv"), "lock", "--python", sys.executable], project, env)
    assert proc.returncode == 0, proc.stderr
    assert index.url in (project / "uv.lock").read_text()
    assert password not in (project / "uv.lock").read_text()
    return project


def test_uv_lock_with_uv_index_variables(gitlab: IndexServer, tmp_path: Path, home: Path) -> None:
    project = uv_project(tmp_path, gitlab, "__token__", TOKEN)
    variables = {"UV_INDEX_CORP_REPO_USERNAME": "__token__", "UV_INDEX_CORP_REPO_PASSWORD": TOKEN}
    run_private(project, clean_env(tmp_path, home, **variables), home, TOKEN)


def test_wrong_or_missing_credentials_are_one_line(
    private: IndexServer, tmp_path: Path, home: Path
) -> None:
    project = uv_project(tmp_path, private, USER, PASSWORD)
    wrong = "wrong-Pa55-z3"
    variables = {"UV_INDEX_CORP_REPO_USERNAME": USER, "UV_INDEX_CORP_REPO_PASSWORD": wrong}
    exe = monotrail_exe()
    proc = run(
        [exe, "run", "-v", "python", "-c", IMPORT], project, clean_env(tmp_path, home, **variables)
    )
    assert_one_line_error(
        proc,
        "HTTP 401",
        f"the index {private.url}",
        "'corp-repo'",
        "the credentials from UV_INDEX_CORP_REPO_USERNAME / _PASSWORD were refused",
        "~/.netrc",
    )
    assert_no_secret(home, wrong, proc)
    proc = run([exe, "install"], project, clean_env(tmp_path, home))
    assert_one_line_error(proc, "HTTP 401", "no credentials found", "UV_INDEX_NAME_USERNAME")

    # Credentials inside pip's index URL, refused by the server: shown redacted.
    project = requirements_project(tmp_path)
    env = clean_env(tmp_path, home, PIP_INDEX_URL=private.url_with(USER, PASSWORD))
    assert run([exe, "install"], project, env).returncode == 0
    for path in home.iterdir():  # all but the resolution: the next run downloads again
        if path.name != "resolutions":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    private.auth = (USER, "rotated-Pa55")
    proc = run([exe, "install", "-v"], project, env)
    assert_one_line_error(
        proc,
        "HTTP 401",
        f"the index http://{USER}:****@127.0.0.1:{private.port}/simple/ (PIP_INDEX_URL)",
        "the credentials from PIP_INDEX_URL were refused",
    )
    assert_no_secret(home, PASSWORD, proc)
    # pip's own resolution refused: the same line, through pip's error.
    shutil.rmtree(home)
    proc = run([exe, "install"], project, env)
    assert_one_line_error(
        proc,
        "pip could not resolve the requirements",
        "HTTP 401",
        "the credentials from PIP_INDEX_URL were refused",
    )
    assert_no_secret(home, PASSWORD, proc)
