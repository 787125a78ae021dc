"""The display of the slow path: what runs now, and one summary line per finished phase.

The core announces its phases here and knows nothing of the drawing. ``with progress.phase(
"Downloading", total=3, unit="files") as step:`` opens one; ``step.advance()``,
``step.add_bytes(n)``, ``step.expect(n)`` (more work than the total said) and
``step.detail(text)`` (what it works on now) report the work; ``step.summary = "Downloaded 3
files"`` is the line that stays when the phase ends, followed by the time it took (a phase
without one, or one that fails, leaves nothing). Deep callees report to the phase their thread
opened last through the module functions ``detail``, ``expect`` and ``advance`` (no-ops outside a
phase). ``summary_line`` prints a line that stays, outside any phase.

Two ways to show it, chosen when a phase starts:
- live: stderr is a terminal, no ``-q``, ANSI allowed (no ``--no-ansi``, ``NO_COLOR`` unset,
  ``TERM`` not ``dumb``) and no debug log (``-v`` lines would cut through the drawing). rich
  draws a row per running phase: a spinner, the phase, a bar when the total is known, the
  counts, what it works on and the elapsed time; the summary lines are printed above the rows
  and stay, the rows go when the last phase ends. Rows appear once a phase has run for
  ``DRAW_AFTER`` seconds: quick work (a new environment of stored packages) draws nothing.
- plain: otherwise. Only the summary lines, with no escape code.

A ``run`` whose env record exists opens no phase and prints nothing. This module imports only
the standard library; rich is imported when the first row is drawn.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

_MIB = 1024 * 1024

#: Set by ``configure``: ``-q``, and ``--no-ansi`` (False) or ``--ansi`` (True).
_quiet = False
_ansi: bool | None = None
#: Phases that end sooner than this are not drawn (nor is rich imported for them).
DRAW_AFTER = 0.15
#: The live rows while any phase runs (a rich ``Progress``), the timer that draws them once a
#: phase has run for DRAW_AFTER, and the phases that run.
_live: Any = None
_timer: threading.Timer | None = None
_running: list[Phase] = []
_lock = threading.RLock()
_thread = threading.local()


def configure(quiet: bool | None = None, ansi: bool | None = None) -> None:
    """``-q`` (summaries only) and ``--no-ansi``/``--ansi`` of the command line."""
    global _quiet, _ansi
    if quiet is not None:
        _quiet = quiet
    if ansi is not None:
        _ansi = ansi


def is_live() -> bool:
    """Whether phases are drawn live (see the module docstring)."""
    if _quiet or _ansi is False or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb" or os.environ.get("MONOTRAIL_LOG", "").lower() == "debug":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class Phase:
    """One running phase: what it has done so far, and the line that stays when it ends."""

    def __init__(self, title: str, total: int | None, unit: str, total_bytes: int | None) -> None:
        self.title = title
        self.unit = unit
        #: Units of work expected (None: unknown) and done.
        self.total = total
        self.done = 0
        #: Bytes moved, and expected (None: unknown; a known total draws the bar in bytes).
        self.bytes = 0
        self.total_bytes = total_bytes
        #: The line that stays when the phase ends (the time it took is added).
        self.summary: str | None = None
        self.started = time.perf_counter()
        self._detail = ""
        self._lock = threading.Lock()
        #: Its row in the live display (a rich task id), when drawn live.
        self.row: Any = None

    def advance(self, amount: int = 1) -> None:
        with self._lock:
            self.done += amount

    def expect(self, amount: int) -> None:
        with self._lock:
            self.total = (self.total or 0) + amount

    def add_bytes(self, amount: int) -> None:
        with self._lock:
            self.bytes += amount

    def detail(self, text: str) -> None:
        self._detail = text

    def counts(self) -> str:
        """``3/14 files, 15.4 MiB: numpy``: the work done so far, as the live row shows it."""
        parts = []
        if self.total is not None:
            parts.append(f"{self.done}/{self.total} {self.unit}".rstrip())
        elif self.done:
            parts.append(f"{self.done} {self.unit}".rstrip())
        if self.bytes or self.total_bytes:
            of = f"/{size_text(self.total_bytes)}" if self.total_bytes else ""
            parts.append(f"{size_text(self.bytes)}{of}")
        text = ", ".join(parts)
        return f"{text}: {self._detail}" if text and self._detail else text or self._detail

    def fraction(self) -> float | None:
        """How much is done, when the total is known."""
        if self.total_bytes:
            return min(1.0, self.bytes / self.total_bytes)
        if self.total:
            return min(1.0, self.done / self.total)
        return None


def size_text(nbytes: int) -> str:
    """``15.4 MiB``, ``340 KiB``."""
    if nbytes >= _MIB:
        return f"{nbytes / _MIB:.1f} MiB"
    return f"{nbytes / 1024:.0f} KiB"


def count_text(count: int, noun: str) -> str:
    """``1 package``, ``2 packages``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def seconds_text(seconds: float) -> str:
    """``0.42s``, ``12.3s``, ``2m 05s``."""
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"


