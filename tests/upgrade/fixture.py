"""Switches as gargoyle-yplan 2.1.1 stored them, and the subjects they are asked about.

Shared by two programs that must not import each other's gargoyle:

* ``yplan_answers.py`` runs gargoyle-yplan 2.1.1 itself (``tox -e yplan``: Django 3.2) and
  writes what it answered for every switch and subject to ``yplan_answers.json``;
* ``tests/test_upgrade_answers.py`` loads the same rows into gargoyle-yplan's table, runs
  this project's migrations and asks this project the same questions: each switch must
  give the same answers, or be reported by the upgrade report.

So this module holds plain data and builders that take the framework's classes as
arguments; it imports neither Django nor gargoyle.
"""

from __future__ import annotations

import datetime
import json

DISABLED, SELECTIVE, GLOBAL, INHERIT = 1, 2, 3, 4
USER = "auth.user"


def conditions(**namespaces):
    """The stored text of a value: ``conditions(**{"auth.user": {...}})``."""
    return json.dumps(namespaces)


def users(*pairs):
    return {USER: dict(pairs)}


# (key, status, the value column's text as django-jsonfield stored it)
SWITCHES = [
    # Statuses, and values without conditions.
    ("global", GLOBAL, "{}"),
    ("disabled", DISABLED, json.dumps(users(("username", [["i", "alice"]])))),
    ("inherit_without_parent", INHERIT, "{}"),
    ("selective_empty", SELECTIVE, "{}"),
    ("selective_empty_text", SELECTIVE, ""),
    ("selective_null_text", SELECTIVE, "null"),
    ("selective_empty_namespace", SELECTIVE, json.dumps({USER: {}})),
    ("selective_empty_field", SELECTIVE, json.dumps(users(("username", [])))),
    # Includes only.
    ("include_alice", SELECTIVE, json.dumps(users(("username", [["i", "alice"]])))),
    ("include_staff", SELECTIVE, json.dumps(users(("is_staff", [["i", "1"]])))),
    ("include_office_ip", SELECTIVE, json.dumps({"ip": {"ip_address": [["i", "10.1.2.3"]]}})),
    ("include_internal_ip", SELECTIVE, json.dumps({"ip": {"internal_ip": [["i", "1"]]}})),
    ("include_joined_2020", SELECTIVE, json.dumps(users(("date_joined", [["i", "2020-01-01"]])))),
    ("include_anonymous", SELECTIVE, json.dumps(users(("is_anonymous", [["i", "1"]])))),
    (
        "include_superuser_or_office",
        SELECTIVE,
        conditions(**{USER: {"is_superuser": [["i", "1"]]}, "ip": {"ip_address": [["i", "10.1.2.3"]]}}),
    ),
    # Excludes only: gargoyle-yplan was off wherever no exclude's set could judge.
    ("exclude_bob", SELECTIVE, json.dumps(users(("username", [["e", "bob"]])))),
    ("exclude_staff", SELECTIVE, json.dumps(users(("is_staff", [["e", "1"]])))),
    ("exclude_office_ip", SELECTIVE, json.dumps({"ip": {"ip_address": [["e", "10.1.2.3"]]}})),
    ("exclude_anonymous", SELECTIVE, json.dumps(users(("is_anonymous", [["e", "1"]])))),
    ("exclude_host", SELECTIVE, json.dumps({"host": {"hostname": [["e", "no-such-host.invalid"]]}})),
    ("exclude_before_2000", SELECTIVE, json.dumps({"now_utc": {"today_is_before": [["e", "2000-01-01"]]}})),
    # Includes and excludes.
    (
        "alice_not_from_office",
        SELECTIVE,
        conditions(**{USER: {"username": [["i", "alice"]]}, "ip": {"ip_address": [["e", "10.1.2.3"]]}}),
    ),
    ("staff_but_not_carol", SELECTIVE, json.dumps(users(("is_staff", [["i", "1"]]), ("username", [["e", "carol"]])))),
    (
        "anonymous_but_not_office",
        SELECTIVE,
        conditions(**{USER: {"is_anonymous": [["i", "1"]]}, "ip": {"ip_address": [["e", "10.1.2.3"]]}}),
    ),
    # Percent rollouts (users by pk % 100, IPv4 addresses by the sum of their octets).
    ("users_0_50", SELECTIVE, json.dumps(users(("percent", [["i", "0-50"]])))),
    ("users_0_0", SELECTIVE, json.dumps(users(("percent", [["i", "0-0"]])))),
    ("users_0_100", SELECTIVE, json.dumps(users(("percent", [["i", "0-100"]])))),
    ("users_50_100_excluded", SELECTIVE, json.dumps(users(("percent", [["e", "50-100"]])))),
    ("ips_0_25", SELECTIVE, json.dumps({"ip": {"percent": [["i", "0-25"]]}})),
    # Values gargoyle-yplan's code and panel could store.
    ("boolean_empty", SELECTIVE, json.dumps({"ip": {"internal_ip": [["i", ""]]}})),
    ("boolean_zero", SELECTIVE, json.dumps(users(("is_staff", [["i", "0"]])))),
    ("boolean_true_word", SELECTIVE, json.dumps(users(("is_superuser", [["i", "True"]])))),
    ("email_empty", SELECTIVE, json.dumps(users(("email", [["i", ""]])))),
    ("username_with_spaces", SELECTIVE, json.dumps(users(("username", [["i", " alice "]])))),
    ("ip_network_text", SELECTIVE, json.dumps({"ip": {"ip_address": [["i", "10.0.0.0/8"]]}})),
    ("ip_with_spaces", SELECTIVE, json.dumps({"ip": {"ip_address": [["i", " 10.1.2.3"]]}})),
    ("plan_gold", SELECTIVE, json.dumps({"plan": {"plan": [["i", "gold"]]}})),
    ("status_zero", 0, json.dumps(users(("username", [["i", "alice"]])))),
    ("status_seven", 7, json.dumps(users(("username", [["i", "alice"]])))),
    ("status_seven_empty", 7, "{}"),
    # Conditions this project cannot use: they answer the caller's default, and are reported.
    ("not_json", SELECTIVE, "{broken"),
    ("unknown_namespace", SELECTIVE, json.dumps({"billing.plan": {"tier": [["i", "gold"]]}})),
    (
        "unknown_namespace_and_alice",
        SELECTIVE,
        conditions(**{USER: {"username": [["i", "alice"]]}, "billing.plan": {"tier": [["i", "gold"]]}}),
    ),
    ("unknown_field", SELECTIVE, json.dumps(users(("nickname", [["i", "al"]])))),
    ("percent_reversed", SELECTIVE, json.dumps(users(("percent", [["i", "50-10"]])))),
    # Parents and children.
    ("parent_global", GLOBAL, "{}"),
    ("parent_global:selective_empty", SELECTIVE, "{}"),
    ("parent_global:inherit", INHERIT, "{}"),
    ("parent_global:alice", SELECTIVE, json.dumps(users(("username", [["i", "alice"]])))),
    ("parent_disabled", DISABLED, "{}"),
    ("parent_disabled:global", GLOBAL, "{}"),
    ("parent_exclude_bob", SELECTIVE, json.dumps(users(("username", [["e", "bob"]])))),
    ("parent_exclude_bob:inherit", INHERIT, "{}"),
    ("parent_exclude_bob:global", GLOBAL, "{}"),
    ("parent_exclude_bob:disabled", DISABLED, "{}"),
    ("parent_alice:child_missing_parent", INHERIT, "{}"),
]

