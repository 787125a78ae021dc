"""Interpreters end to end: discovery, the version choice, provisioning, the matrix, the symlink.

Real interpreters only: pyenv's builds on this machine (3.9 to 3.13, and older ones that must be
listed as unsupported). Provisioning downloads a python-build-standalone style ``install_only``
archive, packed from pyenv's 3.12 and served from localhost with its checksum in a
pbs-installer ``versions.json`` (MONOTRAIL_PYTHON_DOWNLOADS_JSON + MONOTRAIL_PYTHON_MIRROR).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import assert_one_line_error, monotrail_exe, run
from support.index_server import IndexServer
from support.pbs_mirror import (
    MirrorServer,
    build_install_only_archive,
    sha256_of,
    versions_table,
)
from support.secrets import assert_no_secret
from support.wheels import build_wheel

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
RELEASE = "20990101"


def pyenv_prefix(minor: str) -> Path:
    """pyenv's installation of Python ``minor`` (e.g. "3.12"): its prefix."""
    found = sorted(PYENV_VERSIONS.glob(f"{minor}.*"))
    if not found:
        pytest.skip(f"pyenv has no Python {minor} on this machine")
    return found[-1]


def pyenv_python(minor: str) -> str:
    return str(pyenv_prefix(minor) / "bin" / f"python{minor}")


def make_project(folder: Path, files: dict[str, str]) -> Path:
    """A project folder with these files (``{"requirements.txt": "alpha\\n"}``)."""
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)
    return folder


