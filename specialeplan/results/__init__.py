"""Results folders: the file contract, the writer, reading and reloading, run folders.

- :mod:`~specialeplan.results.contract`: which files a results folder holds, their columns
  and the run statuses (the one place the checker and the analyses read them from);
- :mod:`~specialeplan.results.writer`: writes a solved run's tables, workbook and records;
- :mod:`~specialeplan.results.reading`: reads a folder back (tables and ``instance/``);
- :mod:`~specialeplan.results.readable`: names next to ids, values without float noise;
- :mod:`~specialeplan.results.reload`: a written plan back as a solution to re-solve from;
- :mod:`~specialeplan.results.runfolder`: atomic run folders (temporary folder, lock, rename).

Solving a scenario into a checked run folder (writer, maps, checker together) is one layer
up, in :mod:`specialeplan.pipeline`.
"""
