"""Analyses beyond one plan, each built on runs of the model.

- :mod:`~specialeplan.analyses.sweep` (with ``sweep_exec``, which runs the runs, and
  ``sweep_report``): many scenarios, summary and stability;
- :mod:`~specialeplan.analyses.compare`: differences between results folders, judged
  against the runs' gaps;
- :mod:`~specialeplan.analyses.frontier`: trade-off fronts by the epsilon-constraint method;
- :mod:`~specialeplan.analyses.rollout`: the phased rollout, year by year;
- :mod:`~specialeplan.analyses.vulnerability`: N-1, what if a specialfunktion closes;
- :mod:`~specialeplan.analyses.units`: the unit of a plan's objective (``kpis.json``).
"""
