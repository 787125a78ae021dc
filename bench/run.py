"""monotrail's benchmarks against pip, Poetry and uv, measured side by side in one run.

    python bench/run.py [workload[:runs] ...] [--runs N]

Workloads: plotly, data-science, data-science-bytecode, django, warm, startup, scale, ci,
lockless (default: all). The first call creates bench/.work/venv with monotrail (this checkout),
Poetry, uv and pip-tools from PyPI, and downloads every artifact once, so the network is out of
the timed part. Results go to bench/results/latest.md, .json and .png (``--out NAME``: NAME.md,
NAME.json, NAME.png). ``--before DIR``: the cold-install workloads also time the monotrail of
another checkout (installed into bench/.work/before-venv), side by side with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import Comparison, Contender, compare, markdown, rows_data  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
VENV = WORK / "venv"
BIN = VENV / "bin"
PLOTLY = "plotly==5.24.1"
POETRY_VERSION = "2.5.1"
#: ``bin/`` of the venv holding the monotrail of ``--before``, if given.
BEFORE: Path | None = None


def sh(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def base_python() -> str:
    """The interpreter every contender targets (the one behind this script, outside venvs)."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def setup() -> None:
    if not (BIN / "uv").exists():
        WORK.mkdir(parents=True, exist_ok=True)
        sh(base_python(), "-m", "venv", VENV)
        sh(BIN / "pip", "install", "-q", f"poetry=={POETRY_VERSION}", "uv", "matplotlib")
    if not (BIN / "pip-compile").exists():
        sh(BIN / "pip", "install", "-q", "pip-tools")
    # A regular (not editable) install of this checkout, as users get it: pip compiles its
    # bytecode, which matters where PYTHONDONTWRITEBYTECODE is set.
    sh(BIN / "pip", "install", "-q", "--force-reinstall", "--no-deps", REPO)


def fresh_venv(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    sh(BIN / "uv", "venv", "-q", "--python", base_python(), "--seed", path)


def monotrail_env(home: Path) -> dict[str, str]:
    return {"MONOTRAIL_HOME": str(home)}


def clear_store(home: Path) -> None:
    """A cold store with the artifacts already downloaded."""
    for sub in ("store", "envs", "resolutions", "boot"):
        shutil.rmtree(home / sub, ignore_errors=True)


def pinned_requirements(project: Path, extras: list[str], out: Path) -> Path:
    """name==version lines of what monotrail selects from the project's lock, for pip/uv."""
    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from monotrail.fetch import indexes\n"
        "from monotrail.lockfile import poetry_lock\n"
        "from monotrail.python import interpreter\n"
        "target = interpreter.query(sys.argv[2])\n"
        "pkgs = poetry_lock.select(Path(sys.argv[1]), target, json.loads(sys.argv[3]), [],"
        " indexes.pypi_simple_url())\n"
        "print('\\n'.join(f'{p.name}=={p.version}' for p in pkgs))\n"
    )
    text = sh(BIN / "python", "-c", code, project, base_python(), json.dumps(extras))
    out.write_text(text)
    return out


def workload_plotly(runs: int) -> list[Comparison]:
    wheels = WORK / "wheels"
    if not list(wheels.glob("plotly-*.whl")):
        sh(BIN / "pip", "download", "-q", "--no-deps", "-d", wheels, PLOTLY)
    wheel = str(next(wheels.glob("plotly-*.whl")))
    venv = WORK / "plotly-venv"
    python = str(venv / "bin" / "python")
    uv_cache = WORK / "uv-cache-plotly"
    home = WORK / "plotly-home"
    env = monotrail_env(home)

    def reset() -> None:
        fresh_venv(venv)

    def reset_and_empty_store() -> None:
        fresh_venv(venv)
        clear_store(home)

    results = []
    for compile_ in (False, True):
        pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
        pip += [] if compile_ else ["--no-compile"]
        uv = [
            str(BIN / "uv"),
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--python",
            python,
            "--no-cache",
        ]
        uv += ["--compile-bytecode"] if compile_ else []
        mt = [str(BIN / "monotrail"), "venv-install", "--python", python]
        mt += [] if compile_ else ["--no-compile"]
        results.append(
            compare(
                f"plotly into a venv{' + bytecode' if compile_ else ''}",
                [
                    Contender("monotrail venv-install", [*mt, wheel], reset_and_empty_store, env),
                    Contender("monotrail venv-install, in store", [*mt, wheel], reset, env),
                    Contender("pip install --no-deps", [*pip, wheel], reset),
                    Contender(
                        "uv pip install --no-cache",
                        [*uv, wheel],
                        reset,
                        env={"UV_CACHE_DIR": str(uv_cache)},
                    ),
                ],
                "monotrail venv-install",
                runs,
                note="monotrail venv-install: the store is emptied before each run (unpack, then"
                " link); 'in store': it already holds plotly (link only)",
            )
        )
    return results


