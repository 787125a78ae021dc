"""``monotrail store list|size|verify|gc``: what the store holds, its soundness, its collection."""

from __future__ import annotations

from cleo.helpers import argument, option
from cleo.io.outputs.output import Verbosity

from monotrail.cli.base import GROUP_OPTIONS, MonotrailCommand, extras_and_groups


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
        for what in report.denied:
            self.line_error(
                f"kept {what}: permission denied (a store shared by several accounts needs "
                "group-writable folders: see 'Shared stores' in the README)"
            )
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


class StoreExportCommand(MonotrailCommand):
    name = "store export"
    description = "Write a store layer with what projects need, for MONOTRAIL_STORES elsewhere."
    arguments = [argument("dest", "The layer: a folder, or a tar archive when it ends in .tar.")]
    options = [
        option(
            "project",
            None,
            "A project directory (repeatable; default: here).",
            flag=False,
            multiple=True,
        ),
        option(
            "python", "p", "An interpreter to export for (repeatable).", flag=False, multiple=True
        ),
        option("extras", "E", "Also this extra (repeatable).", flag=False, multiple=True),
        *GROUP_OPTIONS,
    ]
    help = (
        "Installs each project's environment first when needed, then copies the store entries\n"
        "it uses, and the interpreter when monotrail provisioned it, into DEST. Name the layer in\n"
        "MONOTRAIL_STORES on another machine: `monotrail run` starts there from the layer, with\n"
        "no download, no unpack and no write to it, wherever the checkout lies.\n"
        "\n"
        "Examples:\n"
        "  monotrail store export /srv/layers/app\n"
        "  monotrail store export layer.tar --project services/api --project services/worker\n"
        "  monotrail store export /opt/layer -p 3.12 -p 3.13\n"
        "  MONOTRAIL_STORES=/opt/layer monotrail run command pytest"
    )

    def handle(self) -> int:
        from pathlib import Path

        from monotrail import api
        from monotrail.store import export

        extras, groups = extras_and_groups(self)
        records = []
        for folder in self.option("project") or [None]:
            project = api.find_project(folder)
            for request in self.option("python") or [None]:
                python = api.choose_python(request, project.root_dir)
                records.append(api.env_record(project, python, extras, groups))
        parts = export.parts_of(
            [entry for record in records for entry in record["entries"]],
            [record["base_interpreter"] for record in records],
            [key for record in records for key in record.get("resolutions", ())],
        )
        dest = Path(self.argument("dest")).absolute()
        report = export.export(parts, dest)
        self.line(
            f"exported {len(records)} environments to {dest}: {len(report.added)} entries "
            f"added, {len(report.kept)} already there"
        )
        self.line(f"use it with: MONOTRAIL_STORES={dest} monotrail run ...")
        return 0


COMMANDS = (
    StoreListCommand,
    StoreSizeCommand,
    StoreVerifyCommand,
    StoreGcCommand,
    StoreExportCommand,
)
