"""JSON helpers kept from gargoyle-yplan: ``dumps`` understands dates, UUIDs and sets."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


class BetterJSONEncoder(DjangoJSONEncoder):
    """``DjangoJSONEncoder`` plus UUIDs as hex, datetimes with microseconds, and sets.

    Datetimes are written as ``2024-05-01T12:00:00.000000Z`` whatever their time zone
    (gargoyle-yplan's format); sets as sorted lists.
    """

    def default(self, o: Any) -> Any:
        """Encode one value plain JSON cannot hold; ``TypeError`` for anything else."""
        if isinstance(o, uuid.UUID):
            return o.hex
        if isinstance(o, datetime.datetime):
            return o.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if isinstance(o, (set, frozenset)):
            return sorted(o, key=str)
        return super().default(o)


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps(value, **kwargs)`` with :class:`BetterJSONEncoder`.

    :returns: the JSON text.
    """
    return json.dumps(value, cls=BetterJSONEncoder, **kwargs)