def install_before(checkout: Path) -> Path:
    """The ``bin/`` of a venv with the monotrail of another checkout (for ``--before``)."""
    venv = WORK / "before-venv"
    if not venv.exists():
        sh(base_python(), "-m", "venv", venv)
    sh(venv / "bin" / "pip", "install", "-q", checkout)  # with its dependencies
    sh(venv / "bin" / "pip", "install", "-q", "--force-reinstall", "--no-deps", checkout)
    return venv / "bin"


def install_workload(
    name: str, project_dir: Path, extras: list[str], runs: int, bytecode: bool = False
) -> Comparison:
    work = WORK / name
    project = work / "project"
    if not project.exists():
        shutil.copytree(project_dir, project)
    home = work / "monotrail-home"
    requirements = pinned_requirements(project, extras, work / "requirements.txt")
    downloads = work / "downloads"
    if not downloads.exists():
        sh(BIN / "pip", "download", "-q", "--no-deps", "-d", downloads, "-r", requirements)
    env = monotrail_env(home)
    mt = [
        str(BIN / "monotrail"),
        "install",
        "-p",
        base_python(),
        "--project",
        str(project),
        "--no-compile",
    ]
    mt += [f"-E{e}" for e in extras]
    sh(*mt, env={**os.environ, **env})  # fills the artifact cache once
    if bytecode:
        mt.remove("--no-compile")
    venv = work / "venv"
    python = str(venv / "bin" / "python")
    uv_cache = work / "uv-cache"
    poetry_env = {
        "POETRY_VIRTUALENVS_IN_PROJECT": "true",
        "POETRY_CACHE_DIR": str(work / "poetry-cache"),
    }
    # Poetry reads per-version JSON from PyPI, which this mirror answers with 404: its copy of
    # the project names the simple index as its source (and is locked with it once).
    poetry_project = work / "poetry-project"
    if not (poetry_project / "poetry.lock").exists():
        shutil.copytree(project_dir, poetry_project, dirs_exist_ok=True)
        (poetry_project / "poetry.lock").unlink(missing_ok=True)
        simple = sh(
            BIN / "python",
            "-c",
            "from pip._internal.models.index import PyPI;print(PyPI.simple_url)",
        ).strip()
        with open(poetry_project / "pyproject.toml", "a") as handle:
            handle.write(
                f'\n[[tool.poetry.source]]\nname = "simple"\nurl = "{simple}/"\n'
                'priority = "primary"\n'
            )
        sh(BIN / "poetry", "lock", "-q", env={**os.environ, **poetry_env}, cwd=poetry_project)
    poetry = [str(BIN / "poetry"), "install", "-q", "--no-root"]
    poetry += [f"-E{e}" for e in extras]
    sh(*poetry, env={**os.environ, **poetry_env}, cwd=poetry_project)  # warms Poetry's cache
    poetry += ["--compile"] if bytecode else []

    def cold_store() -> None:
        clear_store(home)

    def reset_venv() -> None:
        fresh_venv(venv)

    def reset_poetry_venv() -> None:
        shutil.rmtree(poetry_project / ".venv", ignore_errors=True)

    pip = [
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        *([] if bytecode else ["--no-compile"]),
        "--no-index",
        "--find-links",
        str(downloads),
        "-r",
        str(requirements),
    ]
    uv = [str(BIN / "uv"), "pip", "install", "-q", "--python", python, "-r", str(requirements)]
    uv += ["--compile-bytecode"] if bytecode else []
    flag = "(bytecode)" if bytecode else "--no-compile"
    contenders = []
    if BEFORE is not None:
        before_home = work / "monotrail-home-before"
        if not (before_home / "artifacts").exists():  # the same files, linked
            shutil.copytree(home / "artifacts", before_home / "artifacts", copy_function=os.link)
        contenders.append(
            Contender(
                f"monotrail install {flag}, before",
                [str(BEFORE / "monotrail"), *mt[1:]],
                lambda: clear_store(before_home),
                monotrail_env(before_home),
            )
        )
    return compare(
        f"{name}, cold (artifacts present){', bytecode' if bytecode else ''}",
        [
            Contender(f"monotrail install {flag}", mt, cold_store, env),
            *contenders,
            Contender(f"pip install {flag} (local files)", pip, reset_venv),
            Contender(
                "poetry install (warm cache)",
                poetry,
                reset_poetry_venv,
                poetry_env,
                str(poetry_project),
            ),
            Contender(
                "uv pip install (warm cache)", uv, reset_venv, {"UV_CACHE_DIR": str(uv_cache)}
            ),
            Contender("uv pip install --no-cache", [*uv, "--no-cache"], reset_venv),
        ],
        f"monotrail install {flag}",
        runs,
        note=f"{len(requirements.read_text().split())} packages",
    )


