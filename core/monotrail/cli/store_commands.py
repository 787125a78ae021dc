"""``monotrail store list|size|verify|gc``: what the store holds, its soundness, its collection."""

from __future__ import annotations

from cleo.helpers import argument, option
from cleo.io.outputs.output import Verbosity

from monotrail.cli.base import MonotrailCommand


class StoreListCommand(MonotrailCommand):
    name = "store list"
    description = "List store entries with their size and the environments that use them."
    help = "Examples:\n  monotrail store list\n  monotrail store list numpy"
    arguments = [argument("package", "Only the entries of this package.", optional=True)]

    def handle(self) -> int:
        from monotrail.store import inventory

        for line in inventory.list_lines(self.argument("package")):
            self.line(line)
        return 0


class StoreSizeCommand(MonotrailCommand):
    name = "store size"
    description = "Show how much disk each part of the store takes."
    help = (
        "Examples:\n  monotrail store size\n  MONOTRAIL_HOME=/data/monotrail monotrail store size"
    )

    def handle(self) -> int:
        from monotrail.store import inventory

        for line in inventory.size_lines():
            self.line(line)
        return 0


class StoreVerifyCommand(MonotrailCommand):
    name = "store verify"
    description = "Check every file of every store entry against its RECORD."
    help = (
        "Exits with 1 when an entry is broken. With --repair a broken entry is unpacked again\n"
        "from its cached wheel, or removed and installed again for the projects that use it.\n\n"
        "Examples:\n"
        "  monotrail store verify\n"
        "  monotrail store verify --repair"
    )
    options = [option("repair", None, "Reinstall broken entries.")]

    def handle(self) -> int:
        from monotrail.store import verify

        count, broken = verify.find_problems()
        for item in broken:
            self.line(f"<error>broken</error>: {item.entry}: {item.problem}")
        if not broken:
            self.line(f"checked {count} entries: all sound")
        else:
            self.line(f"checked {count} entries: {len(broken)} broken")
        if not self.option("repair"):
            return 1 if broken else 0
        leftovers = verify.remove_leftovers()
        if leftovers:
            self.line(f"removed {leftovers} leftover temporary bytecode files")
        for message in verify.run_repairs(broken):
            self.line(message)
        _, still = verify.find_problems()
        for item in still:
            self.line(f"<error>still broken</error>: {item.entry}: {item.problem}")
        return 1 if still else 0


class StoreGcCommand(MonotrailCommand):
    name = "store gc"
    description = "Remove dead environments, then entries, artifacts and interpreters none uses."
    help = (
        "An environment is dead when its project folder is gone or its lock changed; one that a\n"
        "running program uses is kept. Waits for running installs to finish.\n\n"
        "Examples:\n"
        "  monotrail store gc --dry-run     # what would go\n"
        "  monotrail store gc"
    )
    options = [option("dry-run", None, "Only say what would be removed.")]

    def handle(self) -> int:
        from monotrail.store import gc, inventory

        dry_run = bool(self.option("dry-run"))
        report = gc.collect(
            dry_run, on_wait=lambda: self.line_error("waiting for running installs to finish...")
        )
        verb = "would remove" if dry_run else "removed"
        for removal in report.removed:
            line = f"{verb} {removal.kind} {removal.what}"
            if removal.kind == "other":
                self.line(line, verbosity=Verbosity.VERBOSE)
            else:
                self.line(line)
        for what in report.in_use:
            self.line(f"kept {what}")
        counts = ", ".join(
            f"{report.count(kind)} {label}"
            for kind, label in (
                ("environment", "environments"),
                ("entry", "entries"),
                ("artifact", "artifacts"),
                ("interpreter", "interpreters"),
            )
        )
        freed = inventory.human_size(report.freed)
        self.line(
            f"{verb} {counts}; {'would free' if dry_run else 'freed'} {freed} "
            f"({report.live_envs} environments kept)"
        )
        return 0


COMMANDS = (StoreListCommand, StoreSizeCommand, StoreVerifyCommand, StoreGcCommand)
