"""`monotrail.interactive` in a real Jupyter kernel, executed with nbclient (from PyPI).

The kernel runs in a venv of its own with ipykernel, nbclient and nbformat from PyPI, and
monotrail through a .pth file naming the test venv's site-packages (where monotrail is installed
with its dependencies: installing them all again would take minutes). The packages the notebook
asks for come from PyPI into the store, never into that venv; attrs is also in the venv (a
jsonschema dependency), in another version, so the test shows that the kernel's own
site-packages do not shadow the chosen version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import run
from support.index_server import pip_env

pytestmark = [pytest.mark.online, pytest.mark.slow]

CELLS = [
    'import monotrail\nmonotrail.interactive(tabulate="0.9.0", attrs="23.1.0")',
    "import importlib.metadata as md, attr, tabulate\n"
    "print(tabulate.__version__, attr.__version__, md.version('attrs'))\n"
    "print(tabulate.__file__.startswith(STORE), attr.__file__.startswith(STORE))",
    'monotrail.interactive(tabulate="0.8.10")',
    'monotrail.interactive(six={"version": "1.16.0"})\n'
    "import six, tabulate\nprint(six.__version__, tabulate.__version__)",
]

DRIVER = """\
import json, sys
import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
client = NotebookClient(notebook, kernel_name="mt-test", timeout=300, allow_errors=True,
                        resources={"metadata": {"path": sys.argv[2]}})
client.execute()
nbformat.write(notebook, path)
"""


@pytest.fixture(scope="session")
def kernel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("kernel") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # addsitedir, not a plain path line: the editable install of monotrail is itself a .pth.
    site_dir = sysconfig.get_paths()["purelib"]
    Path(purelib, "monotrail-test.pth").write_text(f"import site; site.addsitedir({site_dir!r})\n")
    env = pip_env()  # PyPI only: no machine-wide find-links or extra indexes
    proc = run(
        [str(python), "-m", "pip", "install", "-q", "ipykernel", "nbclient", "nbformat"],
        venv,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    proc = run(
        [str(python), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "mt-test"],
        venv,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    return venv


def notebook(cells: list[str]) -> dict[str, object]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{number}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for number, source in enumerate(cells)
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def text_of(cell: dict[str, object]) -> str:
    outputs: list[dict[str, object]] = cell["outputs"]  # type: ignore[assignment]
    texts = [o.get("text", "") for o in outputs if o.get("name") == "stdout"]
    return "".join(t if isinstance(t, str) else "".join(t) for t in texts)  # type: ignore[arg-type]


def test_notebook_adds_packages_refuses_a_version_change_and_saves_the_lock(
    kernel_venv: Path, tmp_path: Path, home: Path
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    path = folder / "analysis.ipynb"
    store = f"{home / 'store'}{os.sep}"
    path.write_text(json.dumps(notebook([f"STORE = {store!r}", *CELLS])))
    (tmp_path / "driver.py").write_text(DRIVER)
    # Jupyter's server tells the kernel its notebook this way.
    env = {**os.environ, "JPY_SESSION_NAME": str(path)}
    python = str(kernel_venv / "bin" / "python")
    proc = run([python, str(tmp_path / "driver.py"), str(path), str(folder)], folder, env)
    assert proc.returncode == 0, proc.stderr
    cells = json.loads(path.read_text())["cells"]
    first, versions, refused, added = cells[1:]
    assert "tabulate 0.9.0" in text_of(first) and "attrs 23.1.0" in text_of(first), first
    # attrs 23.1.0 from the store, although the kernel's venv has another attrs.
    assert text_of(versions).splitlines() == ["0.9.0 23.1.0 23.1.0", "True True"], versions
    # Besides the summary lines of filling the store (on stderr), one error.
    (error,) = [o for o in refused["outputs"] if o.get("name") != "stderr"]
    assert error["output_type"] == "error" and error["ename"] == "InteractiveError"
    for needle in ("tabulate 0.9.0 is imported", "tabulate 0.8.10", "restart the kernel"):
        assert needle in error["evalue"], error["evalue"]
    assert error["traceback"] == [f"error: {error['evalue']}"]  # one line, no traceback
    # A later call adds to the set and keeps what was chosen before.
    assert text_of(added).splitlines()[-1] == "1.16.0 0.9.0", added

    lock = folder / "analysis.monotrail-lock.json"
    data = json.loads(lock.read_text())
    pins = {p["name"]: p["version"] for p in data["packages"]}
    assert pins == {"tabulate": "0.9.0", "attrs": "23.1.0", "six": "1.16.0"}

    # The lock reproduces the set exactly, in a fresh process, without the network.
    code = (
        "import monotrail\n"
        f"monotrail.interactive(lock={str(lock)!r})\n"
        "import attr, six, tabulate\n"
        "print(attr.__version__, six.__version__, tabulate.__version__)\n"
    )
    dead = "http://127.0.0.1:9"
    offline = {**os.environ, "https_proxy": dead, "http_proxy": dead, "HTTPS_PROXY": dead}
    proc = run([python, "-c", code], folder, offline)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "23.1.0 1.16.0 0.9.0"

    # Outside a notebook the lock goes to the store.
    plain = {k: v for k, v in os.environ.items() if k != "JPY_SESSION_NAME"}
    code = "import monotrail\nmonotrail.interactive(six='1.16.0')\n"
    proc = run([python, "-c", code], folder, plain)
    assert proc.returncode == 0, proc.stderr
    saved = Path(proc.stdout.rsplit("lock: ", 1)[1].strip())
    assert saved.parent == home / "interactive" and saved.is_file()
