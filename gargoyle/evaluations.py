"""Switches as OFREP evaluation objects: what the OFREP endpoint and the browser receive.

The OFREP endpoint (:mod:`gargoyle.ofrep`) and the ``{% client_switches %}`` template tag
both answer with :func:`bulk_evaluation`, so a page's first paint and a later refresh agree,
and so do their ETags. The shapes are those of the OFREP OpenAPI document (v0.3):

* an answer: ``{"key", "value", "reason", "variant"}``; OFREP's reasons have no
  ``DEFAULT``, so a Selective switch that no condition matched says ``TARGETING_MATCH``
  (its conditions were evaluated) and a code default ``STATIC``, each with
  ``"metadata": {"openfeatureReason": "DEFAULT"}``; when the answer is the caller's own
  default (Inherit without a parent), ``value`` is left out, which OFREP clients read as
  "use your default";
* a switch whose conditions cannot be used: ``{"key", "errorCode": "GENERAL", "errorDetails"}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from gargoyle._conf import get_settings
from gargoyle.constants import SELECTIVE
from gargoyle.manager import SwitchManager
from gargoyle.resolution import DEFAULT, STATIC, TARGETING_MATCH, Resolution, known, resolve

#: OFREP's error code for a switch that cannot be evaluated.
GENERAL = "GENERAL"


def evaluation(resolution: Resolution, *, details: bool = True) -> dict[str, Any]:
    """``resolution`` as an OFREP evaluation object (success or failure).

    :param details: say why a switch cannot be evaluated; browsers are told less.
    """
    if resolution.error_code is not None:
        message = resolution.error_message if details else None
        return {
            "key": resolution.key,
            "errorCode": GENERAL,
            "errorDetails": message or f"Switch {resolution.key!r} cannot be evaluated.",
        }
    payload: dict[str, Any] = {"key": resolution.key, "reason": resolution.reason}
    if resolution.reason == DEFAULT:
        targeted = resolution.status == SELECTIVE and not resolution.code_default
        payload["reason"] = TARGETING_MATCH if targeted else STATIC
        payload["metadata"] = {"openfeatureReason": DEFAULT}
    if resolution.value is None:
        payload["variant"] = "default"
    else:
        payload["value"] = resolution.value
        payload["variant"] = resolution.variant
    return payload


def client_keys(manager: SwitchManager | None = None) -> list[str]:
    """The keys of ``GARGOYLE_CLIENT_SWITCHES`` that name a switch (stored, or a code default), sorted."""
    return sorted(key for key in get_settings().client_switches if known(key, manager))


def bulk_evaluation(
    keys: Iterable[str], *instances: Any, details: bool = True, manager: SwitchManager | None = None
) -> dict[str, Any]:
    """OFREP's bulk answer for ``keys`` and ``instances``: ``{"flags": [...]}``.

    Each switch is checked as ``is_active(key, *instances, default=None)`` would check it
    (counted, and recorded for the exposure middleware).
    """
    flags = [evaluation(resolve(key, *instances, default=None, manager=manager), details=details) for key in keys]
    return {"flags": flags}


def etag_of(payload: Any) -> str:
    """A strong ETag of a JSON payload: the same answers give the same tag, on every process."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'