def stdout_json(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# ----------------------------------------------------------------------------------------------
# discovery and the version choice


def test_list_and_find_show_real_interpreters_once_queried(
    tmp_path: Path, home: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    pyproject = '[tool.poetry]\nname = "p"\n\n[tool.poetry.dependencies]\npython = "~3.10"\n'
    project = make_project(tmp_path / "poetry-proj", {"pyproject.toml": pyproject})
    proc = run([exe, "python", "list"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for minor in ("3.9", "3.10", "3.11", "3.12", "3.13"):
        assert any(line.split()[-1] == pyenv_python(minor) for line in lines), proc.stdout
    # pyenv's shims are on PATH, but they are bash scripts: listed are the real interpreters.
    assert "/shims/" not in proc.stdout
    old = next(line for line in lines if pyenv_python("3.8") in line)
    assert "unsupported" in old
    chosen = [line for line in lines if line.startswith("*")]
    assert len(chosen) == 1 and pyenv_python("3.10") in chosen[0], proc.stdout
    assert "python = '~3.10'" in lines[-1]

    # Each interpreter was asked once: a second listing reads the caches and starts none.
    facts = home / "interpreters" / "facts"
    before = {p.name: p.stat().st_mtime_ns for p in facts.iterdir()}
    assert len(before) >= 5
    again = run([exe, "python", "list"], project, offline_env)
    assert again.stdout == proc.stdout
    assert {p.name: p.stat().st_mtime_ns for p in facts.iterdir()} == before

    proc = run([exe, "python", "find", "3.12"], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == pyenv_python("3.12")
    assert_one_line_error(
        run([exe, "python", "find", "3.99"], tmp_path, offline_env), "no Python 3.99", "3.12"
    )
    assert_one_line_error(
        run([exe, "python", "find", "3.8"], tmp_path, offline_env), "3.8 is not supported"
    )


def test_requires_python_and_python_version_decide(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    pyproject = '[project]\nname = "p"\nversion = "0.1"\nrequires-python = ">=3.10,<3.12"\n'
    project = make_project(
        tmp_path / "pep621", {"requirements.txt": "alpha\n", "pyproject.toml": pyproject}
    )

    def chosen() -> str:
        proc = run([exe, "python", "list"], project, offline_env)
        assert proc.returncode == 0, proc.stderr
        marked = [line for line in proc.stdout.splitlines() if line.startswith("*")]
        assert len(marked) == 1, proc.stdout
        return marked[0].split()[-1] + " | " + proc.stdout.splitlines()[-1]

    # The newest the constraint allows (pyenv's 3.11 is newer than /usr/bin's).
    assert chosen().startswith(pyenv_python("3.11") + " | ")
    (project / ".python-version").write_text("# pinned\n3.12\n")
    assert chosen().startswith(pyenv_python("3.12") + " | ")
    assert ".python-version says 3.12" in chosen()


def test_run_uses_the_choice_and_its_fast_path_starts_nothing(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    project = make_project(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    code = "import os, sys, alpha; print(os.path.realpath(sys.executable), alpha.__version__)"
    newest = max(
        (pyenv_python(m) for m in ("3.9", "3.10", "3.11", "3.12", "3.13")),
        key=lambda p: tuple(int(x) for x in Path(p).name[len("python") :].split(".")),
    )
    proc = run([exe, "run", "python", "-c", code], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [newest, "1.0"]

    # No -p, no .python-version: the cached choice; no findpython, no packaging, no queries.
    launcher = [sys.executable, "-X", "importtime", exe, "run", "-v", "python", "-c", code]
    proc = run(launcher, project, offline_env)
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    for slow in ("findpython", "packaging", "monotrail.python.discovery"):
        assert not [m for m in imported if m == slow or m.startswith(slow + ".")], slow
    assert f"interpreter {newest} (the newest Python found)" in proc.stderr

    (project / ".python-version").write_text("3.10\n")
    proc = run([exe, "run", "python", "-c", code], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [pyenv_python("3.10"), "1.0"]

    (project / ".python-version").write_text("3.7\n")
    assert_one_line_error(
        run([exe, "run", "python", "-c", code], project, offline_env),
        ".python-version",
        "3.7 is not supported",
    )
    # A version no source provides: nothing on the machine, none in pbs-installer's table.
    proc = run([exe, "run", "-p", "3.10", "-p", "3.99", "python", "-c", code], project, offline_env)
    assert_one_line_error(proc, "no Python 3.99", "found: ", "python-build-standalone")
    assert "==>" not in proc.stdout  # refused before anything ran


# ----------------------------------------------------------------------------------------------
# provisioning from a python-build-standalone mirror on localhost


@pytest.fixture(scope="session")
def pbs_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(archive, filename, sha256) of an install_only archive packed from pyenv's 3.12."""
    prefix = pyenv_prefix("3.12")
    version = prefix.name
    from pbs_installer._utils import get_arch_platform

    arch, system = get_arch_platform()
    filename = f"cpython-{version}+{RELEASE}-{arch}-unknown-{system}-gnu-install_only.tar.gz"
    out = tmp_path_factory.mktemp("pbs") / filename
    build_install_only_archive(prefix, "3.12", out)
    return out, filename, sha256_of(out)


@pytest.fixture
def mirror(tmp_path: Path, pbs_build: tuple[Path, str, str]) -> Iterator[MirrorServer]:
    archive, filename, sha256 = pbs_build
    root = tmp_path / "mirror"
    (root / RELEASE).mkdir(parents=True)
    os.link(archive, root / RELEASE / filename)
    from pbs_installer._utils import get_arch_platform

    arch, system = get_arch_platform()
    version = tuple(int(x) for x in pyenv_prefix("3.12").name.split("."))
    table = versions_table(version, RELEASE, filename, sha256, system, arch)  # type: ignore[arg-type]
    (root / "versions.json").write_text(json.dumps(table))
    with MirrorServer(root) as server:
        yield server


@pytest.fixture
def bare_env(tmp_path: Path, offline_env: dict[str, str], mirror: MirrorServer) -> dict[str, str]:
    """A machine without Python 3.12 (no pyenv, nothing on PATH), with the local mirror."""
    (tmp_path / "empty-bin").mkdir()
    return {
        **offline_env,
        "PATH": str(tmp_path / "empty-bin"),
        "HOME": str(tmp_path / "user-home"),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "MONOTRAIL_PYTHON_MIRROR": mirror.url,
        "MONOTRAIL_PYTHON_DOWNLOADS_JSON": f"{mirror.url}/versions.json",
    }


def managed_installs(home: Path) -> list[Path]:
    folder = home / "interpreters" / "managed"
    return sorted(p for p in folder.glob("*") if not p.name.startswith("."))


def kept_archives(home: Path) -> list[Path]:
    return list((home / "artifacts").rglob("*.tar.gz"))


def test_run_provisions_a_missing_version_then_remove(
    tmp_path: Path,
    home: Path,
    bare_env: dict[str, str],
    mirror: MirrorServer,
    pbs_build: tuple[Path, str, str],
) -> None:
    exe = monotrail_exe()
    _archive, filename, sha256 = pbs_build
    version = pyenv_prefix("3.12").name
    project = make_project(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    code = (
        "import os, sys, alpha\n"
        "print(os.path.realpath(sys.executable), sys.base_prefix, alpha.__file__)"
    )

    assert_one_line_error(run([exe, "python", "find", "3.12"], tmp_path, bare_env), "3.12")
    proc = run([exe, "run", "-p", "3.12", "python", "-c", code], project, bare_env)
    assert proc.returncode == 0, proc.stderr
    assert "is not on this machine: provisioning it" in proc.stderr
    assert f"Downloading {filename}" in proc.stderr
    assert f"from {mirror.url}/{RELEASE}/" in proc.stderr
    assert f"Verified sha256 {sha256}" in proc.stderr
    [installed] = managed_installs(home)
    assert installed.name.startswith(f"cpython-{version}-")
    executable, prefix, alpha_file = proc.stdout.split()
    assert executable == str(installed / "bin" / "python3.12") and prefix == str(installed)
    assert alpha_file.startswith(str(home / "store" / "alpha"))
    # The archive is not kept twice: the store holds the unpacked interpreter only.
    assert kept_archives(home) == []

    downloads = len(mirror.requests)
    proc = run([exe, "run", "-p", "3.12", "python", "-c", code], project, bare_env)
    assert proc.returncode == 0 and "Downloading" not in proc.stderr, proc.stderr
    assert len(mirror.requests) == downloads

    listing = run([exe, "python", "list"], project, bare_env)
    assert any(
        "managed" in line and line.split()[-1] == executable for line in listing.stdout.splitlines()
    ), listing.stdout
    proc = run([exe, "python", "install", "3.12"], tmp_path, bare_env)
    assert proc.returncode == 0 and "already provisioned" in proc.stderr, proc.stderr
    assert proc.stdout.strip() == executable
    # Asked for by name, it survives gc even when no environment uses it any more.
    shutil.rmtree(project)
    proc = run([exe, "store", "gc"], tmp_path, bare_env)
    assert proc.returncode == 0, proc.stderr
    proc = run([exe, "python", "find", "3.12"], tmp_path, bare_env)
    assert proc.stdout.strip() == executable, proc.stderr

    proc = run([exe, "python", "remove", "3.12"], tmp_path, bare_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"removed {installed}"
    assert managed_installs(home) == []
    assert_one_line_error(run([exe, "python", "find", "3.12"], tmp_path, bare_env), "3.12")
    assert_one_line_error(
        run([exe, "python", "remove", "3.12"], tmp_path, bare_env), "no provisioned Python 3.12"
    )


def test_an_exported_layer_carries_the_provisioned_interpreter(
    tmp_path: Path, home: Path, bare_env: dict[str, str], mirror: MirrorServer
) -> None:
    exe = monotrail_exe()
    project = make_project(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    code = "import os, sys, alpha; print(os.path.realpath(sys.executable), alpha.__file__)"
    proc = run([exe, "run", "-p", "3.12", "python", "-c", "pass"], project, bare_env)
    assert proc.returncode == 0, proc.stderr
    layer = tmp_path / "layer"
    proc = run([exe, "store", "export", "-p", "3.12", str(layer)], project, bare_env)
    assert proc.returncode == 0, proc.stderr
    [interpreter] = managed_installs(layer)
    downloads = len(mirror.requests)
    # Another machine with no Python 3.12: the layer's interpreter runs, nothing is downloaded.
    other = {**bare_env, "MONOTRAIL_HOME": str(tmp_path / "other"), "MONOTRAIL_STORES": str(layer)}
    proc = run([exe, "run", "-p", "3.12", "python", "-c", code], project, other)
    assert proc.returncode == 0, proc.stderr
    executable, alpha_file = proc.stdout.split()
    assert executable == str(interpreter / "bin" / "python3.12")
    assert alpha_file.startswith(str(layer / "store" / "alpha"))
    assert len(mirror.requests) == downloads
    assert managed_installs(tmp_path / "other") == []


def test_corrupted_archive_is_refused(
    tmp_path: Path, home: Path, bare_env: dict[str, str], mirror: MirrorServer
) -> None:
    _archive_name = next((mirror.root / RELEASE).iterdir()).name
    mirror.corrupt.add(_archive_name)
    proc = run([monotrail_exe(), "python", "install", "3.12"], tmp_path, bare_env)
    assert_one_line_error(proc, _archive_name, "hash mismatch", "nothing was installed")
    assert managed_installs(home) == []
    assert kept_archives(home) == []


def test_private_mirror_credentials_in_its_url_are_used_and_never_shown(
    tmp_path: Path, home: Path, bare_env: dict[str, str], mirror: MirrorServer
) -> None:
    password = "m1rror-Pa55"
    mirror.auth = ("alice", password)
    exe = monotrail_exe()
    proc = run([exe, "python", "install", "3.12"], tmp_path, bare_env)
    assert_one_line_error(proc, "versions.json: HTTP 401", "no credentials found")
    private = mirror.url.replace("://", f"://alice:{password}@")
    env = {
        **bare_env,
        "MONOTRAIL_PYTHON_MIRROR": private,
        "MONOTRAIL_PYTHON_DOWNLOADS_JSON": f"{private}/versions.json",
    }
    proc = run([exe, "python", "install", "-v", "3.12"], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert (
        f"from http://alice:****@127.0.0.1:{mirror.url.rsplit(':', 1)[1]}/{RELEASE}/" in proc.stderr
    )
    assert len(managed_installs(home)) == 1
    assert_no_secret(home, password, proc)


def test_killed_install_leaves_nothing(
    tmp_path: Path, home: Path, bare_env: dict[str, str], mirror: MirrorServer
) -> None:
    exe = monotrail_exe()
    mirror.delay = 0.02  # a slow network: the whole archive would take several seconds
    child = subprocess.Popen(
        [exe, "python", "install", "3.12"],
        cwd=tmp_path,
        env=bare_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while mirror.bytes_sent < 2 << 20 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    assert child.poll() is None, "the install finished before it could be killed"
    child.kill()
    child.wait()
    assert managed_installs(home) == []
    assert kept_archives(home) == []
    listing = run([exe, "python", "list"], tmp_path, bare_env)
    assert "managed" not in listing.stdout

    mirror.delay = 0
    proc = run([exe, "python", "install", "3.12"], tmp_path, bare_env)
    assert proc.returncode == 0, proc.stderr
    installed = Path(proc.stdout.strip())
    check = run([str(installed), "-c", "import sys, ssl, json; print(sys.prefix)"], tmp_path)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == str(installed.parent.parent)


# ----------------------------------------------------------------------------------------------
# the matrix: one run per version


CEXT_C = r"""
#include <Python.h>
static PyObject *built_for(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(PY_VERSION);
}
static PyMethodDef methods[] = {{"built_for", built_for, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_cext(void) { return PyModule_Create(&module); }
"""

VCHECK = (
    "import sys\n"
    "def main():\n"
    "    print('vcheck', '%d.%d' % sys.version_info[:2], *sys.argv[1:])\n"
    "    return 0 if sys.version_info >= (3, 10) else 1\n"
)

CHECK = (
    "import json, sys, alpha, cext\n"
    "print(json.dumps({'version': '%d.%d' % sys.version_info[:2], 'cext': cext.__file__,\n"
    "                  'built_for': cext.built_for(), 'alpha': alpha.__file__}))\n"
    "sys.exit(0 if sys.version_info >= (3, 10) else 3)\n"
)


def build_cext_wheel(out: Path, minor: str, work: Path) -> Path:
    """A real C extension compiled for one CPython, as a cpXY-cpXY-<platform> wheel."""
    python = pyenv_python(minor)
    query = (
        "import json, sysconfig; print(json.dumps([sysconfig.get_paths()['include'], "
        "sysconfig.get_config_var('EXT_SUFFIX'), sysconfig.get_platform()]))"
    )
    include, suffix, platform = json.loads(
        subprocess.run([python, "-c", query], capture_output=True, text=True, check=True).stdout
    )
    source = work / "cext.c"
    source.write_text(CEXT_C)
    library = work / f"cext{suffix}"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O0", f"-I{include}", str(source), "-o", str(library)],
        check=True,
    )
    abi = "cp" + minor.replace(".", "")
    tag = f"{abi}-{abi}-{platform.replace('-', '_').replace('.', '_')}"
    return build_wheel(out, "cext", "1.0", {library.name: library.read_bytes()}, tag=tag)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_matrix_runs_each_version_with_its_own_wheels(
    tmp_path: Path, home: Path, index: IndexServer, offline_env: dict[str, str]
) -> None:
    for minor in ("3.9", "3.11", "3.12"):
        work = tmp_path / f"build-{minor}"
        work.mkdir()
        build_cext_wheel(index.root, minor, work)
    build_wheel(
        index.root,
        "vcheck",
        "1.0",
        {"vcheck.py": VCHECK},
        entry_points={"console_scripts": {"vcheck": "vcheck:main"}},
    )
    project = make_project(
        tmp_path / "proj", {"requirements.txt": "alpha\ncext\nvcheck\n", "check.py": CHECK}
    )
    exe = monotrail_exe()
    matrix = ["-p", "3.9", "-p", "3.11", "-p", "3.12"]

    proc = run([exe, "run", *matrix, "python", "check.py"], project, offline_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    headers = [line for line in proc.stdout.splitlines() if line.startswith("==>")]
    assert headers == [
        f"==> -p {minor}: Python {pyenv_prefix(minor).name} ({pyenv_python(minor)})"
        for minor in ("3.9", "3.11", "3.12")
    ]
    results = {r["version"]: r for r in stdout_json(proc.stdout)}
    assert sorted(results) == ["3.11", "3.12", "3.9"]
    cext_entries = set()
    for minor, result in results.items():
        abi = "cp" + minor.replace(".", "")
        # The C extension: one store entry per ABI, each built for its interpreter.
        entry = home / "store" / "cext" / "1.0" / f"{abi}-{abi}-linux_x86_64"
        assert str(result["cext"]).startswith(str(entry) + "/"), result
        assert str(result["built_for"]).startswith(minor + ".")
        cext_entries.add(entry)
        # The pure package: one entry shared by all versions, with bytecode for each.
        alpha_entry = home / "store" / "alpha" / "1.0" / "py3-none-any"
        assert result["alpha"] == str(alpha_entry / "alpha" / "__init__.py")
        assert (alpha_entry / "alpha" / "__pycache__" / f"__init__.cpython-{abi[2:]}.pyc").is_file()
    assert len(cext_entries) == 3
    table = proc.stdout.splitlines()[-5:]
    assert table[0].split() == ["python", "version", "interpreter", "exit", "duration"]
    for row, minor, code in zip(table[1:4], ("3.9", "3.11", "3.12"), ("3", "0", "0"), strict=True):
        cells = row.split()
        assert cells[:4] == [minor, pyenv_prefix(minor).name, pyenv_python(minor), code], row
        assert cells[4].endswith("s")
    assert table[4] == "1 of 3 failed"

    # `command` runs the console script of each version's environment, with its arguments.
    proc = run([exe, "run", *matrix, "command", "vcheck", "--flag"], project, offline_env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = [line for line in proc.stdout.splitlines() if line.startswith("vcheck")]
    assert said == ["vcheck 3.9 --flag", "vcheck 3.11 --flag", "vcheck 3.12 --flag"]
    codes = [line.split()[3] for line in proc.stdout.splitlines()[-4:-1]]
    assert codes == ["1", "0", "0"]
    proc = run([exe, "run", "-p", "3.11", "-p", "3.12", "command", "vcheck"], project, offline_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "all 2 passed"


# ----------------------------------------------------------------------------------------------
# the python symlink


def test_python_symlinks_run_scripts_with_the_project_env(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    exe = monotrail_exe()
    shims = tmp_path / "shims"
    proc = run([exe, "python", "shim", str(shims)], tmp_path, offline_env)
    assert proc.returncode == 0, proc.stderr
    for name in ("python", "python3", "python3.9", "python3.12", "python3.13"):
        assert (shims / name).is_symlink() and os.readlink(shims / name) == exe
    env = {**offline_env, "PATH": f"{shims}{os.pathsep}{offline_env['PATH']}"}

    tool = (
        "#!/usr/bin/env python3\n"
        "import os, sys, alpha\n"
        "print('%d.%d' % sys.version_info[:2], alpha.__version__, sys.argv[1:],"
        " bool(os.environ.get('MONOTRAIL_ENV')))\n"
    )
    project = make_project(
        tmp_path / "proj",
        {"requirements.txt": "alpha\n", ".python-version": "3.11\n", "sub/tool.py": tool},
    )
    script = project / "sub" / "tool.py"
    script.chmod(0o755)
    proc = run([str(script), "a b"], project / "sub", env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3.11 1.0 ['a b'] True"
    # python3.X picks that version, like `monotrail run -p 3.X python`.
    proc = run(["python3.12", str(script), "x"], project, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3.12 1.0 ['x'] True"

    # Outside any project: the plain interpreter.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = "import os, sys; print(sys.executable, os.environ.get('MONOTRAIL_ENV'))"
    proc = run(["python3.9", "-c", code], elsewhere, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [pyenv_python("3.9"), "None"]