# Users by primary key: gargoyle-yplan's percent bucket is ``pk % 100``.
USERS = [
    {"id": 7, "username": "alice", "email": "alice@example.com", "date_joined": "2019-06-01"},
    {"id": 57, "username": "bob", "email": "bob@example.com", "date_joined": "2021-03-04"},
    {"id": 23, "username": "carol", "email": "carol@example.com", "is_staff": True, "date_joined": "2020-01-01"},
    {"id": 42, "username": "erin", "email": "", "date_joined": "2018-11-30"},
    {"id": 91, "username": "frank", "email": "frank@example.com", "is_superuser": True, "date_joined": "2022-07-08"},
    {"id": 50, "username": "ivan", "email": "ivan@example.com", "is_active": False, "date_joined": "2020-05-05"},
    {"id": 100, "username": "gina", "email": "gina@example.com", "date_joined": "2023-02-03"},
]

OFFICE, HOME, LOCAL, IPV6 = "10.1.2.3", "203.0.113.7", "127.0.0.1", "2001:db8::1"

# name -> (user or "anonymous" or None, how the check is made, REMOTE_ADDR, default)
#   "user": is_active(key, user); "request": is_active(key, request) with request.user;
#   "bare request": a request without a user attribute; "nothing": is_active(key).
SUBJECTS = {
    "nothing": (None, "nothing", None, False),
    "nothing, default=True": (None, "nothing", None, True),
    "alice": ("alice", "user", None, False),
    "alice, default=True": ("alice", "user", None, True),
    "bob": ("bob", "user", None, False),
    "carol (staff)": ("carol", "user", None, False),
    "erin (no email)": ("erin", "user", None, False),
    "frank (superuser)": ("frank", "user", None, False),
    "ivan (inactive)": ("ivan", "user", None, False),
    "gina (pk 100)": ("gina", "user", None, False),
    "anonymous user": ("anonymous", "user", None, False),
    "alice from the office": ("alice", "request", OFFICE, False),
    "alice from home": ("alice", "request", HOME, False),
    "bob from home": ("bob", "request", HOME, False),
    "carol from localhost (internal)": ("carol", "request", LOCAL, False),
    "frank from home": ("frank", "request", HOME, False),
    "anonymous from home": ("anonymous", "request", HOME, False),
    "anonymous from the office": ("anonymous", "request", OFFICE, False),
    "anonymous from home, default=True": ("anonymous", "request", HOME, True),
    "request without a user, from the office": (None, "bare request", OFFICE, False),
    "request without a user, from home": (None, "bare request", HOME, False),
    "bob from IPv6": ("bob", "request", IPV6, False),
    "alice without REMOTE_ADDR": ("alice", "request", "", False),
    "gold customer": ("gold", "customer", None, False),
    "silver customer": ("silver", "customer", None, False),
}

