"""Who a check judges: the instances given to ``is_active``, each request's user, and ``None``.

``None`` stands for "no subject", for the condition sets that judge the moment (a date,
the host). A request's lazy user is loaded once per check, off the event loop in async
code, so condition sets read the real object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from gargoyle._runtime.threads import in_event_loop, run_outside_event_loop


class Subjects(list[Any]):
    """Instances already expanded with their requests' users, plus ``None`` at the end."""


def subjects_of(instances: Iterable[Any]) -> list[Any]:
    """The instances, each request's user after them, and ``None`` for subject-free sets."""
    if type(instances) is Subjects:
        return instances
    subjects = [*instances]
    for instance in instances:
        if isinstance(instance, HttpRequest):
            user = getattr(instance, "user", None)
            if user is not None:
                subjects.append(_loaded(user))
    subjects.append(None)
    return subjects


def _loaded(user: Any) -> Any:
    """The user behind a lazy ``request.user``, loaded outside the event loop from async code.

    Condition sets then read the real object, not attribute by attribute through the proxy.
    """
    if not isinstance(user, LazyObject):
        return user
    wrapped = object.__getattribute__(user, "_wrapped")  # past the proxy's own lookups
    if wrapped is empty:
        if in_event_loop():
            run_outside_event_loop(user._setup)
        else:
            user._setup()
        wrapped = object.__getattribute__(user, "_wrapped")
    return wrapped


async def async_subjects_of(instances: tuple[Any, ...]) -> Subjects:
    """``subjects_of`` for async code: each request's user is loaded without blocking the loop."""
    subjects = Subjects(instances)
    for instance in instances:
        if not isinstance(instance, HttpRequest):
            continue
        if hasattr(instance, "auser"):
            user = await instance.auser()
        else:
            user = await sync_to_async(_resolved_user)(instance)
        if user is not None:
            subjects.append(user)
    subjects.append(None)
    return subjects


def _resolved_user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is not None:
        getattr(user, "pk", None)  # evaluate the lazy object here, in a thread
    return user
