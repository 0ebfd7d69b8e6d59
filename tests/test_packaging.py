"""The wheel holds exactly the `junction` namespace, with every package listed.

An unlisted folder imports fine in an editable install and is missing from the wheel;
these tests catch that before a user does.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
MAPPED = SETUPTOOLS["package-dir"]


def _package_of(folder: Path) -> str:
    for package, mapped in MAPPED.items():
        base = ROOT / mapped
        if folder == base or base in folder.parents:
            parts = folder.relative_to(base).parts
            return ".".join([package, *parts])
    raise AssertionError(f"{folder} is not under a mapped folder")


def test_every_folder_with_python_files_is_a_listed_package() -> None:
    folders = {
        path.parent
        for mapped in MAPPED.values()
        for path in (ROOT / mapped).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    expected = sorted(_package_of(folder) for folder in folders)
    assert sorted(SETUPTOOLS["packages"]) == expected


def test_every_listed_package_has_an_init() -> None:
    reverse = {package: ROOT / folder for package, folder in MAPPED.items()}
    for package in SETUPTOOLS["packages"]:
        top = next(p for p in reverse if package == p or package.startswith(p + "."))
        folder = reverse[top].joinpath(
            *package.removeprefix(top).strip(".").split(".") if package != top else []
        )
        assert (folder / "__init__.py").exists(), package


def test_top_level_folders_are_the_designed_ones() -> None:
    assert MAPPED == {
        "junction.core": "core",
        "junction.plugins": "plugins",
        "junction.sources": "sources",
        "junction.destinations": "destinations",
        "junction.admin": "admin",
        "junction.migrations": "migrations",
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("junction-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_installs_only_the_junction_namespace(wheel: zipfile.ZipFile) -> None:
    top_level = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"junction"}
    assert not any(name.startswith("junction/__init__") for name in wheel.namelist())


def test_wheel_carries_migrations_and_type_markers(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "junction/migrations/env.py" in names
    assert "junction/migrations/script.py.mako" in names
    assert any(n.startswith("junction/migrations/versions/0001_") for n in names)
    assert {"junction/core/py.typed", "junction/plugins/py.typed"} <= names
    assert not any(n.startswith("junction/tests") or "/tests/" in n for n in names)
