"""Sentry: the switches of a request on its errors, and switch changes on Sentry's timeline.

With ``GARGOYLE_SENTRY = True`` and sentry-sdk 2.20 or later, each answer recorded by
:class:`~gargoyle.middleware.SwitchExposureMiddleware` is also given to
``sentry_sdk.feature_flags.add_feature_flag(key, answer)``: an error Sentry captures in that
request lists the switches checked before it, and what they answered.

With ``GARGOYLE_SENTRY_WEBHOOK = {"url": ..., "secret": ...}``, every switch change is sent
to Sentry's generic feature-flag change-tracking webhook, after its transaction commits, by
one background thread in batches of up to 100: ``{"data": [{"action", "flag", "created_at", "created_by", "change_id"}],
"meta": {"version": 1}}``, signed in the ``X-Sentry-Signature`` header (HMAC-SHA256 of the
body with the secret, hex). A failed delivery is logged; it never fails the change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
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
    "change_entry",
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


def change_entry(switch_key: str, action: str, when: str, who: str, change_id: int | None) -> dict[str, Any]:
    """One change as the webhook's body lists it (``action``: created, updated or deleted)."""
    return {
        "action": action,
        "flag": switch_key,
        "created_at": when,
        "created_by": {"id": who or "gargoyle", "type": "name"},
        "change_id": change_id,
    }


def change_body(entries: list[dict[str, Any]]) -> bytes:
    """The webhook's JSON body for some changes."""
    return json.dumps({"data": entries, "meta": {"version": 1}}).encode()


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


#: Changes committed and not sent yet, as (webhook, entry); one thread sends them, in batches.
_outbox: queue.SimpleQueue[tuple[tuple[str, str], dict[str, Any]]] = queue.SimpleQueue()
_sender: threading.Thread | None = None
_sender_lock = threading.Lock()
BATCH = 100  # changes per request at most (a bulk change of 900 switches: 9 requests)


def on_change(change: Any, webhook: dict[str, str], using: str = "default") -> None:
    """Send ``change`` (a recorded ``SwitchChange``) once its transaction, on ``using``, commits."""
    action = "created" if change.before is None else "deleted" if change.after is None else "updated"
    entry = change_entry(change.switch_key, action, change.date.isoformat(), change.username, change.pk)
    target = (webhook["url"], webhook["secret"])
    transaction.on_commit(lambda: _post_later(target, entry), using=using)


def _post_later(target: tuple[str, str], entry: dict[str, Any]) -> None:
    global _sender
    _outbox.put((target, entry))
    with _sender_lock:
        if _sender is None or not _sender.is_alive():
            _sender = threading.Thread(target=_send_outbox, name="gargoyle-sentry", daemon=True)
            _sender.start()


def _send_outbox() -> None:
    """Send what is queued, a batch per webhook, until the queue stays empty for a second."""
    while True:
        try:
            batch = [_outbox.get(timeout=1.0)]
        except queue.Empty:
            return
        while len(batch) < BATCH:
            try:
                batch.append(_outbox.get_nowait())
            except queue.Empty:
                break
        by_target: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for target, entry in batch:
            by_target.setdefault(target, []).append(entry)
        for (url, secret), entries in by_target.items():
            send_change(url, secret, change_body(entries))


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
