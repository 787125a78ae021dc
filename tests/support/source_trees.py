"""Source trees of small packages that build offline, and git repositories holding them.

Each tree carries its own PEP 517 backend (``backend-path``, no build requirements): a wheel
of the tree's top-level packages and modules, named and versioned by pyproject.toml. pip, uv,
Poetry and monotrail all build it without an index.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

BACKEND = r"""
import base64, hashlib, os, re, zipfile

def _project():
    with open("pyproject.toml") as handle:
        text = handle.read()
    name = re.search(r'^name = "(.*)"', text, re.M).group(1)
    version = re.search(r'^version = "(.*)"', text, re.M).group(1)
    found = re.search(r"^dependencies = \[(.*)\]", text, re.M)
    requires = re.findall(r'"([^"]*)"', found.group(1)) if found else []
    return name, version, requires

def _metadata():
    name, version, requires = _project()
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version]
    lines += ["Requires-Dist: " + r for r in requires]
    return name.replace("-", "_"), version, "\n".join(lines) + "\n"

def _sources():
    for top in sorted(os.listdir(".")):
        if top.endswith(".py") and top != "tree_backend.py":
            yield top
        elif os.path.isfile(os.path.join(top, "__init__.py")):
            for folder, _, files in sorted(os.walk(top)):
                for name in sorted(files):
                    if name.endswith(".py"):
                        yield os.path.join(folder, name).replace(os.sep, "/")

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist, version, metadata = _metadata()
    info = dist + "-" + version + ".dist-info/"
    files = {path: open(path, "rb").read() for path in _sources()}
    files[info + "METADATA"] = metadata.encode()
    files[info + "WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tree_backend\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    filename = dist + "-" + version + "-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for arcname, data in files.items():
            archive.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append("%s,sha256=%s,%d" % (arcname, digest.decode(), len(data)))
        record.append(info + "RECORD,,")
        archive.writestr(info + "RECORD", "\n".join(record) + "\n")
    return filename
"""


def write_package(
    root: Path, name: str, version: str, value: str, requires: tuple[str, ...] = ()
) -> Path:
    """A tree at ``root``: package ``name`` whose ``VALUE`` is ``value``, built by BACKEND."""
    module = name.replace("-", "_")
    (root / module).mkdir(parents=True, exist_ok=True)
    (root / module / "__init__.py").write_text(f"VALUE = {value!r}\n")
    dependencies = ", ".join(f'"{r}"' for r in requires)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{dependencies}]\n\n"
        '[build-system]\nrequires = []\nbuild-backend = "tree_backend"\nbackend-path = ["."]\n'
    )
    (root / "tree_backend.py").write_text(BACKEND)
    return root


def sdist_of(tree: Path, out_dir: Path, name: str, version: str) -> Path:
    """An sdist (``name-version.tar.gz``) of the tree, as a backend's build_sdist writes one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name.replace('-', '_')}-{version}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file() and ".git" not in path.parts and "__pycache__" not in path.parts:
                archive.add(path, f"{target.name[: -len('.tar.gz')]}/{path.relative_to(tree)}")
    return target


def git(repo: Path, *args: str) -> str:
    """Run the real ``git`` in ``repo``, with an identity and no user configuration."""
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    """Commit everything in ``repo``; its commit id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")
