"""A lock of many small packages: real wheels for a local index and a PEP 751 lock of them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from support.wheels import build_wheel

#: How many packages the load and fault tests install.
COUNT = 30
NAMES = [f"pkg{i:02d}" for i in range(COUNT)]


def build_many_wheels(root: Path) -> None:
    """``pkg00`` .. ``pkg29``: packages with modules, data, a console script; some depend on the
    next one, so the lock has a dependency graph, not a flat list."""
    for number, name in enumerate(NAMES):
        requires = [NAMES[number + 1]] if number % 3 == 0 and number + 1 < COUNT else []
        files = {
            f"{name}/__init__.py": f"X = {number}\nfrom {name}.util import double\n",
            f"{name}/util.py": "def double(x):\n    return 2 * x\n" + "# padding\n" * 200,
            f"{name}/sub/__init__.py": "",
            f"{name}/sub/deep.py": f"NAME = {name!r}\n",
            f"{name}/data.txt": f"data of {name}\n" * 50,
        }
        entry_points = {"console_scripts": {f"{name}-cli": f"{name}:double"}}
        build_wheel(root, name, "1.0", files, requires=requires, entry_points=entry_points)


def write_pylock_project(root: Path, index_root: Path, files_url: str, wheels: list[str]) -> Path:
    """A project whose dependencies are a PEP 751 ``pylock.toml`` of the named wheel files (served
    by the index at ``files_url``): a lock, so installing it resolves nothing."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ['lock-version = "1.0"', 'created-by = "monotrail-tests"', ""]
    for filename in wheels:
        name, version = filename.split("-")[:2]
        digest = hashlib.sha256((index_root / filename).read_bytes()).hexdigest()
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ name = "{filename}", url = "{files_url}{filename}", '
            f'hashes = {{ sha256 = "{digest}" }} }}]',
            "",
        ]
    (root / "pylock.toml").write_text("\n".join(lines))
    return root


def many_wheel_files() -> list[str]:
    return [f"{name}-1.0-py3-none-any.whl" for name in NAMES]
