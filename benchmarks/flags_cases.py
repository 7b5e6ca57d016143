"""django-flags' fixtures and cases: ``flag_state(name, request=request)``.

Flags has no percent and no IP condition: the SELECTIVE case is 100 ``user`` conditions
plus a required ``anonymous: False``. The required-AND case is 10 ``user`` conditions AND
a required ``anonymous: False`` AND a required ``path matches`` (flags has no staff and no
IP condition: these stand for them). Flags has no group condition: no group cases. A
child key is a plain flag; GLOBAL and DISABLED are ``boolean`` conditions. ``flag_state``
reads every flag from the database once per request and keeps them on
``request.flag_conditions``: the single-call cases reuse one request, so they run with
that memo warm (flags' best case); a template render starts a fresh request, as a page
does.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import engines
from flags.models import FlagState
from flags.state import flag_state

from benchmarks.cases import (
    KEYS,
    PAGE_KEYS,
    PAGE_ON,
    REQUIRED_NAMES,
    REQUIRED_PATH,
    USERNAMES,
    Call,
    Subjects,
    page_template,
)

NAME = "flags"


def create_fixtures() -> None:
    FlagState.objects.bulk_create(
        [
            FlagState(name=KEYS["global"], condition="boolean", value="True"),
            FlagState(name=KEYS["disabled"], condition="boolean", value="False"),
            FlagState(name=KEYS["child"], condition="boolean", value="True"),
            *(FlagState(name=key, condition="boolean", value=str(PAGE_ON[key])) for key in PAGE_KEYS),
            *(FlagState(name=KEYS["selective"], condition="user", value=name) for name in USERNAMES),
            FlagState(name=KEYS["selective"], condition="anonymous", value="False", required=True),
            *(FlagState(name=KEYS["required"], condition="user", value=name) for name in REQUIRED_NAMES),
            FlagState(name=KEYS["required"], condition="anonymous", value="False", required=True),
            FlagState(name=KEYS["required"], condition="path matches", value=REQUIRED_PATH, required=True),
        ]
    )


def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(sum(bool(flag_state(key, request=request)) for key in PAGE_KEYS)))


def _tag(key: str) -> str:
    return "{% flag_enabled '" + key + "' as on %}{% if on %}1{% else %}0{% endif %}"


def calls(subjects: Subjects) -> dict[str, Call]:
    request = subjects.request
    names = {"flag_state": flag_state, "request": request}
    template = engines["django"].from_string(page_template("feature_flags", _tag))

    def render_page() -> Any:
        vars(request).pop("flag_conditions", None)  # a new page is a new request
        return template.render({"request": request})

    return {
        "global": Call("flag_state(key, request=request)", {**names, "key": KEYS["global"]}),
        "disabled": Call("flag_state(key, request=request)", {**names, "key": KEYS["disabled"]}),
        "unknown": Call("flag_state(key, request=request)", {**names, "key": KEYS["unknown"]}),
        "selective": Call("flag_state(key, request=request)", {**names, "key": KEYS["selective"]}),
        "required": Call("flag_state(key, request=request)", {**names, "key": KEYS["required"]}),
        "child": Call("flag_state(key, request=request)", {**names, "key": KEYS["child"]}),
        "template": Call("render_page()", {"render_page": render_page}),
        "request": Call("client.get('/flags/')", {"client": subjects.client}),
    }
