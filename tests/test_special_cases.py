"""Packaging special cases a venv handles and the store must too (beyond test_run_e2e.py).

Offline: pkgutil-style namespace packages spread over several distributions; a tool that finds
its executable beside its package (``python -m ruff``). Online (one shared environment on
Python 3.12 with packages from PyPI plus small local wheels): pkg_resources entry points and
namespaces, setuptools' distutils-precedence .pth, a C extension that loads the shared
libraries auditwheel bundled in ``<name>.libs/``, a pytest plugin found through its ``pytest11``
entry point, and the real ``python -m ruff``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import monotrail_exe, run
from support.index_server import IndexServer
from support.wheels import build_wheel

PYTHON_312 = "/root/.pyenv/versions/3.12.1/bin/python3.12"
PKGUTIL_INIT = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"


def test_pkgutil_style_namespace_over_three_distributions(
    tmp_path: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    # Two portions ship the pkgutil-style __init__.py (a venv merges them into one folder),
    # a third is a PEP 420 portion without one: all three must make one package.
    for part, init in (("one", True), ("two", True), ("three", False)):
        files = {f"pkgns/{part}.py": f"NAME = {part!r}\n"}
        if init:
            files["pkgns/__init__.py"] = PKGUTIL_INIT
        build_wheel(index.root, f"pkgns-{part}", "1.0", files)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("pkgns-one\npkgns-two\npkgns-three\n")
    code = (
        "import json, pkgutil, pkgns, pkgns.one, pkgns.two, pkgns.three\n"
        "print(json.dumps({'names': [pkgns.one.NAME, pkgns.two.NAME, pkgns.three.NAME],\n"
        "  'path': len(pkgns.__path__), 'file': pkgns.__file__ is not None,\n"
        "  'walk': sorted(m.name for m in pkgutil.iter_modules(pkgns.__path__))}))\n"
    )
    proc = run([monotrail_exe(), "run", "python", "-c", code], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "names": ["one", "two", "three"],
        "path": 3,
        "file": True,
        "walk": ["one", "three", "two"],
    }


def test_tool_finds_its_executable_beside_its_package(
    tmp_path: Path, offline_env: dict[str, str], index: IndexServer
) -> None:
    """ruff and uv look for their binary in ``<package root>/bin`` (the layout of
    ``pip install --target``) for ``python -m ruff``; the store entry has that layout."""
    main = (
        "import os, subprocess, sys\n"
        "root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        "sys.exit(subprocess.call([os.path.join(root, 'bin', 'native-tool'), *sys.argv[1:]]))\n"
    )
    build_wheel(
        index.root,
        "native-tool",
        "1.0",
        {"native_tool/__init__.py": "", "native_tool/__main__.py": main},
        data_files={"scripts/native-tool": '#!/bin/sh\necho native tool "$@"\n'},
    )
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("native-tool\n")
    exe = monotrail_exe()
    proc = run([exe, "run", "python", "-m", "native_tool", "--version"], project, offline_env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "native tool --version\n"
    proc = run([exe, "run", "command", "native-tool", "x"], project, offline_env)
    assert proc.stdout == "native tool x\n", proc.stderr
    proc = run([exe, "run", "python", "-c", "import bin"], project, offline_env)
    assert "No module named 'bin'" in proc.stderr
    proc = run([exe, "store", "verify"], project, offline_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- online: one environment on Python 3.12 -----------------------------------------------


def _local_wheels(out: Path) -> list[Path]:
    """Small wheels that exercise pkg_resources and pytest's plugin discovery."""
    declare = "__import__('pkg_resources').declare_namespace(__name__)\n"
    return [
        build_wheel(
            out,
            "pkgres-user",
            "1.5",
            {
                "pkgres_user/__init__.py": "VALUE = 'loaded through pkg_resources'\n",
                "pkgres_user/data.txt": "resource payload\n",
            },
            entry_points={"monotrail_test.pkgres": {"first": "pkgres_user:VALUE"}},
        ),
        build_wheel(
            out,
            "legacyns-a",
            "1.0",
            {"legacyns/__init__.py": declare, "legacyns/a.py": "NAME = 'a'\n"},
        ),
        build_wheel(
            out,
            "legacyns-b",
            "1.0",
            {"legacyns/__init__.py": declare, "legacyns/b.py": "NAME = 'b'\n"},
        ),
        build_wheel(
            out,
            "pytest-hello",
            "0.1",
            {
                "pytest_hello.py": (
                    "import pytest\n"
                    "def pytest_report_header(config):\n"
                    "    return 'hello plugin from the store'\n"
                    "@pytest.fixture\n"
                    "def greeting():\n"
                    "    return 'hello'\n"
                )
            },
            requires=["pytest"],
            entry_points={"pytest11": {"hello": "pytest_hello"}},
        ),
    ]


