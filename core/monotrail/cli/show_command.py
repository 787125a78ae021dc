"""``monotrail show``: which file decides a project's packages, and what its environment holds."""

from __future__ import annotations

from cleo.helpers import option

from monotrail.cli.base import ProjectCommand


class ShowCommand(ProjectCommand):
    name = "show"
    description = "Say which file decides the project's packages, and list its environment."
    help = (
        "Prints which file decided the packages (uv.lock, poetry.lock, pylock.toml,\n"
        "[tool.poetry], requirements.txt or a PEP 621 pyproject.toml, the first that matches),\n"
        "the interpreter, the env key and the env record's path, then every store entry of the\n"
        "environment: name, version and path. The environment is made first when it does not\n"
        "exist yet (as `install` would). `monotrail run -v` logs the same first lines.\n"
        "\n"
        "Examples:\n"
        "  monotrail show\n"
        "  monotrail show --group test -p 3.12\n"
        "  monotrail show --json | python -m json.tool\n"
        "  monotrail show --project ../other-project --all-groups"
    )
    options = [
        *ProjectCommand.options,
        option("json", None, "Print one JSON object instead of text."),
    ]

    def handle(self) -> int:
        import json

        from cleo.formatters.formatter import Formatter

        from monotrail.env.launch import env_key, load_valid_record
        from monotrail.targets.project import deciding_file, explain

        project, executable, extras, groups = self.selection()
        key = env_key(project, executable, extras, groups)
        record = None if self.option("refresh") else load_valid_record(key)
        if record is None:
            record = self.prepare().record
        entries = [
            {"name": name, "version": version, "path": path}
            for (name, version), path in zip(record["packages"], record["entries"], strict=True)
        ]
        if self.option("json"):
            path, how = deciding_file(project)
            shown = {
                "project": project.root_dir,
                "kind": project.kind,
                "file": path,
                "how": how,
                "interpreter": executable,
                "python_version": record["python_version"],
                "env_key": key,
                "record": record["path"],
                "entries": entries,
            }
            self.line(Formatter.escape(json.dumps(shown, indent=2)))
            return 0
        lines = [f"{label + ':':<13}{value}" for label, value in explain(project, executable, key)]
        lines.append(f"entries:     {len(entries)} for Python {record['python_version']}")
        lines += [f"  {e['name']} {e['version']}  {e['path']}" for e in entries]
        for line in lines:
            self.line(Formatter.escape(line))
        return 0
