"""Internal: storage, the layer that owns the tables and the rules of what they may hold.

The models (``switch.py``, ``change.py``, ``version.py``), ``Switch.objects``
(``querysets.py``), what a stored value looks like (``values.py``) and what a switch accepts
(``validation.py``), and write transactions (``transactions.py``). Every write reports itself
through Django's model signals and the signals of ``events.py``; the write pipeline above
(``gargoyle._writes``) listens. Storage imports only the condition authoring layer and the
leaves. The public path of the models is :mod:`gargoyle.models`. See docs/architecture.rst.
"""
