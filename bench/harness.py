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


def rows_data(comparisons: list[Comparison]) -> list[dict[str, object]]:
    """The medians as plain data (bench/results/NAME.json), from which charts are drawn."""
    return [
        {"workload": c.workload, "contender": label, "median_s": median, "ratio": ratio}
        for c in comparisons
        for label, median, ratio in c.rows()
    ]


def chart(rows: list[dict[str, object]], path: str) -> None:
    """A PNG with one panel of horizontal bars (median seconds) per workload."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = list(dict.fromkeys(str(r["workload"]) for r in rows))
    figure, axes = plt.subplots(len(workloads), 1, figsize=(9, 1.2 + 0.45 * len(rows)))
    if len(workloads) == 1:
        axes = [axes]
    for axis, workload in zip(axes, workloads, strict=True):
        mine = [r for r in rows if r["workload"] == workload]
        labels = [str(r["contender"]) for r in mine]
        values = [float(r["median_s"]) for r in mine]  # type: ignore[arg-type]
        colors = ["#dd8452" if label.startswith("monotrail") else "#4c72b0" for label in labels]
        axis.barh(labels, values, color=colors)
        axis.set_title(workload, fontsize=9)
        axis.set_xlabel("seconds (median)", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=90)


if __name__ == "__main__":
    # python bench/harness.py RESULTS.json OUT.png: run with an interpreter that has matplotlib
    # (bench/run.py uses its own venv's).
    import json
    import sys

    chart(json.loads(open(sys.argv[1]).read()), sys.argv[2])
