"""End to end, offline: `monotrail run` on a requirements project against a local index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.importtime import heavy_imports
from support.index_server import IndexServer

REQUIREMENTS = "alpha\nnsa-one\nnsa-two\nwithpth\ndataful==1.0\n"

PROBE = r"""
import importlib.metadata as md, importlib.resources, json, os, sys
import alpha, beta, dataful, nsa.one, nsa.two, extra_mod
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "alpha": alpha.__version__,
    "beta": beta.VALUE,
    "beta_meta": md.version("beta"),
    "ns": [nsa.one.NAME, nsa.two.NAME],
    "pth_ran": os.environ.get("WITHPTH_RAN"),
    "extra": extra_mod.WHERE,
    "resource": importlib.resources.files("dataful").joinpath("data.txt").read_text().strip(),
    "by_file": dataful.by_file(),
    "plugins": [ep.name for ep in md.entry_points(group="monotrail_test.plugins")],
    "dists": sorted(d.metadata["Name"] for d in md.distributions()),
    "alpha_file": alpha.__file__,
    "cached": alpha.__spec__.cached,
}))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (root / "probe.py").write_text(PROBE)
    return root


def test_run_script_sees_exactly_the_locked_packages(
    project: Path, offline_env: dict[str, str], home: Path
) -> None:
    proc = run([monotrail_exe(), "run", "python", "probe.py", "a1", "--flag"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["argv"] == ["probe.py", "a1", "--flag"]
    assert data["path0"] == str(project)
    assert data["alpha"] == "1.0" and data["beta"] == "beta-2" and data["beta_meta"] == "2.0"
    assert data["ns"] == ["one", "two"]
    assert data["pth_ran"] == "1" and data["extra"] == "extra"
    assert data["resource"] == data["by_file"] == "payload"
    assert data["plugins"] == ["dataful"]
    assert data["dists"] == ["alpha", "beta", "dataful", "nsa-one", "nsa-two", "withpth"]
    assert data["alpha_file"].startswith(str(home / "store" / "alpha" / "1.0"))
    # The store holds bytecode for the target: imports need not write it.
    assert Path(data["cached"]).is_file()


def test_base_site_packages_are_hidden(project: Path, offline_env: dict[str, str]) -> None:
    code = (
        "import sys, site\n"
        "assert not [p for p in sys.path if 'site-packages' in p], sys.path\n"
        "try:\n    import pip\nexcept ModuleNotFoundError:\n    print('no pip')\n"
    )
    proc = run([monotrail_exe(), "run", "python", "-c", code], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "no pip"


def test_plain_python_semantics(project: Path, offline_env: dict[str, str]) -> None:
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "-c", "import sys; sys.exit(7)"], project, offline_env)
    assert proc.returncode == 7
    proc = run([exe, "run", "python", "-m", "alpha"], project, offline_env)
    assert proc.stdout.strip() == "alpha as a module", proc.stderr
    proc = run(
        [exe, "run", "python", "-"], project, offline_env, input="import beta; print(beta.VALUE)"
    )
    assert proc.stdout.strip() == "beta-2", proc.stderr
    proc = run([exe, "run", "python", "-c", "raise SystemExit('boom')"], project, offline_env)
    assert proc.returncode == 1 and "boom" in proc.stderr


def test_console_scripts_and_subprocesses(project: Path, offline_env: dict[str, str]) -> None:
    exe = monotrail_exe()
    proc = run([exe, "run", "command", "alpha-cli", "-x", "--k", "v"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "alpha-cli beta-2 -x --k v"
    proc = run([exe, "run", "command", "dataful-tool"], project, offline_env)
    assert proc.stdout.strip() == "payload", proc.stderr
    child = (
        "import subprocess, sys, multiprocessing as mp\n"
        "import beta\n"
        "def f(_):\n    import beta\n    return beta.VALUE\n"
        "if __name__ == '__main__':\n"
        "    print(subprocess.run([sys.executable, '-c', 'import beta; print(beta.VALUE)'],"
        " capture_output=True, text=True).stdout.strip())\n"
        "    print(subprocess.run(['alpha-cli', 'via-path'], capture_output=True, text=True)"
        ".stdout.strip())\n"
        "    with mp.get_context('spawn').Pool(1) as pool:\n"
        "        print(pool.map(f, [0])[0])\n"
    )
    (project / "child.py").write_text(child)
    proc = run([exe, "run", "python", "child.py"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["beta-2", "alpha-cli beta-2 via-path", "beta-2"]


def test_second_run_is_stdlib_only_and_offline(
    project: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    exe = monotrail_exe()
    first = run([exe, "run", "python", "-c", "pass"], project, offline_env)
    assert first.returncode == 0, first.stderr
    requests_before = len(index.requests_log)
    assert requests_before > 0
    # The launcher itself: -X importtime lists every module it imports before exec.
    launcher = [sys.executable, "-X", "importtime", exe, "run", "python", "-c", "pass"]
    proc = run(launcher, project, offline_env)
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    for heavy in ("poetry", "pip", "requests", "packaging", "cleo", "installer", "platformdirs"):
        assert not [m for m in imported if m == heavy or m.startswith(heavy + ".")], heavy
    # Nor the stdlib modules that cost milliseconds each (they double a hello world's startup
    # on a slow machine), in the launcher or in the target before user code runs.
    slow = {"typing", "pathlib", "json", "re", "hashlib", "importlib.util", "enum"}
    assert not imported & slow, imported & slow
    proc = run(
        [exe, "run", "python", "-c", f"import sys; print(sorted(set(sys.modules) & {slow}))"],
        project,
        offline_env,
    )
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    # The target: before user code runs, nothing outside the stdlib was imported but what the
    # environment's own .pth file imports (as site.py would in a venv).
    check = (
        "import sys\n"
        "bad = [n for n, m in sys.modules.items() if getattr(m, '__file__', None)"
        " and '/store/' in m.__file__]\n"
        "print(bad)\n"
    )
    proc = run([exe, "run", "python", "-c", check], project, offline_env)
    assert proc.stdout.strip() == "['withpth_hook']", proc.stderr
    assert len(index.requests_log) == requests_before


def test_install_reports_added_then_reused(
    project: Path, offline_env: dict[str, str], home: Path
) -> None:
    exe = monotrail_exe()
    proc = run([exe, "install"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert "6 added, 0 already in the store" in proc.stdout
    assert (home / "store" / "nsa-one" / "1.0" / "py3-none-any" / "nsa" / "one").is_dir()
    other = project.parent / "other"
    other.mkdir()
    (other / "requirements.txt").write_text("alpha==1.0\n")
    proc = run([exe, "install"], other, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert "0 added, 2 already in the store" in proc.stdout
    # Again: the environment exists, so install says so without the slow path (no cleo).
    proc = run([sys.executable, "-X", "importtime", exe, "install"], other, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert "0 added, 2 already in the store" in proc.stdout
    assert "up to date" in proc.stdout
    assert heavy_imports(proc.stderr) == []
    # A record made without bytecode is not up to date for a plain install.
    third = project.parent / "third"
    third.mkdir()
    (third / "requirements.txt").write_text("alpha==1.0\n")
    assert run([exe, "install", "--no-compile"], third, offline_env).returncode == 0
    proc = run([exe, "install"], third, offline_env)
    assert "up to date" not in proc.stdout and "0 added, 2 already" in proc.stdout
    assert "up to date" in run([exe, "install"], third, offline_env).stdout


def test_user_errors_are_one_line(
    tmp_path: Path, project: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    exe = monotrail_exe()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(
        run([exe, "run", "command", "alpha-cli"], empty, offline_env), "no project"
    )
    (project / "requirements.txt").write_text("alpha >>= 1\n")
    assert_one_line_error(
        run([exe, "run", "python", "-c", "pass"], project, offline_env), "requirements.txt"
    )
    (project / "requirements.txt").write_text("does-not-exist-pkg\n")
    assert_one_line_error(
        run([exe, "run", "python", "-c", "pass"], project, offline_env), "does-not-exist-pkg"
    )
    (project / "requirements.txt").write_text("alpha\n")
    assert_one_line_error(
        run([exe, "run", "command", "nope"], project, offline_env), "nope", "alpha-cli"
    )
    assert_one_line_error(run([exe, "run", "pyton"], project, offline_env), "pyton")


def test_corrupted_download_is_refused_and_store_stays_clean(
    project: Path, offline_env: dict[str, str], index: IndexServer, home: Path
) -> None:
    (project / "requirements.txt").write_text("beta==2.0\n")
    index.corrupt.add("beta-2.0-py3-none-any.whl")
    proc = run([monotrail_exe(), "install"], project, offline_env)
    assert_one_line_error(proc, "does not match its expected hash")
    assert not (home / "store" / "beta").exists() or not any(
        (home / "store" / "beta").rglob("*.py")
    )


def test_hash_mismatch_after_resolution_is_refused(
    project: Path, offline_env: dict[str, str], index: IndexServer, home: Path
) -> None:
    """The resolution is remembered; a file changed on the index later is caught by monotrail."""
    import shutil

    (project / "requirements.txt").write_text("beta==2.0\n")
    exe = monotrail_exe()
    assert run([exe, "install"], project, offline_env).returncode == 0
    shutil.rmtree(home / "store")
    shutil.rmtree(home / "artifacts")
    index.corrupt.add("beta-2.0-py3-none-any.whl")
    proc = run([exe, "install"], project, offline_env)
    assert_one_line_error(proc, "beta-2.0-py3-none-any.whl", "hash mismatch")
    assert not (home / "store" / "beta" / "2.0" / "py3-none-any").exists()
    assert not list((home / "artifacts").rglob("*.whl"))
