"""End to end, offline: pip-monotrail against pip itself, venv-install and export-venv.

The same requirements go into one virtualenv with pip and into another with pip-monotrail; what
pip reports about both (freeze, check, the RECORD files) must agree, and pip must be able to
uninstall what pip-monotrail linked from the store.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.index_server import IndexServer

# An in-tree PEP 517 backend (no build requirements, so it builds offline) with PEP 660
# editable wheels: the wheel holds the package, the editable one a .pth to the source folder.
BACKEND = r"""
import base64, hashlib, os, zipfile

def _wheel(directory, files):
    dist = "localpkg-0.1"
    files = dict(files)
    files[dist + ".dist-info/METADATA"] = (
        "Metadata-Version: 2.1\nName: localpkg\nVersion: 0.1\nRequires-Dist: beta\n"
    )
    files[dist + ".dist-info/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    name = dist + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as archive:
        for arcname, text in files.items():
            data = text.encode()
            archive.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append("%s,sha256=%s,%d" % (arcname, digest.decode(), len(data)))
        record.append(dist + ".dist-info/RECORD,,")
        archive.writestr(dist + ".dist-info/RECORD", "\n".join(record) + "\n")
    return name

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with open(os.path.join("src", "localpkg", "__init__.py")) as handle:
        return _wheel(wheel_directory, {"localpkg/__init__.py": handle.read()})

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"localpkg.pth": os.path.abspath("src") + "\n"})
"""

LOCAL_PYPROJECT = """\
[build-system]
requires = []
build-backend = "localbackend"
backend-path = ["."]
"""


def make_venv(path: Path) -> Path:
    """A virtualenv with pip in it (virtualenv seeds pip from its own wheels, offline)."""
    subprocess.run(
        [sys.executable, "-m", "virtualenv", "-q", "--no-setuptools", str(path)], check=True
    )
    return path


def local_project(root: Path, greeting: str = "hello") -> Path:
    (root / "src" / "localpkg").mkdir(parents=True)
    (root / "src" / "localpkg" / "__init__.py").write_text(f"GREETING = {greeting!r}\n")
    (root / "pyproject.toml").write_text(LOCAL_PYPROJECT)
    (root / "localbackend.py").write_text(BACKEND)
    return root


def record_rows(venv: Path, dist_info: str) -> dict[str, tuple[str, str]]:
    site = next((venv / "lib").glob("python3*/site-packages"))
    with open(site / dist_info / "RECORD", newline="") as handle:
        return {row[0]: (row[1], row[2]) for row in csv.reader(handle)}


def comparable(rows: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """RECORD rows that must be byte-identical between pip and pip-monotrail: all but the
    installer's name and the generated scripts, whose shebangs name their own venv."""
    return {
        path: ("<script>",) * 2 if path.startswith("../../../bin/") else value
        for path, value in rows.items()
        if not path.endswith(".dist-info/INSTALLER")
    }