@pytest.fixture(scope="module")
def py312_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A requirements project mixing PyPI packages and local wheels; its env exists."""
    if not os.path.exists(PYTHON_312):
        pytest.skip(f"{PYTHON_312} is not on this machine")
    root = tmp_path_factory.mktemp("special")
    wheels = _local_wheels(root / "wheels")
    project = root / "proj"
    project.mkdir()
    requirements = [
        "setuptools==80.9.0",  # the last releases with pkg_resources
        "pytest==8.3.4",
        "pyzmq==27.3.0",  # bundles libzmq and libsodium in pyzmq.libs/
        "ruff==0.17.5",  # python -m ruff looks for its binary beside the package
        *map(str, wheels),
    ]
    (project / "requirements.txt").write_text("\n".join(requirements) + "\n")
    env = dict(os.environ, MONOTRAIL_HOME=str(root / "home"))
    proc = run([monotrail_exe(), "install", "-p", PYTHON_312], project, env)
    assert proc.returncode == 0, proc.stderr
    return project, env


def _python(project_env: tuple[Path, dict[str, str]], code: str) -> dict[str, object]:
    project, env = project_env
    proc = run([monotrail_exe(), "run", "-p", PYTHON_312, "python", "-c", code], project, env)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


@pytest.mark.online
def test_pkg_resources_entry_points_resources_and_namespaces(
    py312_project: tuple[Path, dict[str, str]],
) -> None:
    code = (
        "import json, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import pkg_resources\n"
        "eps = list(pkg_resources.iter_entry_points('monotrail_test.pkgres'))\n"
        "import legacyns.a, legacyns.b\n"
        "print(json.dumps({\n"
        "  'eps': [(ep.name, ep.dist.project_name, ep.load()) for ep in eps],\n"
        "  'version': pkg_resources.get_distribution('pkgres-user').version,\n"
        "  'require': sorted(d.project_name for d in pkg_resources.require('pytest-hello')),\n"
        "  'data': pkg_resources.resource_string('pkgres_user', 'data.txt').decode(),\n"
        "  'ns': [legacyns.a.NAME, legacyns.b.NAME],\n"
        "}))\n"
    )
    assert _python(py312_project, code) == {
        "eps": [["first", "pkgres-user", "loaded through pkg_resources"]],
        "version": "1.5",
        "require": ["iniconfig", "packaging", "pluggy", "pytest", "pytest-hello"],
        "data": "resource payload\n",
        "ns": ["a", "b"],
    }


@pytest.mark.online
def test_setuptools_distutils_precedence_pth_on_312(
    py312_project: tuple[Path, dict[str, str]],
) -> None:
    """Python 3.12 has no distutils: only setuptools' .pth shim makes ``import distutils``
    work before setuptools is imported, as in a venv."""
    project, env = py312_project
    code = (
        "import json, sys\n"
        "hooked = '_distutils_hack' in sys.modules\n"
        "import distutils.core\n"
        "print(json.dumps({'hooked': hooked, 'file': distutils.__file__,"
        " 'version': sys.version_info[:2]}))\n"
    )
    result = _python(py312_project, code)
    assert result["hooked"] is True and result["version"] == [3, 12]
    assert "/store/setuptools/80.9.0/" in str(result["file"])
    assert str(result["file"]).endswith("setuptools/_distutils/__init__.py")
    # SETUPTOOLS_USE_DISTUTILS=stdlib turns the shim off, as the .pth line says.
    proc = run(
        [monotrail_exe(), "run", "-p", PYTHON_312, "python", "-c", "import distutils"],
        project,
        {**env, "SETUPTOOLS_USE_DISTUTILS": "stdlib"},
    )
    assert proc.returncode == 1 and "No module named 'distutils'" in proc.stderr


@pytest.mark.online
def test_c_extension_loads_its_bundled_libs(py312_project: tuple[Path, dict[str, str]]) -> None:
    code = (
        "import json, zmq\n"
        "ctx = zmq.Context()\n"
        "a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)\n"
        "a.bind('inproc://t'); b.connect('inproc://t'); a.send(b'ping')\n"
        "got = b.recv().decode()\n"
        "libs = sorted({line.split()[-1] for line in open('/proc/self/maps')"
        " if 'pyzmq.libs' in line})\n"
        "print(json.dumps({'got': got, 'libs': libs, 'zmq': zmq.zmq_version()}))\n"
    )
    result = _python(py312_project, code)
    assert result["got"] == "ping"
    libs = [Path(p) for p in result["libs"]]  # type: ignore[union-attr]
    assert sorted(p.name.split("-")[0] for p in libs) == ["libsodium", "libzmq"]
    assert all(p.parent.name == "pyzmq.libs" and "/store/pyzmq/27.3.0/" in str(p) for p in libs)


@pytest.mark.online
def test_pytest_plugin_found_through_entry_point(
    py312_project: tuple[Path, dict[str, str]],
) -> None:
    project, env = py312_project
    (project / "test_greet.py").write_text(
        "def test_greet(greeting):\n    assert greeting == 'hello'\n"
    )
    proc = run(
        [
            monotrail_exe(),
            "run",
            "-p",
            PYTHON_312,
            "command",
            "pytest",
            "-p",
            "no:cacheprovider",
            "test_greet.py",
        ],
        project,
        env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "hello plugin from the store" in proc.stdout
    assert "plugins: hello-0.1" in proc.stdout
    assert "1 passed" in proc.stdout


@pytest.mark.online
def test_python_m_ruff_finds_its_binary(py312_project: tuple[Path, dict[str, str]]) -> None:
    project, env = py312_project
    proc = run(
        [monotrail_exe(), "run", "-p", PYTHON_312, "python", "-m", "ruff", "--version"],
        project,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ruff 0.17.5"
