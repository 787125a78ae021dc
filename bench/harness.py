"""Timing commands side by side: interleaved rounds, medians, ratios (hyperfine-like).

Each round runs every command once, in rotating order, after its own preparation step, so a
noisy machine slows all contenders alike; medians resist outliers.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Contender:
    label: str
    command: list[str]
    prepare: Callable[[], None] | None = None
    env: dict[str, str] | None = None
    cwd: str | None = None
    times: list[float] = field(default_factory=list)
    #: Peak resident set size of each run in KiB (the command's process and what it waited for).
    rss: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_rss_mib(self) -> float:
        return max(self.rss) / 1024 if self.rss else 0.0


@dataclass
class Comparison:
    workload: str
    contenders: list[Contender]
    reference: str  # the label the ratios are relative to
    note: str = ""

    def rows(self) -> list[tuple[str, float, float]]:
        ref = next(c for c in self.contenders if c.label == self.reference).median
        return [(c.label, c.median, c.median / ref) for c in self.contenders]


def run_once(contender: Contender) -> float:
    if contender.prepare:
        contender.prepare()
    env = dict(os.environ, **(contender.env or {}))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            contender.command, env=env, cwd=contender.cwd, stdout=out, stderr=err
        )
        # wait4, not wait: its rusage gives the peak RSS of this run.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            out.seek(0)
            err.seek(0)
            raise RuntimeError(
                f"{contender.label}: exit {proc.returncode}: {' '.join(contender.command)}\n"
                f"{out.read()[-2000:].decode(errors='replace')}\n"
                f"{err.read()[-2000:].decode(errors='replace')}"
            )
    contender.rss.append(usage.ru_maxrss)
    return elapsed


def compare(
    workload: str,
    contenders: list[Contender],
    reference: str,
    runs: int,
    warmup: int = 1,
    note: str = "",
) -> Comparison:
    for contender in contenders:
        for _ in range(warmup):
            run_once(contender)
    for round_number in range(runs):
        shift = round_number % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            contender.times.append(run_once(contender))
    comparison = Comparison(workload, contenders, reference, note)
    for label, median, ratio in comparison.rows():
        print(f"  {workload:<34} {label:<44} {median * 1000:9.1f} ms  x{ratio:5.2f}", flush=True)
    return comparison


def markdown(comparisons: list[Comparison], header: str) -> str:
    lines = [
        header,
        "",
        "| workload | contender | median | ratio to monotrail | peak RSS |",
        "|---|---|---:|---:|---:|",
    ]
    for comparison in comparisons:
        for contender, (label, median, ratio) in zip(
            comparison.contenders, comparison.rows(), strict=True
        ):
            shown = f"{median * 1000:.0f} ms" if median < 10 else f"{median:.2f} s"
            rss = f"{contender.peak_rss_mib:.0f} MiB"
            lines.append(f"| {comparison.workload} | {label} | {shown} | {ratio:.2f} | {rss} |")
        if comparison.note:
            lines.append(f"| | _{comparison.note}_ | | | |")
    return "\n".join(lines) + "\n"


def chart(comparisons: list[Comparison], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axes = plt.subplots(len(comparisons), 1, figsize=(9, 2.2 * len(comparisons)))
    if len(comparisons) == 1:
        axes = [axes]
    for axis, comparison in zip(axes, comparisons, strict=True):
        rows = comparison.rows()
        axis.barh([r[0] for r in rows], [r[1] for r in rows], color="#4c72b0")
        axis.set_title(comparison.workload, fontsize=9)
        axis.set_xlabel("seconds (median)", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
