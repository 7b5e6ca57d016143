"""Internal: condition authoring, the layer that knows what a condition is.

Field types (``fields.py``, ``ranges.py``, ``dates.py``, ``membership.py``), condition sets
(``condition_sets.py``) and the registry of condition sets (``registry.py``). It imports only
leaves (``gargoyle.constants``, ``gargoyle.cohorts``, ``gargoyle._conf``); every layer above may
use it. The public names are re-exported by :mod:`gargoyle.conditions`. See
docs/architecture.rst.
"""
