"""The wheel installs every sub-package and the data the commands read.

Builds the wheel from this checkout (no network: ``--no-isolation`` uses the installed
setuptools) and compares it with the source tree: every folder that holds an ``__init__.py``
under one of the roots of ``setup.py`` is a package in the wheel, and every data file the
package reads at run time (bundled dataset, scenarios, sweeps, OR-Library instances) is in it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def roots() -> dict[str, str]:
    """``setup.py``'s ROOTS (installed package -> folder), read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if getattr(target, "id", "") == "ROOTS":
                return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no ROOTS")


def source_packages() -> set[str]:
    """Installed names of every folder with an ``__init__.py`` below a root."""
    found = set()
    for name, folder in roots().items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]))
    return found


def data_files() -> set[str]:
    """Paths inside the wheel of the files the commands read at run time."""
    wanted = {"data": ["denmark/*", "orlib_instances/*", "register_mapping/*", "README.md"],
              "scenarios": ["*.yaml", "sweeps/*.yaml"]}
    out = set()
    for folder, patterns in wanted.items():
        for pattern in patterns:
            for path in (ROOT / folder).glob(pattern):
                if path.is_file():
                    out.add(f"specialeplan/{folder}/{path.relative_to(ROOT / folder).as_posix()}")
    return out


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    # a copy of the tree keeps build/ and *.egg-info out of the checkout (and away from a
    # concurrent build there)
    src = out / "src"
    top = {".git", ".venv", ".ci-venv", ".ci-results", "build", "results", "notebooks",
           "benchmarks", "tests"}

    def skip(folder: str, names: list[str]) -> set[str]:
        here = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
        return here | (top & set(names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, src, ignore=skip)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(out), str(src)], check=True, capture_output=True, text=True, cwd=out)
    (wheel,) = out.glob("specialeplan-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_every_package_folder_is_in_the_wheel(wheel_names: set[str]) -> None:
    packages = source_packages()
    assert {"specialeplan.checker", "specialeplan.model.families", "specialeplan.cli",
            "specialeplan.results"} <= packages  # the tree was really read
    in_wheel = {n[: -len("/__init__.py")].replace("/", ".") for n in wheel_names
                if n.endswith("/__init__.py")}
    assert packages == in_wheel


def test_every_module_is_in_the_wheel(wheel_names: set[str]) -> None:
    modules = set()
    for name, folder in roots().items():
        for path in (ROOT / folder).rglob("*.py"):
            if (path.parent / "__init__.py").is_file():
                rel = path.relative_to(ROOT / folder).as_posix()
                modules.add(f"{name.replace('.', '/')}/{rel}")
    assert modules - wheel_names == set()


def test_bundled_data_is_in_the_wheel(wheel_names: set[str]) -> None:
    files = data_files()
    assert "specialeplan/data/denmark/demand.csv" in files
    assert {"specialeplan/data/denmark/costs.csv",
            "specialeplan/data/denmark/refusion_tiers.csv"} <= files  # docs/costs.md
    assert "specialeplan/data/denmark/delivery_need.csv" in files
    assert "specialeplan/data/orlib_instances/pmed1.txt" in files
    assert "specialeplan/data/register_mapping/maalgrupper.csv" in files  # import-register
    assert "specialeplan/scenarios/small.yaml" in files
    assert files - wheel_names == set()
