from django.http import HttpResponse
from django.template import engines
from django.views import View

from gargoyle.decorators import switch_is_active
from gargoyle.mixins import SwitchActiveMixin


@switch_is_active("feature")
def switched(request):
    return HttpResponse("on")


@switch_is_active("feature", redirect_to="landing")
def switched_redirect(request):
    return HttpResponse("on")


@switch_is_active("feature")
async def switched_async(request):
    return HttpResponse("async on")


class MixinView(SwitchActiveMixin, View):
    switch_key = "feature"
    switch_redirect_to = "/landing/"

    def get(self, request):
        return HttpResponse("mixin on")


def landing(request):
    return HttpResponse("landing")


def template_view(request):
    template = engines["django"].from_string(
        "{% load gargoyle_tags %}{% ifswitch feature %}shown{% else %}hidden{% endifswitch %}"
    )
    return HttpResponse(template.render({}, request))


@switch_is_active("feature", redirect_to="/landing/")
def switched_redirect_path(request):
    return HttpResponse("on")


@switch_is_active("feature", redirect_to="https://example.com/waitlist/")
def switched_redirect_url(request):
    return HttpResponse("on")


@switch_is_active("feature", redirect_to="landing")
async def switched_async_redirect(request):
    return HttpResponse("async on")


async def template_async(request):
    """An async view rendering ``{% ifswitch %}``: the sync API runs inside the event loop."""
    template = engines["django"].from_string(
        "{% load gargoyle_tags %}{% ifswitch feature %}shown{% else %}hidden{% endifswitch %}"
    )
    return HttpResponse(template.render({}, request))
