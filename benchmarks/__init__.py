"""gargoyle's benchmark suite: ``python -m benchmarks`` (or ``tox -e bench``).

It measures gargoyle beside django-waffle and django-flags in one run, on the same
machine, with LocMemCache and with Redis, and prints one table (see ``--help``).

Modules, one job each:

* :mod:`benchmarks.environment` -- Django settings, the temporary database, Redis;
* :mod:`benchmarks.measure` -- time per call, SQL queries and cache operations;
* :mod:`benchmarks.cases` -- the case list, the shared fixtures and the baselines;
* :mod:`benchmarks.gargoyle_cases`, :mod:`benchmarks.waffle_cases`,
  :mod:`benchmarks.flags_cases` -- each library's fixtures and callables;
* :mod:`benchmarks.scaling` and :mod:`benchmarks.propagation` -- gargoyle alone: many
  switches, reloads, memory, and a change seen by another process;
* :mod:`benchmarks.report` -- machine information, the table and the targets.
"""
