"""The Poetry application plugin: adds ``poetry monotrail run`` and ``poetry monotrail install``.

Registered under the ``poetry.application.plugin`` entry point group, so ``poetry self add
monotrail`` (or ``[tool.poetry.requires-plugins]``) makes Poetry load it.
"""

from __future__ import annotations

from typing import Any

from poetry.plugins.application_plugin import ApplicationPlugin


class MonotrailApplicationPlugin(ApplicationPlugin):  # type: ignore[misc]
    @property
    def commands(self) -> list[Any]:
        from poetry_monotrail.commands import InstallCommand, RunCommand

        return [RunCommand, InstallCommand]

    def activate(self, application: Any) -> None:
        from poetry_monotrail import passthrough

        super().activate(application)
        # activate() is the earliest a plugin runs; Poetry has read the whole line by then.
        passthrough.repair(application)
