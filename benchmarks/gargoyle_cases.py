"""gargoyle's fixtures and cases, written the way an application calls it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines

from benchmarks.cases import (
    EXCLUDED_IP,
    GROUP,
    GROUP_CHECKS,
    KEYS,
    PAGE_KEYS,
    PAGE_ON,
    PARENT_KEY,
    REQUIRED_NAMES,
    REQUIRED_NETWORK,
    USERNAMES,
    Call,
    Subjects,
    page_template,
    request_user,
)
from gargoyle import gargoyle
from gargoyle.constants import DISABLED, EXCLUDE, GLOBAL, INCLUDE, INHERIT, REQUIRE, SELECTIVE
from gargoyle.models import Switch

NAME = "gargoyle"

# A user-percent condition, 100 usernames and an IP exclude, as gargoyle stores them.
SELECTIVE_VALUE = {
    "auth.user": {
        "percent": [[INCLUDE, "0-50"]],
        "username": [[INCLUDE, name] for name in USERNAMES],
    },
    "ip": {"ip_address": [[EXCLUDE, EXCLUDED_IP]]},
}
# Members of one group (the visitor's groups are read once per user object, then kept on it).
GROUP_VALUE = {"auth.user": {"groups": [[INCLUDE, GROUP]]}}
# 10 usernames, AND required staff, AND a required IP network: on for the visitor, so every
# condition is evaluated.
REQUIRED_VALUE = {
    "auth.user": {
        "username": [[INCLUDE, name] for name in REQUIRED_NAMES],
        "is_staff": [[REQUIRE, "1"]],
    },
    "ip": {"ip_address": [[REQUIRE, REQUIRED_NETWORK]]},
}


def create_fixtures() -> None:
    Switch.objects.bulk_create(
        [
            Switch(key=KEYS["global"], status=GLOBAL),
            Switch(key=KEYS["disabled"], status=DISABLED),
            Switch(key=KEYS["selective"], status=SELECTIVE, value=SELECTIVE_VALUE),
            Switch(key=KEYS["group"], status=SELECTIVE, value=GROUP_VALUE),
            Switch(key=KEYS["required"], status=SELECTIVE, value=REQUIRED_VALUE),
            Switch(key=PARENT_KEY, status=GLOBAL),
            Switch(key=KEYS["child"], status=INHERIT),
            *(Switch(key=key, status=GLOBAL if PAGE_ON[key] else DISABLED) for key in PAGE_KEYS),
        ]
    )
    gargoyle.refresh()


def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(sum(bool(gargoyle.is_active(key, request)) for key in PAGE_KEYS)))


def group_view(request: HttpRequest) -> HttpResponse:
    request.user = request_user()
    key = KEYS["group"]
    return HttpResponse(str(sum(bool(gargoyle.is_active(key, request)) for _ in range(GROUP_CHECKS))))


def calls(subjects: Subjects) -> dict[str, Call]:
    names = {"gargoyle": gargoyle, "request": subjects.request}
    template = engines["django"].from_string(
        page_template("gargoyle_tags", lambda key: "{% ifswitch " + key + " %}1{% else %}0{% endifswitch %}")
    )
    return {
        "global": Call("gargoyle.is_active(key)", {**names, "key": KEYS["global"]}),
        "disabled": Call("gargoyle.is_active(key)", {**names, "key": KEYS["disabled"]}),
        "unknown": Call("gargoyle.is_active(key)", {**names, "key": KEYS["unknown"]}),
        "selective": Call("gargoyle.is_active(key, request)", {**names, "key": KEYS["selective"]}),
        "group": Call("gargoyle.is_active(key, request)", {**names, "key": KEYS["group"]}),
        "required": Call("gargoyle.is_active(key, request)", {**names, "key": KEYS["required"]}),
        "child": Call("gargoyle.is_active(key)", {**names, "key": KEYS["child"]}),
        "template": Call("template.render(context)", {"template": template, "context": {"request": subjects.request}}),
        "request": Call("client.get('/gargoyle/')", {"client": subjects.client}),
        "group_request": Call("client.get('/gargoyle/group/')", {"client": subjects.client}),
    }
