"""``run -p 3.9 -p 3.12 ...``: the same program once per Python version (the tox replacement).

Every interpreter is chosen first (so an unknown version stops everything with one error line
before anything runs); then, per version, the environment is narrowed for that interpreter
(resolved and installed if needed), the program runs with its output streamed under a header,
and a summary table ends the run. The exit code is 1 when any version failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from monotrail.errors import MonotrailError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from monotrail.env.record import EnvRecord

    #: The env record for one interpreter (the ``run`` slow path, or the existing record).
    RecordFor = Callable[[str], EnvRecord]


class Outcome:
    """How the program did on one interpreter."""

    def __init__(self, request: str, executable: str) -> None:
        self.request = request
        self.executable = executable
        self.version = ""
        self.exit_code: int | None = None
        self.error = ""
        self.seconds = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_matrix(
    requests: list[str],
    choose: Callable[[str], str],
    record_for: RecordFor,
    mode: str,
    command: str,
    args: list[str],
    whose: str,
) -> int:
    """Run the program once per requested version; print a summary; 0 only if all passed.
    ``whose`` names the environments in messages (the project's folder)."""
    outcomes = [Outcome(request, choose(request)) for request in requests]
    for outcome in outcomes:
        _run_one(outcome, record_for, mode, command, args, whose)
    _summary(outcomes)
    return 0 if all(o.ok for o in outcomes) else 1


def _run_one(
    outcome: Outcome,
    record_for: RecordFor,
    mode: str,
    command: str,
    args: list[str],
    whose: str,
) -> None:
    from monotrail import api
    from monotrail.env.launch import environ_for
    from monotrail.python import interpreter

    facts = interpreter.query(outcome.executable)
    outcome.version = facts.full_version
    _say(f"\n==> -p {outcome.request}: Python {outcome.version} ({outcome.executable})")
    started = time.perf_counter()
    try:
        record = record_for(outcome.executable)
        started = time.perf_counter()  # the program's own time, not the environment's set-up
        if mode == "python":
            argv = [outcome.executable, *args]
        else:
            owner = f"{whose} for Python {outcome.version}"
            argv = [api.command_path(record, command, owner), *args]
        outcome.exit_code = subprocess.run(argv, env=environ_for(record)).returncode
    except MonotrailError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        outcome.error = "error"
    finally:
        outcome.seconds = time.perf_counter() - started


def _say(line: str) -> None:
    sys.stderr.flush()
    print(line, flush=True)


def _summary(outcomes: list[Outcome]) -> None:
    rows = [("python", "version", "interpreter", "exit", "duration")]
    for o in outcomes:
        code = o.error or ("-" if o.exit_code is None else str(o.exit_code))
        rows.append((o.request, o.version, o.executable, code, f"{o.seconds:.2f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    failed = sum(not o.ok for o in outcomes)
    _say("")
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        )
    verdict = f"{failed} of {len(outcomes)} failed" if failed else f"all {len(outcomes)} passed"
    print(verdict, flush=True)
