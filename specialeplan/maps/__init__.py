"""Maps of a plan, of two plans' difference, of a vulnerability analysis and of the
necessity of a search for alternatives: static PNG (:mod:`~specialeplan.maps.static`,
matplotlib) and interactive HTML (:mod:`~specialeplan.maps.interactive`, folium)."""
