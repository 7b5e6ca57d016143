"""django-waffle's fixtures and cases: ``switch_is_active`` and ``flag_is_active``.

Waffle has no conditions on a switch: the SELECTIVE case is a ``Flag`` with
``percent=50`` and the 100 users in its ``users`` relation (no IP rule exists); the group
case a ``Flag`` with the visitor's group in its ``groups`` relation. Waffle cannot AND
conditions (a Flag is on if any of its rules says so): no required-AND case. A child key
is a plain switch. The request keeps ``request.waffles`` (waffle's per-request memo of
percent draws) between calls: waffle's best case.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.template import engines
from waffle import flag_is_active, switch_is_active
from waffle.models import Flag, Switch

from benchmarks.cases import (
    GROUP,
    GROUP_CHECKS,
    KEYS,
    PAGE_KEYS,
    PAGE_ON,
    Call,
    Subjects,
    listed_users,
    page_template,
    request_user,
)

NAME = "waffle"


def create_fixtures() -> None:
    Switch.objects.bulk_create(
        [
            Switch(name=KEYS["global"], active=True),
            Switch(name=KEYS["disabled"], active=False),
            Switch(name=KEYS["child"], active=True),
            *(Switch(name=key, active=PAGE_ON[key]) for key in PAGE_KEYS),
        ]
    )
    flag = Flag.objects.create(name=KEYS["selective"], percent=50, superusers=False)
    flag.users.set(listed_users())
    group_flag = Flag.objects.create(name=KEYS["group"], superusers=False)
    group_flag.groups.set([Group.objects.get(name=GROUP)])


def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(sum(bool(switch_is_active(key)) for key in PAGE_KEYS)))


def group_view(request: HttpRequest) -> HttpResponse:
    request.user = request_user()
    key = KEYS["group"]
    return HttpResponse(str(sum(bool(flag_is_active(request, key)) for _ in range(GROUP_CHECKS))))


def calls(subjects: Subjects) -> dict[str, Call]:
    names = {"switch_is_active": switch_is_active, "flag_is_active": flag_is_active, "request": subjects.request}
    template = engines["django"].from_string(
        page_template("waffle_tags", lambda key: "{% switch " + key + " %}1{% else %}0{% endswitch %}")
    )
    return {
        "global": Call("switch_is_active(key)", {**names, "key": KEYS["global"]}),
        "disabled": Call("switch_is_active(key)", {**names, "key": KEYS["disabled"]}),
        "unknown": Call("switch_is_active(key)", {**names, "key": KEYS["unknown"]}),
        "selective": Call("flag_is_active(request, key)", {**names, "key": KEYS["selective"]}),
        "group": Call("flag_is_active(request, key)", {**names, "key": KEYS["group"]}),
        "child": Call("switch_is_active(key)", {**names, "key": KEYS["child"]}),
        "template": Call("template.render(context)", {"template": template, "context": {"request": subjects.request}}),
        "request": Call("client.get('/waffle/')", {"client": subjects.client}),
        "group_request": Call("client.get('/waffle/group/')", {"client": subjects.client}),
    }
