"""Jinja2: gargoyle's template tags for Jinja2 templates (``pip install "django-gargoyle[jinja2]"``).

Add the extension to the environment, with Django's Jinja2 backend::

    TEMPLATES = [{
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "OPTIONS": {"extensions": ["gargoyle.integrations.jinja2.GargoyleExtension"]},
    }]

and templates get what ``{% load gargoyle_tags %}`` gives Django templates:

.. code-block:: html+jinja

    {% ifswitch "new_checkout" %}new{% else %}old{% endifswitch %}
    {% ifnotswitch "maintenance_mode" %}<form>...</form>{% endifnotswitch %}
    {% ifswitch "team_dashboard" team, default=true %}...{% endifswitch %}
    {% if is_active("new_checkout") and cart.items %}...{% endif %}
    {{ client_switches() }}

The ``request`` variable (Django's backend sets it when a view renders with one) is judged
with its user, as the Django tags do; an environment with ``enable_async`` checks with
``ais_active`` (nothing blocks the event loop).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asgiref.sync import sync_to_async
from jinja2 import Environment, Undefined, nodes, pass_context
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context

from gargoyle.manager import gargoyle
from gargoyle.templatetags.gargoyle_tags import CLIENT_SWITCHES_ID, client_switches_element

__all__ = ["GargoyleExtension", "client_switches", "is_active"]


def _subjects(instances: Iterable[Any], request: Any) -> list[Any]:
    """The instances, and ``request`` after them unless it is missing or already there."""
    subjects = [instance for instance in instances if not isinstance(instance, Undefined)]
    if request is not None and not isinstance(request, Undefined) and all(s is not request for s in subjects):
        subjects.append(request)
    return subjects


def _check(environment: Environment, key: Any, subjects: list[Any], default: Any) -> Any:
    """The answer, or in an async environment the coroutine Jinja2 awaits for it."""
    if environment.is_async:
        return gargoyle.ais_active(key, *subjects, default=default)
    return gargoyle.is_active(key, *subjects, default=default)


@pass_context
def is_active(context: Context, key: str, *instances: Any, default: bool | None = False) -> Any:
    """The global ``is_active(key, *instances, default=False)``: whether switch ``key`` is on.

    ``request`` from the template's context is judged too, when it is there and not among
    ``instances``, as ``{% ifswitch %}`` does. The answer is that of
    :meth:`~gargoyle.manager.SwitchManager.is_active`.
    """
    return _check(context.environment, key, _subjects(instances, context.get("request")), default)


@pass_context
def client_switches(context: Context, element_id: str = CLIENT_SWITCHES_ID) -> Any:
    """The global ``client_switches(element_id=...)``: what ``{% client_switches %}`` renders
    (:func:`~gargoyle.templatetags.gargoyle_tags.client_switches_element`), for the context's
    ``request``. Marked safe: write it as ``{{ client_switches() }}``."""
    request = context.get("request")
    if context.environment.is_async:  # the bulk answer is sync: evaluated in a thread
        return sync_to_async(client_switches_element)(request, element_id)
    return client_switches_element(request, element_id)


class GargoyleExtension(Extension):
    """The tags ``{% ifswitch %}`` and ``{% ifnotswitch %}``, and the globals :func:`is_active`
    and :func:`client_switches`.

    ``{% ifswitch "key" [instance, ...] [default=expr] %}…{% else %}…{% endifswitch %}``
    renders its body while the switch is on for the instances and the template's
    ``request``; ``{% ifnotswitch %}`` while it is off. The key is a quoted string (checked
    when the template compiles, like the rest of the tag); instances are expressions,
    separated by commas or spaces; ``default`` answers for a key with no stored switch.
    """

    tags = {"ifswitch", "ifnotswitch"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["is_active"] = is_active
        environment.globals["client_switches"] = client_switches

    def parse(self, parser: Parser) -> nodes.Node:
        """Compile one ``ifswitch``/``ifnotswitch`` block into an ``if`` on the switch."""
        token = next(parser.stream)
        tag, lineno = token.value, token.lineno
        key = self._key(parser, tag, lineno)
        instances, default = self._arguments(parser, tag, lineno)
        end = f"name:end{tag}"
        body = parser.parse_statements(("name:else", end))
        if parser.stream.skip_if("name:else"):
            otherwise = parser.parse_statements((end,), drop_needle=True)
        else:
            next(parser.stream)
            otherwise = []
        request = nodes.Name("request", "load", lineno=lineno)
        test = self.call_method("_switch", [nodes.Const(key), nodes.List(instances), default, request], lineno=lineno)
        if tag == "ifnotswitch":
            body, otherwise = otherwise, body
        return nodes.If(test, body, [], otherwise, lineno=lineno)

    @staticmethod
    def _key(parser: Parser, tag: str, lineno: int) -> str:
        # No apostrophes in the messages: Django's backend shows them as the repr of a tuple.
        example = f'{{% {tag} "new_checkout" %}}'
        if parser.stream.current.type == "block_end":
            parser.fail(f"{tag} needs a switch key, quoted: {example}", lineno)
        key = parser.parse_expression()
        if not isinstance(key, nodes.Const) or not isinstance(key.value, str) or not key.value:
            parser.fail(f"{tag} takes the switch key as a quoted, non-empty string: {example}", lineno)
        return str(key.value)

    @staticmethod
    def _arguments(parser: Parser, tag: str, lineno: int) -> tuple[list[nodes.Expr], nodes.Expr]:
        """The instances and the ``default=`` expression, up to the end of the tag."""
        instances: list[nodes.Expr] = []
        default: nodes.Expr | None = None
        stream = parser.stream
        while stream.current.type != "block_end":
            stream.skip_if("comma")
            if stream.current.test("name:default") and stream.look().test("assign"):
                if default is not None:
                    parser.fail(f"{tag} takes one default=", lineno)
                stream.skip(2)
                default = parser.parse_expression()
            elif default is not None:
                parser.fail(f"{tag}: the instances come before default=", lineno)
            else:
                instances.append(parser.parse_expression())
        return instances, default if default is not None else nodes.Const(False)

    def _switch(self, key: str, instances: list[Any], default: Any, request: Any) -> Any:
        return _check(self.environment, key, _subjects(instances, request), default)
