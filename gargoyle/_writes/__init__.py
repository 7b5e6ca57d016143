"""Internal: the write pipeline, what a write to switches means beyond its rows.

``pipeline.py`` hears every write the storage layer reports (model signals, the bulk
``QuerySet`` events), sends the public signals of :mod:`gargoyle.signals`, moves the
snapshot version and tells this process's runtimes; ``history.py`` records each change,
``describe.py`` says what it did for people, and ``undo.py`` restores recorded states and
undoes one change alone; ``attribution.py`` says which request made the changes (and which
change they restore). It imports storage, the runtime's notification hooks and the leaves.
See docs/architecture.rst.
"""
