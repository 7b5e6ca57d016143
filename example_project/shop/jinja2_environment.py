"""The Jinja2 environment of the pages under shop/jinja2/ (demo/settings.py, the second backend).

Django's backend adds ``request`` and the CSRF values to each template's context; this adds
``url()`` and ``static()``. gargoyle's extension, named in the backend's options, adds
``{% ifswitch %}``, ``is_active()`` and ``client_switches()``.
"""

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment


def url(name, *args, **kwargs):
    return reverse(name, args=args, kwargs=kwargs)


def environment(**options):
    env = Environment(**options)
    env.globals.update(url=url, static=static)
    return env