def workload_warm(runs: int) -> list[Comparison]:
    """A new project whose versions are all in the store (the data-science stack)."""
    name = "data-science"
    work = WORK / name
    home = work / "monotrail-home"
    requirements = work / "requirements.txt"
    if not requirements.exists():
        install_workload(name, REPO / "test-data/poetry/data-science", ["tqdm_feature"], 1)
    env = monotrail_env(home)
    sh(
        BIN / "monotrail",
        "install",
        "--project",
        work / "project",
        "-Etqdm_feature",
        env={**os.environ, **env},
    )
    fresh_root = work / "fresh-projects"
    shutil.rmtree(fresh_root, ignore_errors=True)
    # The env records of earlier runs' fresh projects are dead now that their folders are gone;
    # gc drops them (and new folders get new names: a reused path would hit its old record).
    sh(BIN / "monotrail", "store", "gc", env={**os.environ, **env})
    venv = work / "warm-venv"
    python = str(venv / "bin" / "python")
    counter = iter(range(10**6))

    def new_project() -> None:
        # A locked project monotrail has never seen (a new folder: a new env key), whose
        # versions are all in the store: no resolution, no download, no unpacking.
        fresh = fresh_root / f"p{os.getpid()}-{time.time_ns()}-{next(counter)}"
        fresh.mkdir(parents=True)
        for name in ("pyproject.toml", "poetry.lock"):
            shutil.copy(work / "project" / name, fresh / name)
        first[first.index("--project") + 1] = str(fresh)

    def new_venv() -> None:
        shutil.rmtree(venv, ignore_errors=True)

    uv_cache = work / "uv-cache"
    uv = (
        f"{BIN / 'uv'} venv -q --python {base_python()} {venv} && "
        f"{BIN / 'uv'} pip install -q --python {python} -r {requirements}"
    )
    first = [
        str(BIN / "monotrail"),
        "run",
        "-p",
        base_python(),
        "--project",
        "",
        "-Etqdm_feature",
        "python",
        "-c",
        "pass",
    ]
    noop_venv = work / "noop-venv"
    noop_python = str(noop_venv / "bin" / "python")
    if not noop_venv.exists():
        fresh_venv(noop_venv)
        sh(BIN / "uv", "pip", "install", "-q", "--python", noop_python, "-r", requirements,
           env={**os.environ, "UV_CACHE_DIR": str(uv_cache)})  # fmt: skip
    installed = [
        str(BIN / "monotrail"),
        "install",
        "-p",
        base_python(),
        "--project",
        str(work / "project"),
        "-Etqdm_feature",
    ]
    noop = compare(
        "no-op: everything already installed",
        [
            Contender("monotrail install", installed, None, env),
            Contender(
                "uv pip install -r",
                [
                    str(BIN / "uv"),
                    "pip",
                    "install",
                    "-q",
                    "--python",
                    noop_python,
                    "-r",
                    str(requirements),
                ],
                None,
                {"UV_CACHE_DIR": str(uv_cache)},
            ),  # fmt: skip
            Contender(
                "pip install -r",
                [
                    noop_python,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-index",
                    "--find-links",
                    str(work / "downloads"),
                    "-r",
                    str(requirements),
                ],
            ),  # fmt: skip
        ],
        "monotrail install",
        runs,
    )
    return [
        noop,
        compare(
            "warm: new project, all versions cached",
            [
                Contender("monotrail run (new env, no resolve)", first, new_project, env),
                Contender(
                    "uv venv + uv pip install (warm cache)",
                    ["sh", "-c", uv],
                    new_venv,
                    {"UV_CACHE_DIR": str(uv_cache)},
                ),
            ],
            "monotrail run (new env, no resolve)",
            runs,
            note="monotrail: a new locked project; uv: a new venv from its warm cache",
        ),
    ]


