"""Bundled Denmark dataset and loaders.

``load_denmark()`` returns the validated :class:`~specialeplan.model.instance.Instance` of the
bundled data (real municipalities and travel network; SYNTHETIC providers, competence, demand
and specialer — see ``data/README.md``). ``load_instance_dir(folder)`` reads the same CSV
schema from any folder, so a planner can replace the files one by one.
"""

from specialeplan.data.loader import (
    bundled_dir,
    load_dataset,
    load_denmark,
    load_instance_dir,
    load_travel_graph,
)

__all__ = ["bundled_dir", "load_dataset", "load_denmark", "load_instance_dir",
           "load_travel_graph"]
