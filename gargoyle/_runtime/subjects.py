"""Who a check judges: the instances given to ``is_active``, each request's user, and ``None``.

``None`` stands for "no subject", for the condition sets that judge the moment (a date,
the host). A request's lazy user is loaded once per check, off the event loop in async
code, so condition sets read the real object.

A wrapper of a request (Django REST framework's ``Request``: an object whose ``_request``
is an ``HttpRequest``) is judged as the request it wraps, with the wrapper's own user: the
framework authenticates on the wrapper (a token, say), and the wrapped request may still
hold the session's anonymous user until it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from gargoyle._authoring.condition_sets import http_request_of
from gargoyle._runtime.threads import in_event_loop, run_outside_event_loop


class Subjects(list[Any]):
    """Instances already expanded with their requests' users, plus ``None`` at the end."""


def subjects_of(instances: Iterable[Any]) -> list[Any]:
    """The instances (a wrapped request as its request), each request's user after them, and
    ``None`` for subject-free sets."""
    if type(instances) is Subjects:
        return instances
    subjects = [*instances]
    for instance in instances:
        if not isinstance(instance, HttpRequest):
            # http_request_of(), inlined: this runs for each subject of each selective check,
            # and most are no wrapper (``is None`` first: cheaper than isinstance(None, ...)).
            wrapped = getattr(instance, "_request", None)
            if wrapped is None or not isinstance(wrapped, HttpRequest):
                continue
            subjects = _replaced(subjects, instance, wrapped)
        user = getattr(instance, "user", None)  # a wrapper's own: the user it authenticated
        if user is not None:
            subjects.append(_loaded(user))
    subjects.append(None)
    return subjects


def _replaced(subjects: list[Any], wrapper: Any, request: HttpRequest) -> list[Any]:
    """``subjects`` with ``request`` for ``wrapper`` (a function: a comprehension inside the
    loop of ``subjects_of`` would make its loop variable a closure cell, slower every turn)."""
    return [request if subject is wrapper else subject for subject in subjects]


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
    subjects = Subjects()
    users = []
    for instance in instances:
        request = http_request_of(instance)
        subjects.append(instance if request is None else request)
        if request is None:
            continue
        if request is instance and hasattr(instance, "auser"):
            user = await instance.auser()
        else:  # a wrapper may authenticate now (a token lookup): in a thread
            user = await sync_to_async(_resolved_user)(instance)
        if user is not None:
            users.append(user)
    subjects += users
    subjects.append(None)
    return subjects


def _resolved_user(request: Any) -> Any:
    user = getattr(request, "user", None)
    if user is not None:
        getattr(user, "pk", None)  # evaluate the lazy object here, in a thread
    return user