def workload_startup(runs: int) -> list[Comparison]:
    work = WORK / "startup"
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "hello.py").write_text("print('hello')\n")
    (project / "numpy_version.py").write_text("import numpy\nprint(numpy.__version__)\n")
    (project / "requirements.txt").write_text("numpy==2.2.6\n")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "startup"\nversion = "0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["numpy==2.2.6"]\n'
    )
    home = work / "monotrail-home"
    env = monotrail_env(home)
    venv = work / "venv"
    if not venv.exists():
        fresh_venv(venv)
        sh(
            BIN / "uv",
            "pip",
            "install",
            "-q",
            "--python",
            venv / "bin/python",
            "--compile-bytecode",
            "numpy==2.2.6",
        )
    uv_env = {
        "UV_CACHE_DIR": str(work / "uv-cache"),
        "UV_PROJECT_ENVIRONMENT": str(work / "uv-env"),
    }
    mt = [str(BIN / "monotrail"), "run", "-p", base_python(), "--project", str(project), "python"]
    # Warm every contender's environment first.
    sh(*mt, "hello.py", env={**os.environ, **env}, cwd=project)
    uv_run = [str(BIN / "uv"), "run", "-q", "--python", base_python(), "python"]
    sh(*uv_run, "hello.py", env={**os.environ, **uv_env}, cwd=project)
    results = []
    for script in ("hello.py", "numpy_version.py"):
        results.append(
            compare(
                f"startup: {script}",
                [
                    Contender("monotrail run python", [*mt, script], None, env, str(project)),
                    Contender(
                        "bare python (venv with .pyc)",
                        [str(venv / "bin/python"), script],
                        None,
                        None,
                        str(project),
                    ),
                    Contender("uv run python", [*uv_run, script], None, uv_env, str(project)),
                ],
                "monotrail run python",
                runs,
                warmup=2,
            )
        )
    return results


def workload_scale(runs: int) -> list[Comparison]:
    """Startup with 10,000 entries in the store; with a 300-package lock."""
    work = WORK / "scale"
    home = work / "monotrail-home"
    env = monotrail_env(home)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from scale_fixtures import make_scale_fixtures\n"
        "make_scale_fixtures(*sys.argv[2:])\n"
    )
    sh(BIN / "python", "-c", code, REPO / "bench", work, base_python(), env={**os.environ, **env})
    small = work / "small-project"
    large = work / "large-project"
    venv = work / "venv"
    if not venv.exists():
        fresh_venv(venv)
    tiny = monotrail_env(work / "tiny-store-home")
    mt = [str(BIN / "monotrail"), "run", "-p", base_python(), "python", "-c", "import pkg0000"]
    return [
        compare(
            "scale: store size, lock size",
            [
                Contender("monotrail run, 1-package lock", mt, None, env, str(small)),
                Contender("monotrail run, same, store of 1 entry", mt, None, tiny, str(small)),
                Contender("monotrail run, 300-package lock", mt, None, env, str(large)),
                Contender("bare python (venv) -c pass", [str(venv / "bin/python"), "-c", "pass"]),
            ],
            "monotrail run, 1-package lock",
            runs,
            warmup=2,
            note="the store holds 10,200 entries unless said otherwise",
        )
    ]


CI_PYPROJECT = """\
[project]
name = "ci-job"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["requests==2.32.3", "rich==13.9.4", "attrs==24.2.0"]

[dependency-groups]
dev = ["pytest==8.3.3"]
"""
CI_TEST = "import attrs, requests, rich\n\n\ndef test_imports():\n    assert requests.get\n"


