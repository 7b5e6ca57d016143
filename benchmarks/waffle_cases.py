"""django-waffle's fixtures and cases: ``switch_is_active`` and ``flag_is_active``.

Waffle has no conditions on a switch: the SELECTIVE case is a ``Flag`` with
``percent=50`` and the 100 users in its ``users`` relation (no IP rule exists). A child
key is a plain switch. The request keeps ``request.waffles`` (waffle's per-request memo
of percent draws) between calls: waffle's best case.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from waffle import flag_is_active, switch_is_active
from waffle.models import Flag, Switch

from benchmarks.cases import KEYS, PAGE_KEYS, PAGE_ON, Call, Subjects, listed_users, page_template

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


def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(sum(bool(switch_is_active(key)) for key in PAGE_KEYS)))


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
        "child": Call("switch_is_active(key)", {**names, "key": KEYS["child"]}),
        "template": Call("template.render(context)", {"template": template, "context": {"request": subjects.request}}),
        "request": Call("client.get('/waffle/')", {"client": subjects.client}),
    }
