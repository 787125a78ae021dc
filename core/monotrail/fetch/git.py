"""Git checkouts in the store: one folder per repository and revision, fetched once.

A checkout lives in ``git/<hash of the URL>/<revision>/`` below the store's home, made by the
``git`` command (dulwich where there is none) in a temporary sibling and renamed into place
(``layout.create_entry``), so a revision is fetched once and a killed fetch leaves nothing
behind. ``checkout_dir`` is stdlib-only: it runs on ``from-git``'s fast path.
"""

from __future__ import annotations

import hashlib
import os

from monotrail import paths
from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds on the fast path
    from pathlib import Path


def checkout_dir(url: str, rev: str) -> str:
    """Where ``url`` at ``rev`` is (or will be) checked out."""
    from urllib.parse import quote

    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return os.path.join(str(paths.home()), "git", digest, quote(rev, safe="") or "HEAD")


def ensure_checkout(url: str, rev: str) -> str:
    """The checkout of ``url`` at ``rev``, fetched unless it is in the store already."""
    from pathlib import Path

    from monotrail.store import layout

    target = checkout_dir(url, rev)
    if not os.path.isdir(target):
        from monotrail.fetch.credentials import redact

        layout.check_writable()
        print(f"Fetching {redact(url)} at {rev} with git...", file=__import__("sys").stderr)
        layout.create_entry(Path(target), lambda tmp: _fetch(url, rev, tmp))
    return target


def _fetch(url: str, rev: str, into: Path) -> None:
    import shutil
    import subprocess

    from monotrail.fetch.credentials import redact

    git = shutil.which("git")
    if git is None:
        _fetch_with_dulwich(url, rev, into)
        return
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
            raise MonotrailError(f"git could not fetch {redact(url)}: {_reason(proc.stderr)}")
        if call("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
            raise MonotrailError(
                f"{redact(url)}: no revision {rev!r} (no such commit, tag or branch)"
            )
        wanted = rev
    proc = call("-c", "advice.detachedHead=false", "checkout", "-q", "--detach", wanted)
    if proc.returncode != 0:
        raise MonotrailError(f"{redact(url)}: cannot check out {rev!r}: {_reason(proc.stderr)}")


def _fetch_with_dulwich(url: str, rev: str, into: Path) -> None:
    """The same without the ``git`` command: dulwich (Poetry's git library) clones the whole
    repository, then checks out ``rev``: a branch, a tag or a commit."""
    import io

    from dulwich import porcelain
    from dulwich.objectspec import parse_commit

    try:
        repo = porcelain.clone(url, str(into), checkout=False, errstream=io.BytesIO())
    except Exception as err:  # dulwich's own errors, OS and network errors
        raise MonotrailError(f"git could not fetch {url}: {err}") from None
    with repo:
        for name in (f"refs/remotes/origin/{rev}", f"refs/tags/{rev}", rev):
            try:
                commit = parse_commit(repo, name.encode())
                break
            except (KeyError, ValueError):
                continue
        else:
            raise MonotrailError(f"{url}: no revision {rev!r} (no such commit, tag or branch)")
        porcelain.reset(repo, "hard", commit.id)


def _reason(stderr: str) -> str:
    """git's first complaint (later lines are generic advice)."""
    from monotrail.fetch.credentials import redact_all

    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return redact_all(line.split(": ", 1)[1])
    return redact_all(lines[-1]) if lines else "no output"