def workload_ci(runs: int) -> list[Comparison]:
    """A CI job: a new checkout at a new path, a restored cache, then the project's tests.

    monotrail restores an exported store layer (read-only, named in MONOTRAIL_STORES, with an
    empty writable store) or the whole store; uv restores its cache and syncs a new .venv.
    """
    work = WORK / "ci"
    project = work / "project"
    if not (project / "uv.lock").exists():
        (project / "tests").mkdir(parents=True, exist_ok=True)
        (project / "pyproject.toml").write_text(CI_PYPROJECT)
        (project / "tests" / "test_job.py").write_text(CI_TEST)
        sh(BIN / "uv", "lock", "-q", "--python", base_python(), cwd=project)
    store_home = work / "monotrail-home"
    layer = work / "layer"
    mt_env = {**os.environ, **monotrail_env(store_home)}
    sh(BIN / "monotrail", "install", "-p", base_python(), cwd=project, env=mt_env)
    if not layer.exists():
        sh(
            BIN / "monotrail",
            "store",
            "export",
            "-p",
            base_python(),
            layer,
            cwd=project,
            env=mt_env,
        )
    uv_cache = work / "uv-cache"
    uv_env = {"UV_CACHE_DIR": str(uv_cache), "UV_PYTHON_DOWNLOADS": "never"}
    uv_run = [str(BIN / "uv"), "run", "-q", "--frozen", "--python", base_python(), "pytest", "-q"]
    sh(*uv_run, cwd=project, env={**os.environ, **uv_env})
    checkouts = work / "checkouts"
    shutil.rmtree(checkouts, ignore_errors=True)
    counter = iter(range(10**6))

    def checkout(contender: Contender) -> Callable[[], None]:
        def prepare() -> None:
            fresh = checkouts / f"c{next(counter)}"
            shutil.copytree(project, fresh, ignore=shutil.ignore_patterns(".venv"))
            contender.cwd = str(fresh)
            if contender.label.startswith("monotrail, layer"):
                shutil.rmtree(work / "empty-home", ignore_errors=True)

        return prepare

    mt_run = [str(BIN / "monotrail"), "run", "-p", base_python(), "command", "pytest", "-q"]
    contenders = [
        Contender(
            "monotrail, layer",
            mt_run,
            env={"MONOTRAIL_HOME": str(work / "empty-home"), "MONOTRAIL_STORES": str(layer)},
        ),
        Contender("monotrail, restored store", mt_run, env=monotrail_env(store_home)),
        Contender("uv run, restored cache", uv_run, env=uv_env),
    ]
    for contender in contenders:
        contender.prepare = checkout(contender)
    return [
        compare(
            "CI job: new checkout, restored cache, pytest", contenders, "monotrail, layer", runs
        )
    ]


LOCKLESS_PYPROJECT = """\
[project]
name = "web-app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [
    "fastapi>=0.110", "uvicorn>=0.29", "httpx>=0.27", "pydantic-settings>=2.2",
    "sqlalchemy>=2.0", "alembic>=1.13", "rich>=13.7", "typer>=0.12", "jinja2>=3.1",
    "python-dotenv>=1.0", "tenacity>=8.2", "structlog>=24.1",
]
"""


def workload_lockless(runs: int) -> list[Comparison]:
    """The first run of a PEP 621 project without a lock (about 30 packages): the time to a
    resolution, with each resolver's metadata cache warm (kept from the run before) and cold
    (emptied before each run). monotrail's store already holds every version, so its run is
    the resolution plus a new environment from the store."""
    work = WORK / "lockless"
    shutil.rmtree(work / "projects", ignore_errors=True)
    projects = {name: work / "projects" / name for name in ("mt", "poetry", "uv", "pip-compile")}
    for project in projects.values():
        project.mkdir(parents=True)
        (project / "pyproject.toml").write_text(LOCKLESS_PYPROJECT)
    # The index pip is configured with, for every contender; pip-compile sees nothing else of
    # pip's configuration (the machine's may add find-links, extra indexes and constraints).
    index = sh(
        BIN / "python",
        "-c",
        "from monotrail.fetch import indexes; print(indexes.pip_index_urls()[0])",
    ).strip()
    with open(projects["poetry"] / "pyproject.toml", "a") as handle:
        # Poetry reads per-version JSON from PyPI, which some mirrors answer with 404.
        handle.write(
            f'\n[[tool.poetry.source]]\nname = "index"\nurl = "{index}"\npriority = "primary"\n'
        )
    home = work / "monotrail-home"
    caches = {name: work / f"{name}-cache" for name in projects}
    mt_env = {**monotrail_env(home), "POETRY_CACHE_DIR": str(caches["mt"])}
    mt = [str(BIN / "monotrail"), "run", "-p", base_python(), "python", "-c", "pass"]
    sh(*mt, env={**os.environ, **mt_env}, cwd=projects["mt"])  # fills the store once
    envs = {
        "mt": mt_env,
        "poetry": {"POETRY_CACHE_DIR": str(caches["poetry"])},
        "uv": {"UV_CACHE_DIR": str(caches["uv"]), "UV_PYTHON_DOWNLOADS": "never"},
        "pip-compile": {"PIP_CONFIG_FILE": os.devnull, "PIP_CACHE_DIR": str(caches["pip-compile"])},
    }
    commands = {
        "mt": mt,
        "poetry": [str(BIN / "poetry"), "lock", "-q"],
        "uv": [str(BIN / "uv"), "lock", "-q", "--python", base_python(), "--default-index", index],
        "pip-compile": [
            str(BIN / "pip-compile"),
            "-q",
            "--index-url",
            index,
            "--cache-dir",
            str(caches["pip-compile"] / "pip-tools"),
            "-o",
            "requirements.txt",
            "pyproject.toml",
        ],
    }
    outputs = {
        "mt": [],
        "poetry": ["poetry.lock"],
        "uv": ["uv.lock"],
        "pip-compile": ["requirements.txt"],
    }
    labels = {
        "mt": "monotrail run (Poetry's solver in-process)",
        "poetry": "poetry lock",
        "uv": "uv lock",
        "pip-compile": "pip-compile (this interpreter only)",
    }

    def prepare(name: str, cold: bool) -> Callable[[], None]:
        def reset() -> None:
            for output in outputs[name]:
                (projects[name] / output).unlink(missing_ok=True)
            if name == "mt":  # the remembered resolution and environment; the store stays
                for sub in ("resolutions", "envs"):
                    shutil.rmtree(home / sub, ignore_errors=True)
            if cold:
                shutil.rmtree(caches[name], ignore_errors=True)

        return reset

    results = []
    for cold in (False, True):
        contenders = [
            Contender(
                labels[name], commands[name], prepare(name, cold), envs[name], str(projects[name])
            )
            for name in projects
        ]
        results.append(
            compare(
                f"no lock, metadata cache {'cold' if cold else 'warm'}",
                contenders,
                labels["mt"],
                runs,
                note="a PEP 621 project of about 30 packages; monotrail, Poetry and uv lock for "
                "every Python the project allows, pip-compile for this interpreter only",
            )
        )
    return results


