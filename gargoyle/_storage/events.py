"""What the bulk ``QuerySet`` writes report, for the write pipeline to announce.

``save()`` and ``delete()`` report through Django's model signals; ``QuerySet.update()`` and
``bulk_create()`` send none, so they send these. Both are sent inside the writing
transaction, after the write, with the rows as they were before it.
"""

from __future__ import annotations

from django.dispatch import Signal

#: ``QuerySet.update()`` (and so ``bulk_update()``) changed rows. Arguments: ``before``
#: (the rows it touched, as they were), ``update`` (the new field values), ``using``.
rows_updated = Signal()

#: ``bulk_create()`` wrote rows. Arguments: ``before`` (the rows with those keys that
#: existed already, as they were), ``keys`` (every key it wrote), ``using``.
rows_written = Signal()
