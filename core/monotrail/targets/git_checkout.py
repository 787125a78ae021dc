"""from-git: a repository at one revision, checked out once into the store and run with its deps.

The checkout lives in ``git/<hash of the URL>/<revision>/`` below the store's home, made by the
``git`` command in a temporary sibling and renamed into place (``layout.create_entry``), so a
revision is fetched once and a killed fetch leaves nothing behind. The checkout is then an
ordinary project (requirements.txt, pyproject.toml, poetry.lock) whose own code is importable.

``checkout_dir`` and ``env_key`` are stdlib-only: they run on ``from-git``'s fast path.
"""

from __future__ import annotations

import hashlib
import os

from monotrail import paths
from monotrail.env import launch
from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from pathlib import Path

    from monotrail.env.prepare import Prepared
    from monotrail.python.interpreter import Interpreter
    from monotrail.targets.project import Project


def checkout_dir(url: str, rev: str) -> str:
    """Where ``url`` at ``rev`` is (or will be) checked out."""
    from urllib.parse import quote

    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return os.path.join(str(paths.home()), "git", digest, quote(rev, safe="") or "HEAD")


def env_key(project: Project, executable: str, extras: list[str], groups: list[str]) -> str:
    # Not the key `run --project CHECKOUT` would use: this record also imports the checkout.
    return launch.env_key(project, executable, extras, groups, ["from-git"])


def find_project(url: str, rev: str, checkout: str) -> Project:
    """The checkout as a project (its top folder declares the dependencies)."""
    from monotrail.targets.project import discover

    try:
        return discover(explicit=checkout)
    except MonotrailError:
        raise MonotrailError(
            f"{url} at {rev}: no requirements.txt, pyproject.toml or poetry.lock at the top of "
            "the repository, so its dependencies are unknown"
        ) from None


def ensure_checkout(url: str, rev: str) -> str:
    """The checkout of ``url`` at ``rev``, fetched unless it is in the store already."""
    from pathlib import Path

    from monotrail.store import layout

    target = checkout_dir(url, rev)
    if not os.path.isdir(target):
        layout.check_writable()
        print(f"Fetching {url} at {rev} with git...", file=__import__("sys").stderr)
        layout.create_entry(Path(target), lambda tmp: _fetch(url, rev, tmp))
    return target


def _fetch(url: str, rev: str, into: Path) -> None:
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        raise MonotrailError("from-git needs the `git` command, and it is not on PATH")
    # Never wait for a password on a terminal nobody watches.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [git, "-C", str(into), *args], capture_output=True, text=True, env=env
        )

    call("init", "-q")
    # One commit is enough; a server that refuses a shallow fetch of that revision (an
    # abbreviated commit, an old server) gets a full fetch instead.
    if call("fetch", "-q", "--depth", "1", url, rev).returncode == 0:
        wanted = "FETCH_HEAD"
    else:
        refs = ("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
        proc = call("fetch", "-q", url, *refs)
        if proc.returncode != 0:
            raise MonotrailError(f"git could not fetch {url}: {_reason(proc.stderr)}")
        if call("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
            raise MonotrailError(f"{url}: no revision {rev!r} (no such commit, tag or branch)")
        wanted = rev
    proc = call("-c", "advice.detachedHead=false", "checkout", "-q", "--detach", wanted)
    if proc.returncode != 0:
        raise MonotrailError(f"{url}: cannot check out {rev!r}: {_reason(proc.stderr)}")


def _reason(stderr: str) -> str:
    """git's first complaint (later lines are generic advice)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1]
    return lines[-1] if lines else "no output"


def prepare(
    url: str,
    rev: str,
    interpreter: Interpreter,
    key_executable: str,
    extras: list[str],
    groups: list[str],
) -> Prepared:
    """Fetch (once), resolve, install and write the env record of the checkout.

    ``key_executable`` is the interpreter the caller asked for (the record's key names it).
    """
    from monotrail.env import package_env, prepare
    from monotrail.targets import project_source
    from monotrail.targets.project import POETRY

    checkout = ensure_checkout(url, rev)
    project = find_project(url, rev, checkout)
    if project.kind == POETRY:
        from monotrail.resolve import poetry_resolver

        # Lock first: the key covers poetry.lock, so that the next run finds this record.
        poetry_resolver.ensure_lock(project.root)
        project = find_project(url, rev, checkout)
    key = env_key(project, key_executable, extras, groups)
    packages = prepare.resolve(project, interpreter, extras, groups, key)
    source = project_source.read(project)
    if not source.head and not source.flat:
        # Like an editable install: the repository's own packages import from the checkout.
        src = os.path.join(checkout, "src")
        flat_src = os.path.isfile(os.path.join(src, "__init__.py"))
        source.head.append(src if os.path.isdir(src) and not flat_src else checkout)
    meta: dict[str, object] = {
        "project": checkout,
        "project_kind": project.kind,
        "tool": f"from-git {url} {rev}",
        "inputs": {path: _sha256(path) for path in project.input_files},
        "extras": sorted(set(extras)),
        "groups": sorted(set(groups)),
    }
    return package_env.prepare(key, packages, interpreter, meta, source)


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