WORKLOADS = {
    "plotly": workload_plotly,
    "data-science": lambda runs: [
        install_workload(
            "data-science", REPO / "test-data/poetry/data-science", ["tqdm_feature"], runs
        )
    ],
    "data-science-bytecode": lambda runs: [
        install_workload(
            "data-science", REPO / "test-data/poetry/data-science", ["tqdm_feature"], runs, True
        )
    ],
    "django": lambda runs: [
        install_workload("django", REPO / "test-data/poetry/django-project", [], runs)
    ],
    "warm": workload_warm,
    "startup": workload_startup,
    "scale": workload_scale,
    "ci": workload_ci,
    "lockless": workload_lockless,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "workloads", nargs="*", default=[], help="NAME or NAME:RUNS (default: all, --runs each)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--out", default="latest", help="name of the result files in bench/results (NAME.md, .png)"
    )
    parser.add_argument("--before", type=Path, help="a checkout of monotrail to time as well")
    args = parser.parse_args()
    chosen: list[tuple[str, int]] = []
    for word in args.workloads or list(WORKLOADS):
        name, _, runs = word.partition(":")
        if name not in WORKLOADS or not (runs.isdigit() or not runs):
            parser.error(f"{word}: not NAME or NAME:RUNS, NAME one of {', '.join(WORKLOADS)}")
        chosen.append((name, int(runs or args.runs)))
    setup()
    if args.before:
        global BEFORE
        BEFORE = install_before(args.before.resolve())
    comparisons: list[Comparison] = []
    for name, runs in chosen:
        print(f"== {name}", flush=True)
        comparisons.extend(WORKLOADS[name](runs))
    versions = sh(
        BIN / "python",
        "-c",
        "import importlib.metadata as m; print(*(f'{n} {m.version(n)}' for n in "
        "('monotrail', 'pip', 'poetry', 'uv', 'pip-tools')), sep=', ')",
    ).strip()
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {versions}; median of {_runs_text(chosen)}."
    )
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.out}.md").write_text(markdown(comparisons, header))
    (out / f"{args.out}.json").write_text(json.dumps(rows_data(comparisons), indent=1))
    # The chart is drawn by the bench venv's Python, which has matplotlib.
    sh(BIN / "python", REPO / "bench/harness.py", out / f"{args.out}.json", out / f"{args.out}.png")
    print((out / f"{args.out}.md").read_text())
    return 0


def _runs_text(chosen: list[tuple[str, int]]) -> str:
    """``3 runs each`` or ``3 runs (startup: 10)``."""
    counts = [runs for _, runs in chosen]
    common = max(set(counts), key=counts.count)
    others = ", ".join(f"{name}: {runs}" for name, runs in chosen if runs != common)
    return f"{common} runs each" + (f" ({others})" if others else "")


if __name__ == "__main__":
    raise SystemExit(main())