@contextmanager
def phase(
    title: str, total: int | None = None, unit: str = "", total_bytes: int | None = None
) -> Iterator[Phase]:
    """A phase of the slow path, shown while the block runs (see the module docstring)."""
    step = Phase(title, total, unit, total_bytes)
    stack = _stack()
    stack.append(step)
    _begin(step)
    ended_well = False
    try:
        yield step
        ended_well = True
    finally:
        stack.remove(step)
        line = None
        if ended_well and step.summary:
            line = f"{step.summary} in {seconds_text(time.perf_counter() - step.started)}"
        _end(step, line)


def detail(text: str) -> None:
    """What the phase this thread opened last works on now."""
    if stack := _stack():
        stack[-1].detail(text)


def expect(amount: int) -> None:
    """More work for the phase this thread opened last."""
    if stack := _stack():
        stack[-1].expect(amount)


def advance(amount: int = 1) -> None:
    """Work done by the phase this thread opened last."""
    if stack := _stack():
        stack[-1].advance(amount)


def summary_line(line: str) -> None:
    """A line that stays (above the live rows while phases run)."""
    with _lock:
        if _live is not None:
            _live.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=sys.stderr, flush=True)


def _stack() -> list[Phase]:
    stack: list[Phase] | None = getattr(_thread, "phases", None)
    if stack is None:
        stack = _thread.phases = []
    return stack


def _begin(step: Phase) -> None:
    global _timer
    with _lock:
        _running.append(step)
        if _live is not None:
            step.row = _live.add_task(step.title, phase=step)
        elif _timer is None and is_live():
            _timer = threading.Timer(DRAW_AFTER, _draw)
            _timer.daemon = True
            _timer.start()


def _draw() -> None:
    """Start drawing the running phases."""
    global _live, _timer
    with _lock:
        _timer = None
        if not _running or _live is not None:
            return
        _live = _live_rows()
        _live.start()
        for step in _running:
            step.row = _live.add_task(step.title, phase=step)


def _end(step: Phase, line: str | None) -> None:
    global _live, _timer
    with _lock:
        _running.remove(step)
        if _live is not None and step.row is not None:
            _live.remove_task(step.row)
        if line is not None:
            summary_line(line)
        if _running:
            return
        if _timer is not None:
            _timer.cancel()
            _timer = None
        if _live is not None:
            _live.stop()
            _live = None


def _live_rows() -> Any:
    """rich's ``Progress`` with a row per phase; its columns read the ``Phase`` objects."""
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task
    from rich.progress_bar import ProgressBar
    from rich.text import Text

    def phase_of(task: Task) -> Phase:
        found: Phase = task.fields["phase"]
        return found

    class Title(ProgressColumn):
        def render(self, task: Task) -> Text:
            return Text(phase_of(task).title, "bold", overflow="ellipsis", no_wrap=True)

    class Bar(ProgressColumn):
        def render(self, task: Task) -> ProgressBar | Text:
            fraction = phase_of(task).fraction()
            if fraction is None:
                return Text("")
            return ProgressBar(total=1.0, completed=fraction, width=24)

    class Elapsed(ProgressColumn):
        def render(self, task: Task) -> Text:
            seconds = int(time.perf_counter() - phase_of(task).started)
            return Text(f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}", "yellow")

    class Counts(ProgressColumn):
        def render(self, task: Task) -> Text:
            return Text(phase_of(task).counts(), style="dim", overflow="ellipsis", no_wrap=True)

    console = Console(stderr=True, highlight=False)
    columns = (SpinnerColumn(), Title(), Bar(), Elapsed(), Counts())
    # Stray stderr lines go above the rows; stdout stays the program's own.
    return Progress(
        *columns, console=console, transient=True, refresh_per_second=10, redirect_stdout=False
    )
