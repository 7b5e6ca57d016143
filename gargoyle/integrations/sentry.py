"""Sentry: the switches of a request on its errors, and switch changes on Sentry's timeline.

With ``GARGOYLE_SENTRY = True`` and sentry-sdk 2.20 or later, each answer recorded by
:class:`~gargoyle.middleware.SwitchExposureMiddleware` is also given to
``sentry_sdk.feature_flags.add_feature_flag(key, answer)``: an error Sentry captures in that
request lists the switches checked before it, and what they answered.

With ``GARGOYLE_SENTRY_WEBHOOK = {"url": ..., "secret": ...}``, every switch change is sent
to Sentry's generic feature-flag change-tracking webhook, after its transaction commits, from
a background thread: ``{"data": [{"action", "flag", "created_at", "created_by", "change_id"}],
"meta": {"version": 1}}``, signed in the ``X-Sentry-Signature`` header (HMAC-SHA256 of the
body with the secret, hex). A failed delivery is logged; it never fails the change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import urllib.request
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from gargoyle._conf import get_settings
from gargoyle.integrations import AnswerListener

__all__ = [
    "MIN_SDK",
    "answers",
    "change_body",
    "connect",
    "install",
    "on_change",
    "record_flag",
    "sdk_problem",
    "send_change",
    "sign",
    "uninstall",
]

logger = logging.getLogger("gargoyle")

#: The first sentry-sdk release with ``sentry_sdk.feature_flags.add_feature_flag``.
MIN_SDK = (2, 20)


def sdk_problem() -> str | None:
    """Why the answers cannot go to Sentry (sentry-sdk missing or too old), or None."""
    try:
        import sentry_sdk
    except ImportError:
        return "sentry-sdk is not installed (pip install 'gargoyle[sentry]')"
    version = tuple(int(part) for part in sentry_sdk.VERSION.split(".")[:2] if part.isdigit())
    if version < MIN_SDK:
        return f"sentry-sdk {sentry_sdk.VERSION} is too old: 2.20 or later records feature flags"
    return None


def record_flag(key: str, answer: bool) -> None:
    """Give one answer to Sentry's feature-flag buffer of the current scope."""
    from sentry_sdk.feature_flags import add_feature_flag

    add_feature_flag(key, answer)


#: The listener that gives answers to Sentry while ``GARGOYLE_SENTRY`` is on.
answers = AnswerListener("GARGOYLE_SENTRY", record_flag, sdk_problem)


def install() -> bool:
    """Start giving answers to Sentry, if sentry-sdk allows; whether it does."""
    return answers.install()


def uninstall() -> None:
    answers.uninstall()


# -- change tracking -----------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """The ``X-Sentry-Signature`` of ``body``: HMAC-SHA256 with ``secret``, hex."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def change_body(switch_key: str, action: str, when: str, who: str, change_id: int | None) -> bytes:
    """The webhook's JSON body for one change (``action``: created, updated or deleted)."""
    entry = {
        "action": action,
        "flag": switch_key,
        "created_at": when,
        "created_by": {"id": who or "gargoyle", "type": "name"},
        "change_id": change_id,
    }
    return json.dumps({"data": [entry], "meta": {"version": 1}}).encode()


def send_change(url: str, secret: str, body: bytes, timeout: float = 5.0) -> None:
    """POST ``body`` to ``url``, signed; log a failure."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Sentry-Signature": sign(body, secret)},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except Exception as error:  # a network or HTTP error: the change itself stands
        logger.warning("gargoyle: could not send a switch change to Sentry: %s", error)


def on_change(change: Any, webhook: dict[str, str], using: str = "default") -> None:
    """Send ``change`` (a recorded ``SwitchChange``) once its transaction, on ``using``, commits."""
    action = "created" if change.before is None else "deleted" if change.after is None else "updated"
    body = change_body(change.switch_key, action, change.date.isoformat(), change.username, change.pk)

    def deliver() -> None:
        threading.Thread(
            target=send_change, args=(webhook["url"], webhook["secret"], body), name="gargoyle-sentry", daemon=True
        ).start()

    transaction.on_commit(deliver, using=using)


# -- wiring (AppConfig.ready) ------------------------------------------------------------


def connect() -> None:
    """Follow ``GARGOYLE_SENTRY`` now and whenever a test changes it; send changes to the
    webhook of ``GARGOYLE_SENTRY_WEBHOOK`` as they are recorded."""
    from gargoyle._storage.change import SwitchChange

    answers.connect()
    post_save.connect(_on_recorded, sender=SwitchChange, dispatch_uid="gargoyle.integrations.sentry.change")


def _on_recorded(sender: Any, instance: Any, created: bool, using: str = "default", **kwargs: Any) -> None:
    webhook = get_settings().sentry_webhook
    if created and webhook is not None:
        on_change(instance, webhook, using)
