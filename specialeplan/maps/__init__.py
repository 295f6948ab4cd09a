"""Maps of a plan: static PNG (:mod:`~specialeplan.maps.static`, matplotlib) and
interactive HTML (:mod:`~specialeplan.maps.interactive`, folium)."""
