"""``{% ifswitch key [instance ...] %}…{% else %}…{% endifswitch %}`` and ``{% ifnotswitch %}``.

``request`` from the context is passed along when present, so user and IP conditions
work without naming it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token

from gargoyle.manager import gargoyle

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


__all__: list[Any] = ["ifnotswitch", "ifswitch", "register"]