#: What gargoyle-yplan raised instead of answering is recorded as this.
ERROR = "error"


class Customer:
    """A subject of the custom ``plan`` condition set."""

    def __init__(self, plan):
        self.plan = plan


def plan_condition_set(conditions_module):
    """A custom condition set with a Choice field, built on the given ``gargoyle.conditions``."""

    class PlanConditionSet(conditions_module.ConditionSet):
        plan = conditions_module.Choice(["gold", "silver", "free"])

        def get_namespace(self):
            return "plan"

        def can_execute(self, instance):
            return isinstance(instance, Customer)

    return PlanConditionSet


def create_users(user_model):
    """The users of :data:`USERS`, with their primary keys."""
    for spec in USERS:
        fields = {**spec, "date_joined": aware(spec["date_joined"])}
        user_model.objects.create(password="!", **fields)


def aware(day):
    return datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc)


def checks(user_model, anonymous_user, request_factory):
    """``{subject name: (instances, default)}``, ready for ``is_active(key, *instances, default=...)``."""
    people = {user.username: user for user in user_model.objects.all()}
    built = {}
    for name, (who, how, address, default) in SUBJECTS.items():
        person = anonymous_user() if who == "anonymous" else people.get(who)
        if how == "nothing":
            instances = ()
        elif how == "user":
            instances = (person,)
        elif how == "customer":
            instances = (Customer(who),)
        else:
            request = request_factory().get("/")
            if address:
                request.META["REMOTE_ADDR"] = address
            else:
                del request.META["REMOTE_ADDR"]
            if how == "request":
                request.user = person
            instances = (request,)
        built[name] = (instances, default)
    return built


def family(key):
    """The switches that must be stored with ``key``: it and its ancestors, parents first."""
    parts = key.split(":")
    wanted = {":".join(parts[: i + 1]) for i in range(len(parts))}
    return [row for row in SWITCHES if row[0] in wanted]
