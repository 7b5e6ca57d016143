"""``SwitchActiveMixin``: the class-based-view counterpart of ``@switch_is_active``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from gargoyle.decorators import switch_off_response
from gargoyle.manager import SwitchManager, gargoyle


class SwitchActiveMixin:
    """Serve the view only while ``switch_key`` is on for the request.

    Put it before the view class. Set ``switch_redirect_to`` (a path, URL or URL name) to
    redirect instead of a 404::

        class NewCheckout(SwitchActiveMixin, TemplateView):
            switch_key = "new_checkout"
            switch_redirect_to = "checkout"

    Works on sync and async views.
    """

    #: The switch's key (required).
    switch_key: str | None = None
    #: Where to send the request when the switch is off; ``None`` raises ``Http404``.
    switch_redirect_to: str | None = None
    #: The manager to ask (default: the process-wide one).
    #:
    #: :meta hide-value:
    switch_manager: SwitchManager = gargoyle

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Check the switch, then dispatch as the view would.

        :raises TypeError: if the view sets no ``switch_key``.
        :raises ~django.http.Http404: if the switch is off and there is no redirect.
        """
        if self.switch_key is None:
            raise TypeError(f"{type(self).__name__} needs a switch_key.")
        if getattr(self, "view_is_async", False):
            return self._async_dispatch(self.switch_key, request, *args, **kwargs)
        if not self.switch_manager.is_active(self.switch_key, request):
            return switch_off_response(self.switch_key, self.switch_redirect_to)
        # A mixin: dispatch() is the view's, after this class in the MRO, which mypy cannot see.
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    async def _async_dispatch(
        self, switch_key: str, request: HttpRequest, /, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if not await self.switch_manager.ais_active(switch_key, request):
            return switch_off_response(switch_key, self.switch_redirect_to)
        # The view's dispatch(), as above; an async view's returns a coroutine.
        response: HttpResponseBase = await super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
