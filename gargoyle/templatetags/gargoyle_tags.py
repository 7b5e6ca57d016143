"""``{% ifswitch key [instance ...] %}…{% else %}…{% endifswitch %}`` and ``{% ifnotswitch %}``.

``request`` from the context is passed along when present, so user and IP conditions
work without naming it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token

from gargoyle.manager import gargoyle

register = template.Library()


class SwitchNode(template.Node):
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
    nodelist_true, nodelist_false, name, instances = _parse(parser, token)
    return SwitchNode(nodelist_true, nodelist_false, name, instances)


@register.tag
def ifnotswitch(parser: Parser, token: Token) -> SwitchNode:
    nodelist_true, nodelist_false, name, instances = _parse(parser, token)
    return SwitchNode(nodelist_false, nodelist_true, name, instances)


__all__: list[Any] = ["ifnotswitch", "ifswitch", "register"]
