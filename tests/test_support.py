"""Prove the test support code (tests/support) with the real tools: pip, installer, build."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import stat
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.index_server import JSON_CONTENT_TYPE, IndexServer, pip_env
from support.wheels import build_sdist, build_wheel, record_hash

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


# -- helpers -----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_get(url: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with _opener.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def run_pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-cache-dir", "--disable-pip-version-check"],
        env=pip_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_record(zf: zipfile.ZipFile, dist_info: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(zf.read(f"{dist_info}/RECORD").decode())))


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    root = tmp_path / "index"
    root.mkdir()
    with IndexServer(root) as server:
        yield server


def demo_wheel(out_dir: Path, **kwargs: object) -> Path:
    return build_wheel(
        out_dir,
        "demo-pkg",
        "1.0",
        {
            "demo_pkg/__init__.py": "VALUE = 42\n",
            "demo_pkg/cli.py": "def main():\n    print('demo says hi')\n",
        },
        entry_points={"console_scripts": {"demo": "demo_pkg.cli:main"}},
        **kwargs,  # type: ignore[arg-type]
    )


# -- wheels ------------------------------------------------------------------------------------


def test_wheel_layout_metadata_and_record(tmp_path: Path) -> None:
    from installer.sources import WheelFile

    whl = demo_wheel(
        tmp_path,
        requires=["requests>=2"],
        extra_metadata=[
            "Requires-Python: >=3.8",
            "Provides-Extra: x",
            'Requires-Dist: tqdm; extra == "x"',
        ],
        data_files={"scripts/hello": "#!python\nprint('hi')\n", "data/share/x.txt": "x\n"},
        top_level=["demo_pkg"],
    )
    assert whl.name == "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl) as zf:
        names = zf.namelist()
        assert "demo_pkg-1.0.data/scripts/hello" in names
        assert "demo_pkg-1.0.data/data/share/x.txt" in names
        assert names[-1] == "demo_pkg-1.0.dist-info/RECORD"
        metadata = zf.read("demo_pkg-1.0.dist-info/METADATA").decode()
        assert metadata.startswith("Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n")
        assert "Requires-Dist: requests>=2\n" in metadata
        assert 'Requires-Dist: tqdm; extra == "x"\n' in metadata
        wheel_txt = zf.read("demo_pkg-1.0.dist-info/WHEEL").decode()
        assert "Wheel-Version: 1.0\n" in wheel_txt
        assert "Root-Is-Purelib: true\n" in wheel_txt
        assert "Tag: py3-none-any\n" in wheel_txt
        assert "[console_scripts]\ndemo = demo_pkg.cli:main" in (
            zf.read("demo_pkg-1.0.dist-info/entry_points.txt").decode()
        )
        assert zf.read("demo_pkg-1.0.dist-info/top_level.txt") == b"demo_pkg\n"
        mode = zf.getinfo("demo_pkg-1.0.data/scripts/hello").external_attr >> 16
        assert stat.S_ISREG(mode) and mode & 0o111

        record = read_record(zf, "demo_pkg-1.0.dist-info")
        assert ["demo_pkg-1.0.dist-info/RECORD", "", ""] in record
        assert sorted(r[0] for r in record) == sorted(names)
        for path, hash_field, size in record:
            if path.endswith("/RECORD"):
                continue
            data = zf.read(path)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert hash_field == "sha256=" + digest.decode()
            assert int(size) == len(data)

    with zipfile.ZipFile(whl) as zf:
        WheelFile(zf).validate_record()  # the real installer agrees


def test_wheel_tags_and_reproducibility(tmp_path: Path) -> None:
    plat = build_wheel(
        tmp_path, "Foo.Bar", "2.0", {"foo/__init__.py": ""}, tag="cp311-cp311-linux_x86_64"
    )
    assert plat.name == "foo_bar-2.0-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(plat) as zf:
        assert "Root-Is-Purelib: false\n" in zf.read("foo_bar-2.0.dist-info/WHEEL").decode()

    multi = build_wheel(tmp_path / "m", "foo", "1", {"foo.py": ""}, tag="py2.py3-none-any")
    with zipfile.ZipFile(multi) as zf:
        wheel_txt = zf.read("foo-1.dist-info/WHEEL").decode()
    assert "Tag: py2-none-any\nTag: py3-none-any\n" in wheel_txt
    assert "Root-Is-Purelib: true" in wheel_txt

    again = build_wheel(tmp_path / "again", "foo", "1", {"foo.py": ""}, tag="py2.py3-none-any")
    assert again.read_bytes() == multi.read_bytes()


def test_hostile_wheels(tmp_path: Path) -> None:
    from installer.sources import WheelFile

    lying = demo_wheel(tmp_path / "lying", record_override={"demo_pkg/__init__.py": "sha256=AAAA"})
    with zipfile.ZipFile(lying) as zf, pytest.raises(ValueError, match="__init__.py"):
        WheelFile(zf).validate_record()

    hostile = build_wheel(
        tmp_path / "hostile",
        "evil",
        "1.0",
        {"evil/__init__.py": ""},
        raw_members=[("../evil.py", b"boom = 1\n"), ("/abs.py", b"x = 1\n")],
        symlinks={"evil/link": "/etc/passwd"},
        record_override={"evil/missing.py": "sha256=AAAA"},
    )
    with zipfile.ZipFile(hostile) as zf:
        names = zf.namelist()
        assert "../evil.py" in names and "/abs.py" in names
        link = zf.getinfo("evil/link")
        assert stat.S_ISLNK(link.external_attr >> 16)
        assert link.external_attr >> 16 & 0o777 == 0o777
        assert zf.read("evil/link") == b"/etc/passwd"
        record = {r[0]: r for r in read_record(zf, "evil-1.0.dist-info")}
    assert record["../evil.py"][1] == record_hash(b"boom = 1\n")
    assert record["evil/link"][1] == record_hash(b"/etc/passwd")
    assert record["evil/missing.py"] == ["evil/missing.py", "sha256=AAAA", ""]


def test_sdist_contents(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    sdist = build_sdist(
        tmp_path,
        "Demo-Sdist",
        "0.3",
        {"demo_sdist/__init__.py": "X = 1\n", "demo_sdist/sub/__init__.py": "", "tool.py": ""},
        requires=["attrs"],
    )
    assert sdist.name == "demo_sdist-0.3.tar.gz"
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
        assert "demo_sdist-0.3/PKG-INFO" in names
        pkg_info = tf.extractfile("demo_sdist-0.3/PKG-INFO").read().decode()  # type: ignore[union-attr]
        pyproject = tomllib.loads(
            tf.extractfile("demo_sdist-0.3/pyproject.toml").read().decode()  # type: ignore[union-attr]
        )
    assert "Name: Demo-Sdist\nVersion: 0.3\nRequires-Dist: attrs\n" in pkg_info
    assert pyproject["build-system"] == {
        "requires": ["setuptools>=61"],
        "build-backend": "setuptools.build_meta",
    }
    assert pyproject["project"] == {
        "name": "Demo-Sdist",
        "version": "0.3",
        "dependencies": ["attrs"],
    }
    assert pyproject["tool"]["setuptools"]["packages"] == ["demo_sdist", "demo_sdist.sub"]
    assert pyproject["tool"]["setuptools"]["py-modules"] == ["tool"]


# -- index server ------------------------------------------------------------------------------


def test_index_html_json_metadata_and_errors(index: IndexServer) -> None:
    whl = build_wheel(
        index.root,
        "Demo_Pkg",
        "1.0",
        {"demo_pkg/__init__.py": ""},
        extra_metadata=["Requires-Python: >=3.8"],
    )
    sdist = build_sdist(index.root, "demo-pkg", "1.0", {"demo_pkg/__init__.py": ""})
    whl_sha = hashlib.sha256(whl.read_bytes()).hexdigest()
    with zipfile.ZipFile(whl) as zf:
        metadata = zf.read("demo_pkg-1.0.dist-info/METADATA")
    meta_sha = hashlib.sha256(metadata).hexdigest()
    assert index.url == f"http://127.0.0.1:{index.port}/simple/"

    status, headers, body = http_get(index.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<a href="demo-pkg/">demo-pkg</a>' in body.decode()

    status, headers, body = http_get(index.url + "demo-pkg/")
    page = body.decode()
    assert status == 200
    assert f'href="../../files/{whl.name}#sha256={whl_sha}"' in page
    assert 'data-requires-python="&gt;=3.8"' in page
    assert f'data-dist-info-metadata="sha256={meta_sha}"' in page
    assert f'data-core-metadata="sha256={meta_sha}"' in page
    assert sdist.name in page

    status, headers, body = http_get(index.url + "demo-pkg/", accept=PIP_ACCEPT)
    assert status == 200 and headers["Content-Type"] == JSON_CONTENT_TYPE
    doc = json.loads(body)
    assert doc["meta"]["api-version"].startswith("1.")
    assert doc["name"] == "demo-pkg" and doc["versions"] == ["1.0"]
    files = {f["filename"]: f for f in doc["files"]}
    assert set(files) == {whl.name, sdist.name}
    wf = files[whl.name]
    assert wf["url"] == index.files_url + whl.name
    assert wf["hashes"] == {"sha256": whl_sha}
    assert wf["requires-python"] == ">=3.8"
    assert wf["core-metadata"] == {"sha256": meta_sha}
    assert wf["yanked"] is False
    assert "core-metadata" not in files[sdist.name]

    status, _, body = http_get(index.url, accept=JSON_CONTENT_TYPE)
    assert json.loads(body)["projects"] == [{"name": "demo-pkg"}]

    # artifacts and PEP 658 metadata
    status, _, body = http_get(index.files_url + whl.name)
    assert status == 200 and body == whl.read_bytes()
    status, _, body = http_get(index.files_url + whl.name + ".metadata")
    assert status == 200 and body == metadata

    # redirects, 404s, injected failures, corruption
    status, headers, _ = http_get(index.url + "Demo_Pkg/")
    assert status == 301 and headers["Location"] == "/simple/demo-pkg/"
    status, headers, _ = http_get(index.url + "demo-pkg")
    assert status == 301 and headers["Location"] == "/simple/demo-pkg/"
    assert http_get(index.url + "nope/")[0] == 404
    assert http_get(index.files_url + "nope-1.0-py3-none-any.whl")[0] == 404
    assert http_get(index.files_url + sdist.name + ".metadata")[0] == 404
    index.fail_paths.add("/simple/demo-pkg/")
    assert http_get(index.url + "demo-pkg/")[0] == 500
    index.corrupt.add(whl.name)
    status, _, body = http_get(index.files_url + whl.name)
    assert status == 200 and len(body) == whl.stat().st_size and body != whl.read_bytes()

    # files added after start() are served
    build_wheel(index.root, "late", "0.1", {"late.py": ""})
    assert http_get(index.url + "late/")[0] == 200

    assert index.requests_log[:3] == ["/simple/", "/simple/demo-pkg/", "/simple/demo-pkg/"]
    assert "/simple/nope/" in index.requests_log


def test_pip_installs_wheel_from_index(index: IndexServer, tmp_path: Path) -> None:
    demo_wheel(index.root)
    target = tmp_path / "target"
    result = run_pip("install", "--target", str(target), "--index-url", index.url, "demo-pkg")
    assert result.returncode == 0, result.stdout + result.stderr

    out = subprocess.run(
        [sys.executable, "-c", "import demo_pkg; print(demo_pkg.VALUE)"],
        env={**pip_env(), "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "42"
    script = target / "bin" / "demo"
    assert script.is_file() and script.stat().st_mode & 0o111
    assert "demo_pkg.cli" in script.read_text()

    # pip wrote a RECORD whose hashes match the installed files
    dist_info = target / "demo_pkg-1.0.dist-info"
    for path, hash_field, _size in csv.reader(io.StringIO((dist_info / "RECORD").read_text())):
        if hash_field and not path.startswith(".."):
            assert record_hash((target / path).read_bytes()) == hash_field, path
    assert "/simple/demo-pkg/" in index.requests_log
    assert "/files/demo_pkg-1.0-py3-none-any.whl" in index.requests_log


def test_pip_resolves_dependency_chain(index: IndexServer, tmp_path: Path) -> None:
    build_wheel(index.root, "a", "1.0", {"a.py": "import b\n"}, requires=["b>=2"])
    build_wheel(index.root, "b", "1.0", {"b.py": "V = 1\n"})
    build_wheel(index.root, "b", "2.0", {"b.py": "V = 2\n"})
    build_wheel(index.root, "b", "3.0", {"b.py": ""}, extra_metadata=["Requires-Python: >=4"])
    build_wheel(index.root, "unrelated", "1.0", {"unrelated.py": ""})
    target = tmp_path / "target"
    result = run_pip("install", "--target", str(target), "--index-url", index.url, "a")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "b.py").read_text() == "V = 2\n"
    assert (target / "b-2.0.dist-info").is_dir()
    assert "/simple/a/" in index.requests_log and "/simple/b/" in index.requests_log
    assert "/simple/unrelated/" not in index.requests_log
    assert "/files/b-1.0-py3-none-any.whl" not in index.requests_log
    assert "/files/b-3.0-py3-none-any.whl.metadata" not in index.requests_log  # requires-python
    assert "/files/a-1.0-py3-none-any.whl.metadata" in index.requests_log  # PEP 658 used


def test_pip_rejects_corrupted_download(index: IndexServer, tmp_path: Path) -> None:
    whl = demo_wheel(index.root)
    index.corrupt.add(whl.name)
    result = run_pip(
        "install", "--target", str(tmp_path / "t"), "--index-url", index.url, "demo-pkg"
    )
    assert result.returncode != 0
    assert "HASHES" in result.stderr.upper()


def test_server_stop_and_restart_free(tmp_path: Path) -> None:
    server = IndexServer(tmp_path)
    server.start()
    url = server.url
    assert http_get(url)[0] == 200
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


# -- online ------------------------------------------------------------------------------------


@pytest.mark.online
def test_sdist_builds_to_wheel(tmp_path: Path) -> None:
    pytest.importorskip("build")
    sdist = build_sdist(
        tmp_path / "dist",
        "demo-sdist",
        "0.3",
        {"demo_sdist/__init__.py": "X = 1\n", "demo_sdist/data.txt": "payload\n"},
        requires=["attrs>=20"],
    )
    src = tmp_path / "src"
    with tarfile.open(sdist) as tf:
        tf.extractall(src, filter="data")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            str(out),
            str(src / "demo_sdist-0.3"),
        ],
        env=pip_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (whl,) = out.glob("*.whl")
    assert whl.name == "demo_sdist-0.3-py3-none-any.whl"
    with zipfile.ZipFile(whl) as zf:
        assert zf.read("demo_sdist/__init__.py") == b"X = 1\n"
        assert zf.read("demo_sdist/data.txt") == b"payload\n"
        metadata = zf.read("demo_sdist-0.3.dist-info/METADATA").decode()
    assert "Requires-Dist: attrs>=20" in metadata
