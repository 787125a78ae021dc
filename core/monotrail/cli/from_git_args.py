"""Parsing ``monotrail from-git URL REV [OPTIONS] python|command ...`` (stdlib only).

After the URL and the revision, the words are those of ``run`` (run_args), so options and the
program's arguments work the same way there.
"""

from __future__ import annotations

from monotrail.cli import run_args
from monotrail.errors import MonotrailError

FROM_GIT_HELP = """\
Usage:
  monotrail from-git URL REV [OPTIONS] python [ARGS...]
  monotrail from-git URL REV [OPTIONS] command NAME [ARGS...]

Check out the git repository URL at revision REV (a commit, tag or branch) into the store, once,
install what its requirements.txt / pyproject.toml / poetry.lock declare, and run Python or a
console script with those packages and the repository's own code importable. A revision is
fetched once: name a commit or a tag (a branch name stays at the commit it had then).

Options:
  -E, --extras EXTRA     install this extra of the repository's project (repeatable)
  --group GROUP          also install this (optional) dependency group (repeatable)
  -p, --python PYTHON    the Python to run: X.Y, X.Y.Z or a path
  -v, --verbose          explain every decision (same as MONOTRAIL_LOG=debug)
  -q, --quiet            no live progress display, only the summary lines
  --no-ansi              no escape codes (as with NO_COLOR): only the summary lines
  -h, --help             show this help

Examples:
  monotrail from-git https://github.com/psf/requests v2.32.3 python -c 'import requests'
  monotrail from-git file:///srv/repo.git 1a2b3c4d command mytool --help
"""


class FromGitArgs:
    def __init__(self, url: str, rev: str, run: run_args.RunArgs) -> None:
        self.url = url
        self.rev = rev
        self.run = run


def parse(argv: list[str]) -> FromGitArgs | None:
    """The parsed words after ``from-git``; None when help was asked for."""
    if not argv or argv[0] in ("-h", "--help"):
        if argv:
            return None
        raise MonotrailError("from-git: give URL REV and what to run (see `monotrail from-git -h`)")
    if len(argv) < 2 or argv[1].startswith("-"):
        raise MonotrailError(
            f"from-git: give the revision after {argv[0]} (a commit, tag or branch)"
        )
    url, rev = argv[0], argv[1]
    if url.startswith("-"):
        raise MonotrailError(f"from-git: expected a repository URL first, got {url}")
    run = run_args.parse(argv[2:])
    if run.help:
        return None
    if run.project is not None:
        raise MonotrailError("from-git: --project does not apply (the repository is the project)")
    if run.with_requirements or run.with_files:
        raise MonotrailError("from-git: --with applies to `monotrail run` only")
    if len(set(run.python)) > 1:
        raise MonotrailError("from-git: give one -p (several run only with `monotrail run`)")
    return FromGitArgs(url, rev, run)
