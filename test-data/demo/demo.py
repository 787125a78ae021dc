"""monotrail's demo: a script whose dependencies come from the store, not from a venv."""

import sys
from importlib.metadata import version

import humanize
from tabulate import tabulate

rows = [
    (name, version(name), module.__file__.split("/store/")[-1].split("/")[0])
    for name, module in (("tabulate", sys.modules["tabulate"]), ("humanize", humanize))
]
print(tabulate(rows, headers=["package", "version", "store entry of"]))
print(f"Python {sys.version.split()[0]}; {humanize.naturalsize(123456789)} is easy to read.")
