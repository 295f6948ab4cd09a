"""specialeplan: placement of specialfunktioner for the Danish national specialeplan.

The top-level folders of the repository are installed as sub-packages:
``specialeplan.data`` (bundled Denmark data and loaders), ``specialeplan.model``
(instance object and the MIP formulation), ``specialeplan.solvers`` (thin solver layer)
and ``specialeplan.scenarios`` (scenario schema and YAML files).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("specialeplan")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
