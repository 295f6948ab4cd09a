"""Package discovery for setuptools: every folder with an ``__init__.py`` is installed.

The design card fixes the top-level folders (``model/``, ``solvers/``, ...); they are installed
under the one ``specialeplan`` namespace so that no generic names such as ``model`` land in
site-packages. Sub-packages are found, not listed, so a new one cannot be left out of a wheel
(``tests/test_packaging.py`` checks the built wheel). Everything else is in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

#: installed package -> folder of the repository
ROOTS = {
    "specialeplan": "specialeplan",
    "specialeplan.model": "model",
    "specialeplan.solvers": "solvers",
    "specialeplan.scenarios": "scenarios",
    "specialeplan.data": "data",
}


def packages() -> list[str]:
    """Each root and every package below it, under its installed name."""
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return sorted(set(found))


setup(packages=packages(), package_dir=ROOTS)
