"""Internal: the runtime, what answers ``is_active`` in a process.

``snapshot.py`` compiles stored rows into an immutable picture of every switch;
``engine.py`` evaluates a compiled switch for some subjects (the hot path), and
``subjects.py`` says who a check judges; ``loader.py`` keeps one manager's snapshot fresh,
with ``pending.py`` (a thread's uncommitted writes), ``versions.py`` (the shared cache's
token) and ``token_cache.py`` (a cache client that cannot hang); ``threads.py`` keeps
blocking work off an event loop. It imports condition authoring, storage's value format
(``gargoyle._storage.values``) and the leaves, never a model: the manager that holds a
runtime tells it how to read rows. See docs/architecture.rst.
"""
