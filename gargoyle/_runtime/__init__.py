"""Internal: the runtime, what answers ``is_active`` in a process.

``snapshot.py`` compiles stored rows into an immutable picture of every switch,
``engine.py`` evaluates a compiled switch for some subjects (the hot path), ``loader.py``
keeps one manager's snapshot fresh (``versions.py``: the shared cache's token,
``token_cache.py``: a cache client that cannot hang), ``threads.py`` keeps blocking work off
an event loop. It imports condition authoring and the leaves, never the models: the manager
that holds a runtime tells it how to read rows. See docs/architecture.rst.
"""
