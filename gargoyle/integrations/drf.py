"""Django REST framework: ``SwitchIsActive("key")``, a permission that serves an API view only
while its switch is on for the request (``pip install "django-gargoyle[drf]"``)::

    from rest_framework.permissions import IsAuthenticated
    from gargoyle.integrations.drf import SwitchIsActive

    class Orders(APIView):
        permission_classes = [SwitchIsActive("new_api") & IsAuthenticated]

The switch judges the framework's ``Request`` as the Django request it wraps, with the user
the framework authenticated (a token's user, say): the same answer ``is_active`` gives
anywhere else. Off, the view answers 404, like ``@switch_is_active``, or 403 if asked.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from gargoyle.manager import SwitchManager, gargoyle

__all__ = ["FORBIDDEN", "NOT_FOUND", "SwitchIsActive", "SwitchPermission"]

#: ``when_off``: the view does not exist while the switch is off (the default).
NOT_FOUND = 404
#: ``when_off``: the view refuses, as any denying permission does.
FORBIDDEN = 403


class SwitchPermission(BasePermission):  # type: ignore[misc]  # rest_framework ships no types
    """The permission behind :func:`SwitchIsActive`; subclass it to name the switch once::

        class NewApi(SwitchPermission):
            key = "new_api"
            when_off = FORBIDDEN

    It composes with ``&``, ``|`` and ``~`` like any permission of the framework; see
    :func:`SwitchIsActive` for what each ``when_off`` does there.
    """

    #: The switch's key (required).
    key: str | None = None
    #: What an off switch answers: :data:`NOT_FOUND` (404) or :data:`FORBIDDEN` (403).
    when_off: int = NOT_FOUND
    #: The manager to ask (default: the process-wide one).
    #:
    #: :meta hide-value:
    manager: SwitchManager = gargoyle
    #: The 403 answer's ``detail``; it names no switch, as clients see it.
    message = _("This feature is not available.")
    #: The 403 answer's ``detail`` code.
    code = "switch_off"

    def has_permission(self, request: Any, view: Any) -> bool:
        """Whether the switch is on for ``request`` (the framework's ``Request``); off, with
        ``when_off`` :data:`NOT_FOUND`, it raises the framework's ``NotFound`` instead.

        :raises TypeError: if the class sets no ``key``.
        """
        if not self.key:
            raise TypeError(f"{type(self).__name__} needs a key.")
        if self.manager.is_active(self.key, request):
            return True
        if self.when_off == NOT_FOUND:
            raise exceptions.NotFound()
        return False

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        """The same answer as :meth:`has_permission`: the switch is judged for the request,
        not the object. Not ``True`` regardless, so that ``~`` and ``|`` stay right for
        objects too."""
        return self.has_permission(request, view)


def SwitchIsActive(  # CamelCase: it reads as the permission class it returns
    key: str, *, when_off: int = NOT_FOUND, manager: SwitchManager = gargoyle
) -> type[SwitchPermission]:
    """A permission class that grants while switch ``key`` is on for the request.

    ::

        permission_classes = [SwitchIsActive("new_api")]
        permission_classes = [SwitchIsActive("new_api", when_off=FORBIDDEN) | IsAdminUser]

    The framework instantiates the classes of ``permission_classes``, so this returns a
    class (a :class:`SwitchPermission`), which composes with ``&``, ``|`` and ``~``.

    :param key: the switch's key.
    :param when_off: :data:`NOT_FOUND` (default) raises the framework's ``NotFound``: a 404
        whatever the other permissions say, as ``@switch_is_active`` answers; in ``a | b``
        or ``~a`` the 404 comes before the other operand is asked. :data:`FORBIDDEN`
        denies like any permission: the framework answers 403 with :attr:`~SwitchPermission.message`
        (or 401/403 "not authenticated" for a request without credentials), and ``|``
        and ``~`` combine it as usual.
    :param manager: the manager to ask (default: the process-wide one).
    :returns: the permission class.
    :raises TypeError: if ``key`` is not a non-empty string.
    :raises ValueError: if ``when_off`` is neither 404 nor 403.
    """
    if not isinstance(key, str) or not key:
        raise TypeError(f"SwitchIsActive() needs a switch key (a non-empty string), not {key!r}.")
    if when_off not in (NOT_FOUND, FORBIDDEN):
        raise ValueError(f"SwitchIsActive(when_off=...) is 404 (NOT_FOUND) or 403 (FORBIDDEN), not {when_off!r}.")
    switch_key, answer_when_off, asked = key, when_off, manager

    class Permission(SwitchPermission):
        key = switch_key
        when_off = answer_when_off
        manager = asked

    Permission.__name__ = Permission.__qualname__ = f"SwitchIsActive({key!r})"
    return Permission
