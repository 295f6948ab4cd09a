"""specialeplan: placement of specialfunktioner for the Danish national specialeplan.

The top-level folders of the repository are installed as sub-packages:
``specialeplan.data`` (bundled Denmark data and loaders), ``specialeplan.model``
(instance object and the MIP formulation), ``specialeplan.solvers`` (thin solver layer)
and ``specialeplan.scenarios`` (scenario schema and YAML files).
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``specialeplan.__version__``, looked up on first use: reading the installed metadata
    takes a moment, and the ``specialeplan`` command must reach its Ctrl-C handler first."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("specialeplan")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
