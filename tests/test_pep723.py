"""End to end, offline: PEP 723 scripts (`# /// script`) run in their own environment."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from conftest import BIN, assert_one_line_error, monotrail_exe, run
from monotrail.targets.script import script_path
from support.importtime import heavy_imports
from support.index_server import IndexServer

SCRIPT = """\
# /// script
# requires-python = ">=3.9"
# dependencies = [
#   "alpha",
# ]
# ///
import importlib.metadata as md, json, sys
import alpha, beta
print(json.dumps({
    "alpha": alpha.__version__,
    "beta": beta.VALUE,
    "dists": sorted(d.metadata["Name"] for d in md.distributions()),
    "argv": sys.argv[1:],
    "python": "%d.%d" % sys.version_info[:2],
}))
"""


def _project_around(tmp_path: Path) -> Path:
    """A requirements project whose environment the script must not get."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("dataful==1.0\n")
    return root


def test_script_gets_its_block_not_the_project_around_it(
    tmp_path: Path, offline_env: dict[str, str], index: IndexServer, home: Path
) -> None:
    project = _project_around(tmp_path)
    script = project / "tool.py"
    script.write_text(SCRIPT)
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "tool.py", "x", "-y"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["alpha"] == "1.0" and data["beta"] == "beta-2"
    assert data["dists"] == ["alpha", "beta"]  # no dataful from the project's requirements
    assert data["argv"] == ["x", "-y"]
    assert len(list((home / "resolutions").glob("*.json"))) == 1  # the resolution cache

    # Second run: the env record, no resolution, no request to the index.
    requests_before = len(index.requests_log)
    debug_env = {**offline_env, "MONOTRAIL_LOG": "debug"}
    launcher = [sys.executable, "-X", "importtime", exe, "run", "python", "tool.py"]
    proc = run(launcher, project, debug_env)
    assert proc.returncode == 0, proc.stderr
    assert "fast path" in proc.stderr and "PEP 723 script" in proc.stderr
    assert heavy_imports(proc.stderr) == []
    # Editing the code (not the block) keeps the environment.
    script.write_text(SCRIPT.replace("import alpha, beta", "import alpha, beta  # edited"))
    proc = run([exe, "run", "python", "tool.py"], project, debug_env)
    assert "fast path" in proc.stderr, proc.stderr
    assert len(index.requests_log) == requests_before

    # Editing the block makes a new environment.
    script.write_text(SCRIPT.replace('"alpha",', '"alpha",\n#   "nsa-one",'))
    proc = run([exe, "run", "python", "tool.py"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["dists"] == ["alpha", "beta", "nsa-one"]
    assert len(index.requests_log) > requests_before


def test_shebang_runs_the_script_through_monotrail(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    script = tmp_path / "hello"
    script.write_text(
        "#!/usr/bin/env -S monotrail run python\n"
        "# /// script\n# dependencies = []\n# ///\n"
        "import sys\nprint(sys.argv[1:], [p for p in sys.path if 'site-packages' in p])\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {**offline_env, "PATH": f"{BIN}{os.pathsep}{offline_env['PATH']}"}
    proc = run([str(script), "--flag"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['--flag'] []"


def test_requires_python_picks_a_matching_interpreter(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    script = tmp_path / "old.py"
    script.write_text(SCRIPT.replace('">=3.9"', '"==3.10.*"'))
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "old.py"], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["python"] == "3.10"
    # -p that contradicts the block is refused.
    proc = run([exe, "run", "-p", "3.11", "python", "old.py"], tmp_path, offline_env)
    assert_one_line_error(proc, "old.py", "requires-python ==3.10.*", "3.11")


def test_broken_blocks_are_one_line_errors(tmp_path: Path, offline_env: dict[str, str]) -> None:
    exe = monotrail_exe()
    (tmp_path / "bad.py").write_text("# /// script\n# dependencies = [\n# ///\nprint(1)\n")
    assert_one_line_error(
        run([exe, "run", "python", "bad.py"], tmp_path, offline_env), "bad.py", "invalid TOML"
    )
    (tmp_path / "bad.py").write_text('# /// script\n# dependencies = ["alpha >>= 1"]\n# ///\n')
    assert_one_line_error(
        run([exe, "run", "python", "bad.py"], tmp_path, offline_env), "bad.py", "alpha >>= 1"
    )
    (tmp_path / "bad.py").write_text('# /// script\n# dependencies = ["no-such-pkg"]\n# ///\n')
    assert_one_line_error(
        run([exe, "run", "python", "bad.py"], tmp_path, offline_env), "bad.py", "no-such-pkg"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tool.py", "-c", "x"], "tool.py"),
        (["-u", "-X", "dev", "-W", "error", "tool.py"], "tool.py"),
        (["-Ximporttime", "-Bu", "tool.py"], "tool.py"),
        (["--check-hash-based-pycs", "always", "tool.py"], "tool.py"),
        (["--", "tool.py"], "tool.py"),
        (["-c", "print(1)", "tool.py"], None),
        (["-Bc", "print(1)"], None),
        (["-m", "tool"], None),
        (["-"], None),
        (["--version"], None),
        ([], None),
    ],
)
def test_which_argument_is_the_script(args: list[str], expected: str | None) -> None:
    assert script_path(args) == expected
