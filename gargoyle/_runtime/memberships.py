"""A user's group names and permissions, as the group and permission conditions read them.

Each is read at most once per user object and kept on it, as Django's ``ModelBackend``
keeps permissions (``_perm_cache``): a request's user costs one query for its groups and
what ``get_all_permissions()`` costs once (two queries with ``ModelBackend``, whose cache
``has_perm`` then shares), however many switches are checked. A user built in memory (an
evaluation context's) is given them with :func:`set_memberships`, and reads no database.

The rules, checked on every read (attributes, not queries): an inactive user (the
anonymous user among them) is in no group and has no permission; an active superuser has
every permission, as ``has_perm`` says; a user model without groups or
``get_all_permissions`` (no ``PermissionsMixin``) has neither.
"""

from __future__ import annotations

import contextlib
from collections.abc import Container, Iterable
from typing import Any

from gargoyle._authoring.membership import EVERYTHING
from gargoyle._runtime.threads import run_outside_event_loop

__all__ = ["group_names", "permission_names", "set_memberships"]

# Private attributes of the user object, beside Django's own _perm_cache.
_GROUPS = "_gargoyle_group_names"
_PERMISSIONS = "_gargoyle_permissions"
_NONE: frozenset[str] = frozenset()


def group_names(user: Any) -> Container[str]:
    """The names of ``user``'s groups (read once per user object)."""
    if not _active(user):
        return _NONE
    names: Container[str] | None = getattr(user, _GROUPS, None)
    if names is None:
        names = _remember(user, _GROUPS, _load_groups(user))
    return names


def permission_names(user: Any) -> Container[str]:
    """``user``'s permissions, ``"app_label.codename"`` (read once per user object)."""
    if not _active(user) or not callable(getattr(user, "get_all_permissions", None)):
        return _NONE
    if getattr(user, "is_superuser", False) is True:
        return EVERYTHING  # has_perm() says yes to anything, without a query
    names: Container[str] | None = getattr(user, _PERMISSIONS, None)
    if names is None:
        names = _remember(user, _PERMISSIONS, run_outside_event_loop(lambda: frozenset(user.get_all_permissions())))
    return names


def set_memberships(user: Any, *, groups: Iterable[str] = (), permissions: Iterable[str] = ()) -> None:
    """Say which groups ``user`` is in and which permissions it has, so that the group and
    permission conditions read these instead of the database.

    For a user built in memory, not loaded (an evaluation context's, a test's): without
    this, judging it would query the database for a user that may not be there. The rules
    of the module still apply: inactive, no membership; active superuser, every permission.
    """
    _remember(user, _GROUPS, frozenset(groups))
    _remember(user, _PERMISSIONS, frozenset(permissions))


def _active(user: Any) -> bool:
    return getattr(user, "is_active", False) is True and not getattr(user, "is_anonymous", True)


def _load_groups(user: Any) -> frozenset[str]:
    if getattr(user, "pk", None) is None or getattr(type(user), "groups", None) is None:
        return _NONE  # unsaved, or a user model without groups: nothing to ask for
    # .all(), not values_list(): a prefetch_related("groups") is used.
    return run_outside_event_loop(lambda: frozenset(group.name for group in user.groups.all()))


def _remember(user: Any, attribute: str, names: Container[str]) -> Container[str]:
    with contextlib.suppress(AttributeError):  # an object with __slots__: read again next time
        setattr(user, attribute, names)
    return names