def pip_out(venv: Path, *args: str, env: dict[str, str]) -> str:
    proc = run([str(venv / "bin" / "python"), "-m", "pip", *args], venv, env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture
def venv_env(offline_env: dict[str, str]) -> dict[str, str]:
    env = dict(offline_env)
    env.pop("VIRTUAL_ENV", None)
    return env


def test_install_into_venv_agrees_with_pip(
    tmp_path: Path, venv_env: dict[str, str], home: Path
) -> None:
    local = local_project(tmp_path / "local")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("alpha\ndataful==1.0\nwithpth\nnsa-one\n")
    by_pip, by_us = make_venv(tmp_path / "by-pip"), make_venv(tmp_path / "by-us")
    args = ["install", "-r", str(requirements), "-e", str(local)]
    proc = run([str(by_pip / "bin" / "pip"), *args], tmp_path, venv_env)
    assert proc.returncode == 0, proc.stderr
    proc = run([monotrail_exe("pip-monotrail"), "--python", str(by_us), *args], tmp_path, venv_env)
    assert proc.returncode == 0, proc.stderr
    assert (
        "Successfully installed alpha-1.0 beta-2.0 dataful-1.0 localpkg-0.1 nsa-one-1.0 "
        "withpth-1.0" in proc.stdout
    )

    freeze = pip_out(by_pip, "freeze", "--exclude-editable", env=venv_env)
    assert freeze == pip_out(by_us, "freeze", "--exclude-editable", env=venv_env)
    assert "alpha==1.0" in freeze and "beta==2.0" in freeze
    for venv in (by_pip, by_us):
        assert pip_out(venv, "check", env=venv_env).strip() == "No broken requirements found."
    for dist_info in ("alpha-1.0", "beta-2.0", "dataful-1.0", "withpth-1.0", "nsa_one-1.0"):
        ours = record_rows(by_us, f"{dist_info}.dist-info")
        assert comparable(ours) == comparable(record_rows(by_pip, f"{dist_info}.dist-info"))
    # The editable install points at the source tree, recorded as pip would (PEP 610).
    direct = json.loads(
        next(
            by_us.glob("lib/python3*/site-packages/localpkg-0.1.dist-info/direct_url.json")
        ).read_text()
    )
    assert direct == {"dir_info": {"editable": True}, "url": local.as_uri()}

    # What was linked works: console scripts, data scripts, metadata, the editable source.
    python = str(by_us / "bin" / "python")
    assert run([str(by_us / "bin" / "alpha-cli"), "x"], tmp_path).stdout == "alpha-cli beta-2 x\n"
    assert run([str(by_us / "bin" / "dataful-tool")], tmp_path).stdout == "payload\n"
    code = (
        "import importlib.metadata as m, localpkg, withpth_hook, os\n"
        "print(m.version('alpha'), localpkg.GREETING, os.environ.get('WITHPTH_RAN'))\n"
    )
    assert run([python, "-c", code], tmp_path).stdout.split() == ["1.0", "hello", "1"]
    # Hard links into the store: one copy of each file on disk.
    site = next(by_us.glob("lib/python3*/site-packages"))
    store_file = home / "store" / "alpha" / "1.0" / "py3-none-any" / "alpha" / "__init__.py"
    assert os.path.samefile(site / "alpha" / "__init__.py", store_file)

    # pip itself uninstalls what pip-monotrail linked; the store keeps its copy.
    pm = monotrail_exe("pip-monotrail")
    proc = run([pm, "--python", str(by_us), "uninstall", "-y", "alpha"], tmp_path, venv_env)
    assert proc.returncode == 0, proc.stderr
    assert "Successfully uninstalled alpha-1.0" in proc.stdout
    assert not (site / "alpha").exists() and not (by_us / "bin" / "alpha-cli").exists()
    assert store_file.is_file()
    listed = run([pm, "--python", str(by_us), "list"], tmp_path, venv_env).stdout
    assert "alpha" not in listed and "beta" in listed
    frozen = run([pm, "freeze", "--python", str(by_us)], tmp_path, venv_env).stdout
    assert frozen == pip_out(by_us, "freeze", env=venv_env)


def test_pip_options_upgrade_dry_run_report_target(
    tmp_path: Path, venv_env: dict[str, str], index: IndexServer, fixture_wheels: Path
) -> None:
    pm = monotrail_exe("pip-monotrail")
    venv = make_venv(tmp_path / "venv")
    env = {**venv_env, "VIRTUAL_ENV": str(venv)}  # an activated venv
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("beta==1.0\n")
    # Index options reach pip: the configured index is dead, --index-url names the real one.
    dead = {**env, "PIP_INDEX_URL": "http://127.0.0.1:9/simple/"}
    proc = run([pm, "install", "-i", index.url, "beta", "-c", str(constraints)], tmp_path, dead)
    assert proc.stdout.strip() == "Successfully installed beta-1.0", proc.stderr
    # --dry-run and --report: pip's plan, nothing changes.
    report = tmp_path / "report.json"
    proc = run([pm, "install", "-U", "beta", "--dry-run", "--report", str(report)], tmp_path, env)
    assert proc.stdout.strip() == "Would install beta-2.0", proc.stderr
    assert [i["metadata"]["version"] for i in json.loads(report.read_text())["install"]] == ["2.0"]
    site = next(venv.glob("lib/python3*/site-packages"))
    assert (site / "beta-1.0.dist-info").is_dir()
    # An upgrade replaces the old version's files.
    proc = run([pm, "install", "--upgrade", "beta"], tmp_path, env)
    assert proc.stdout.strip() == "Successfully installed beta-2.0", proc.stderr
    assert "beta==2.0" in pip_out(venv, "freeze", env=env)
    assert not (site / "beta-1.0.dist-info").exists()
    check = run([str(venv / "bin" / "python"), "-c", "import beta; print(beta.VALUE)"], tmp_path)
    assert check.stdout.strip() == "beta-2"
    # --no-deps installs alpha alone; --target fills a folder; --find-links without an index.
    target = tmp_path / "target"
    local = ["--no-index", "--find-links", str(fixture_wheels)]
    proc = run(
        [pm, "install", "--no-deps", *local, "--target", str(target), "alpha"], tmp_path, dead
    )
    assert proc.stdout.strip() == "Successfully installed alpha-1.0", proc.stderr
    assert (target / "alpha" / "__init__.py").is_file() and (target / "bin" / "alpha-cli").is_file()
    assert not (target / "beta.py").exists()


def test_without_venv_the_store_is_filled_and_run_starts_without_resolving(
    tmp_path: Path, venv_env: dict[str, str], index: IndexServer, home: Path
) -> None:
    import tomllib
    from packaging.pylock import Pylock

    pm, exe = monotrail_exe("pip-monotrail"), monotrail_exe()
    project, locked = tmp_path / "app", tmp_path / "locked"
    project.mkdir()
    locked.mkdir()
    (project / "requirements.txt").write_text("alpha\nnsa-two\n")
    code = "import alpha, beta, nsa.two; print(alpha.__version__, beta.VALUE, nsa.two.NAME)"
    lock = str(locked / "pylock.toml")
    proc = run([pm, "install", "-r", "requirements.txt", "--lock", lock], project, venv_env)
    assert proc.returncode == 0, proc.stderr
    assert "Recorded for `monotrail run`" in proc.stdout
    assert (home / "store" / "alpha" / "1.0").is_dir()
    # The target interpreter's own site-packages did not get the packages.
    target = proc.stdout.split("Installed into monotrail's store for ", 1)[1].split(":")[0]
    purelib = subprocess.run(
        [target, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert os.path.isabs(purelib)
    names = os.listdir(purelib) if os.path.isdir(purelib) else []
    assert not [n for n in names if n.startswith(("alpha", "beta", "nsa"))]
    written = Pylock.from_dict(tomllib.loads((locked / "pylock.toml").read_text()))
    assert sorted((p.name, str(p.version)) for p in written.packages) == [
        ("alpha", "1.0"),
        ("beta", "2.0"),
        ("nsa-two", "1.0"),
    ]
    assert written.created_by == "pip-monotrail" and written.environments
    # The index goes away: neither the requirements project nor the locked one resolves.
    index.stop()
    for folder in (project, locked):
        proc = run([exe, "run", "python", "-c", code], folder, venv_env)
        assert proc.stdout.strip() == "1.0 beta-2 two", proc.stderr
        assert "Resolv" not in proc.stderr
    # A lock file named against PEP 751 is refused before anything else happens.
    assert_one_line_error(
        run([pm, "install", "alpha", "--lock", "my.lock"], project, venv_env), "pylock"
    )


def test_user_errors_are_one_line(tmp_path: Path, venv_env: dict[str, str]) -> None:
    pm = monotrail_exe("pip-monotrail")
    hashed = tmp_path / "hashed.txt"
    hashed.write_text(f"beta==2.0 --hash=sha256:{'0' * 64}\n")
    assert_one_line_error(
        run([pm, "install", "--require-hashes", "-r", str(hashed)], tmp_path, venv_env), "hash"
    )
    assert_one_line_error(run([pm, "install", "--user", "alpha"], tmp_path, venv_env), "--user")
    assert_one_line_error(run([pm, "install"], tmp_path, venv_env), "install")
    assert_one_line_error(run([pm, "list"], tmp_path, venv_env), "no virtualenv")
    assert_one_line_error(run([pm, "frobnicate"], tmp_path, venv_env), "frobnicate")


def test_venv_install_and_export_venv(
    tmp_path: Path, venv_env: dict[str, str], fixture_wheels: Path, home: Path
) -> None:
    exe = monotrail_exe()
    venv = make_venv(tmp_path / "venv")
    wheels = [
        str(fixture_wheels / f) for f in ("alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl")
    ]
    proc = run([exe, "venv-install", "-p", str(venv), *wheels], tmp_path, venv_env)
    assert proc.returncode == 0, proc.stderr
    assert "Installed alpha-1.0 beta-2.0" in proc.stdout
    # Like `pip install ./alpha-1.0-py3-none-any.whl`: a direct URL install (PEP 610).
    assert f"alpha @ {fixture_wheels.as_uri()}/alpha-1.0" in pip_out(venv, "freeze", env=venv_env)
    assert run([str(venv / "bin" / "alpha-cli")], tmp_path).stdout == "alpha-cli beta-2\n"
    assert pip_out(venv, "uninstall", "-y", "beta", env=venv_env)
    assert_one_line_error(
        run([exe, "venv-install", "-p", str(venv), str(tmp_path / "nope.whl")], tmp_path, venv_env),
        "nope.whl",
    )

    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha\nwithpth\n")
    exported = tmp_path / "exported"
    proc = run([exe, "export-venv", str(exported)], project, venv_env)
    assert proc.returncode == 0, proc.stderr
    python = str(exported / "bin" / "python")
    code = "import alpha, beta, extra_mod; print(beta.VALUE, extra_mod.WHERE)"
    assert run([python, "-c", code], tmp_path).stdout.strip() == "beta-2 extra"
    # A changed project brings the venv in line: withpth goes, nsa-one comes.
    (project / "requirements.txt").write_text("alpha\nnsa-one\n")
    proc = run([exe, "export-venv", str(exported)], project, venv_env)
    assert proc.returncode == 0, proc.stderr
    assert "1 linked, 1 removed, 2 unchanged" in proc.stdout
    pm = monotrail_exe("pip-monotrail")
    listing = run([pm, "--python", str(exported), "list", "--format=freeze"], tmp_path, venv_env)
    assert listing.stdout.split() == ["alpha==1.0", "beta==2.0", "nsa-one==1.0"], listing.stderr
    assert_one_line_error(
        run([exe, "export-venv", str(project)], project, venv_env), "not a virtualenv"
    )
