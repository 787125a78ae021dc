"""The small packages the offline end-to-end tests install, built as real wheels."""

from __future__ import annotations

from pathlib import Path

from support.wheels import build_wheel


def build_fixture_packages(root: Path) -> None:
    build_wheel(
        root,
        "alpha",
        "1.0",
        {
            "alpha/__init__.py": (
                "__version__ = '1.0'\n"
                "import beta\n"
                "def main():\n"
                "    import sys\n"
                "    print('alpha-cli', beta.VALUE, *sys.argv[1:])\n"
                "    return 0\n"
            ),
            "alpha/__main__.py": "print('alpha as a module')\n",
        },
        requires=["beta>=2"],
        entry_points={"console_scripts": {"alpha-cli": "alpha:main"}},
    )
    build_wheel(root, "beta", "1.0", {"beta.py": "VALUE = 'old-beta'\n"})
    build_wheel(root, "beta", "2.0", {"beta.py": "VALUE = 'beta-2'\n"})
    # A namespace package (PEP 420) spread over two distributions.
    build_wheel(root, "nsa-one", "1.0", {"nsa/one/__init__.py": "NAME = 'one'\n"})
    build_wheel(root, "nsa-two", "1.0", {"nsa/two/__init__.py": "NAME = 'two'\n"})
    # A .pth file that runs an import line and adds a folder of its own.
    build_wheel(
        root,
        "withpth",
        "1.0",
        {
            "withpth.pth": "import withpth_hook\nwithpth_extra\n",
            "withpth_hook.py": "import os\nos.environ['WITHPTH_RAN'] = '1'\n",
            "withpth_extra/extra_mod.py": "WHERE = 'extra'\n",
        },
    )
    # Package data read through importlib.resources and through __file__.
    build_wheel(
        root,
        "dataful",
        "1.0",
        {
            "dataful/__init__.py": (
                "import os\n"
                "def by_file():\n"
                "    with open(os.path.join(os.path.dirname(__file__), 'data.txt')) as f:\n"
                "        return f.read().strip()\n"
            ),
            "dataful/data.txt": "payload\n",
        },
        entry_points={"monotrail_test.plugins": {"dataful": "dataful:by_file"}},
        data_files={"scripts/dataful-tool": "#!python\nimport dataful\nprint(dataful.by_file())\n"},
    )
