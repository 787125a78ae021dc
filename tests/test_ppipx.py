"""`monotrail ppipx`: apps from PyPI, resolved once, then started from the env record offline."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from monotrail.env.record import read as read_record
from support.importtime import heavy_imports

pytestmark = [pytest.mark.online, pytest.mark.slow]

#: A network that does not answer: any request pip or monotrail made would fail.
DEAD_NETWORK = {
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple/",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "MONOTRAIL_LOG": "debug",
}

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "c1",
            "metadata": {},
            "outputs": [],
            "source": ["y = [1,2,\n", "  3]"],
        }
    ],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["MONOTRAIL_HOME"] = str(tmp_path_factory.mktemp("ppipx-home"))
    return env


def test_seed_example_black_with_jupyter_extra(tmp_path: Path, shared_env: dict[str, str]) -> None:
    """`monotrail ppipx -E jupyter black .` formats notebooks too (the extra's dependencies)."""
    (tmp_path / "a.py").write_text('x = {  "a":1 }\n')
    (tmp_path / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    exe = monotrail_exe()
    proc = run([exe, "ppipx", "-E", "jupyter", "black", "."], tmp_path, shared_env)
    assert proc.returncode == 0, proc.stderr
    assert "2 files reformatted" in proc.stderr
    assert (tmp_path / "a.py").read_text() == 'x = {"a": 1}\n'
    assert json.loads((tmp_path / "nb.ipynb").read_text())["cells"][0]["source"] == [
        "y = [1, 2, 3]"
    ]
    home = Path(shared_env["MONOTRAIL_HOME"])
    assert not (tmp_path / ".venv").exists() and (home / "store" / "black").is_dir()

    # Again, with no network at all: the record is used, nothing is resolved or imported.
    launcher = [sys.executable, "-X", "importtime", exe, "ppipx", "-E", "jupyter", "black"]
    proc = run([*launcher, "--check", "."], tmp_path, {**shared_env, **DEAD_NETWORK})
    assert proc.returncode == 0, proc.stderr
    assert heavy_imports(proc.stderr) == []
    assert "2 files would be left unchanged" in proc.stderr
    assert "fast path, env record" in proc.stderr
    assert "Resolv" not in proc.stderr


def test_pinned_version_with_requirements_and_errors(
    tmp_path: Path, shared_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    app = ["ppipx", "--version", "0.9.0", "--with", "six==1.16.0", "tabulate"]
    proc = run([exe, *app, "--help"], tmp_path, shared_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: tabulate")
    home = Path(shared_env["MONOTRAIL_HOME"])
    records = [read_record(str(p)) or {} for p in (home / "envs").glob("*.record")]
    (record,) = [r for r in records if r.get("tool") == "ppipx tabulate==0.9.0"]
    assert sorted(map(tuple, record["packages"])) == [("six", "1.16.0"), ("tabulate", "0.9.0")]

    offline = {**shared_env, **DEAD_NETWORK}
    table = tmp_path / "t.txt"
    table.write_text("a 1\nb 2\n")
    proc = run([exe, *app, "-f", "pipe", str(table)], tmp_path, offline)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["|:--|--:|", "| a | 1 |", "| b | 2 |"]
    assert "fast path" in proc.stderr
    app.insert(1, "--command=tab")
    assert_one_line_error(
        run([exe, *app], tmp_path, offline), "tabulate 0.9.0 has no command 'tab'", "tabulate"
    )
    assert_one_line_error(
        run([exe, "ppipx", "tabulate-nonexistent-pkg-x"], tmp_path, shared_env),
        "tabulate-nonexistent-pkg-x is not on the package index",
    )
    assert_one_line_error(
        run([exe, "ppipx", "--version", "99.0", "tabulate"], tmp_path, shared_env),
        "tabulate has no version 99.0",
        "0.9.0",
    )
