"""``{% ifswitch key [instance ...] %}…{% else %}…{% endifswitch %}``, ``{% ifnotswitch %}``
and ``{% client_switches %}``.

``request`` from the context is passed along when present, so user and IP conditions
work without naming it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.urls import NoReverseMatch, reverse
from django.utils.html import json_script
from django.utils.safestring import SafeString

from gargoyle.evaluations import bulk_evaluation, client_keys, etag_of
from gargoyle.manager import gargoyle

#: The id of the element ``{% client_switches %}`` renders, which ``gargoyle/switches.js`` reads.
CLIENT_SWITCHES_ID = "gargoyle-client-switches"

#: The tag library, loaded with ``{% load gargoyle_tags %}``.
register = template.Library()


class SwitchNode(template.Node):
    """Renders one branch or the other, as the switch says.

    :param nodelist_true: what to render when the switch is on.
    :type nodelist_true: ~django.template.NodeList
    :param nodelist_false: what to render when it is off.
    :type nodelist_false: ~django.template.NodeList
    :param name: the switch's key.
    :param instances: the tag's further arguments, resolved in the context at render time.
    :type instances: list[~django.template.base.FilterExpression]
    """

    def __init__(self, nodelist_true: NodeList, nodelist_false: NodeList, name: str, instances: list[FilterExpression]):
        self.nodelist_true = nodelist_true
        self.nodelist_false = nodelist_false
        self.name = name
        self.instances = instances

    def render(self, context: template.Context) -> str:
        instances = [instance.resolve(context) for instance in self.instances]
        request = context.get("request")
        if request is not None:
            instances.append(request)
        if gargoyle.is_active(self.name, *instances):
            return self.nodelist_true.render(context)
        return self.nodelist_false.render(context)


def _parse(parser: Parser, token: Token) -> tuple[NodeList, NodeList, str, list[FilterExpression]]:
    bits = token.split_contents()
    tag = bits[0]
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{tag!r} tag requires a switch name")
    name = bits[1]
    if name[:1] in ("'", '"') and name[-1:] == name[:1]:
        name = name[1:-1]
    end_tag = f"end{tag}"
    nodelist_true = parser.parse(("else", end_tag))
    if parser.next_token().contents == "else":
        nodelist_false = parser.parse((end_tag,))
        parser.delete_first_token()
    else:
        nodelist_false = NodeList()
    return nodelist_true, nodelist_false, name, [parser.compile_filter(bit) for bit in bits[2:]]


@register.tag
def ifswitch(parser: Parser, token: Token) -> SwitchNode:
    """``{% ifswitch key [obj ...] %}…{% else %}…{% endifswitch %}``: render while the switch is on.

    ``key`` is the switch's key, written as is or quoted (it is not a variable). Any
    further arguments are variables passed to ``gargoyle.is_active`` as subjects, and
    ``request`` from the context is added when present. ``{% else %}`` is optional.
    """
    nodelist_true, nodelist_false, name, instances = _parse(parser, token)
    return SwitchNode(nodelist_true, nodelist_false, name, instances)


@register.tag
def ifnotswitch(parser: Parser, token: Token) -> SwitchNode:
    """``{% ifnotswitch key [obj ...] %}…{% else %}…{% endifnotswitch %}``: render while the switch is off.

    The arguments are those of :func:`ifswitch`.
    """
    nodelist_true, nodelist_false, name, instances = _parse(parser, token)
    return SwitchNode(nodelist_false, nodelist_true, name, instances)


@register.simple_tag(takes_context=True)
def client_switches(context: template.Context, element_id: str = CLIENT_SWITCHES_ID) -> SafeString:
    """``{% client_switches ["element-id"] %}``: this request's client switches, for ``gargoyle/switches.js``.

    Renders ``<script type="application/json" id="gargoyle-client-switches">`` holding
    ``{"url": ..., "etag": ..., "flags": [...]}``: ``flags`` and ``etag`` are exactly what
    the OFREP bulk endpoint (``POST ofrep/v1/evaluate/flags``) would answer this request,
    for the switches of ``GARGOYLE_CLIENT_SWITCHES``, so the page's first paint needs no
    request and a later ``refresh()`` is a ``304`` until an answer changes. ``url`` is the
    endpoint's path, or ``null`` when ``gargoyle.ofrep``'s URLs are not mounted (the page
    then keeps its first answers). The JSON is escaped by :func:`~django.utils.html.json_script`
    (``<``, ``>`` and ``&`` as ``\\u003C``…): data, not script, so a strict
    Content-Security-Policy is no obstacle.

    Each switch is judged for ``request`` from the template context (Django's ``request``
    context processor puts it there), as the endpoint judges the browser's own requests:
    its session's user and its address. Without ``request`` in the context, as in
    ``render_to_string()`` without one, the switches are judged for nobody, like
    ``{% ifswitch %}`` without it: user and IP conditions match no one, and the page's
    first refresh brings the visitor's own answers.

    :param context: the template context.
    :param element_id: the element's id, for a page that needs another one; the module
        then reads it with ``gargoyle.load(element_id)``.
    :returns: the ``<script type="application/json">`` element, safe to insert as it is.
    """
    return client_switches_element(context.get("request"), element_id)


def client_switches_element(request: Any, element_id: str = CLIENT_SWITCHES_ID) -> SafeString:
    """What ``{% client_switches %}`` renders for ``request`` (None: for nobody).

    The Jinja2 extension's ``client_switches()`` renders the same.

    :param request: the request the switches are judged for, or None.
    :param element_id: the element's id.
    :returns: the ``<script type="application/json">`` element, safe to insert as it is.
    """
    subjects = [] if request is None else [request]
    payload = bulk_evaluation(client_keys(), *subjects, details=False)
    data = {"url": _bulk_url(), "etag": etag_of(payload), "flags": payload["flags"]}
    return json_script(data, element_id)


def _bulk_url() -> str | None:
    """The path of the OFREP bulk endpoint; None when ``gargoyle.ofrep`` is not mounted."""
    try:
        return reverse("gargoyle-ofrep:evaluate-flags")
    except NoReverseMatch:
        return None


__all__: list[Any] = ["client_switches", "client_switches_element", "ifnotswitch", "ifswitch", "register"]
