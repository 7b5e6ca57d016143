"""An OpenFeature provider: gargoyle's switches through the OpenFeature API (``pip install gargoyle[openfeature]``).

::

    from openfeature import api
    from gargoyle.openfeature import GargoyleProvider, evaluation_context

    api.set_provider(GargoyleProvider())
    client = api.get_client()
    client.get_boolean_value("new_checkout", False, evaluation_context(request))

Switches are booleans: the variants are ``"on"`` and ``"off"``, and the reasons those of
:mod:`gargoyle.resolution`. Asking for another type gives ``TYPE_MISMATCH`` and the
caller's default; an unknown key ``FLAG_NOT_FOUND`` (the provider never auto-creates a
switch). The evaluation context becomes the subjects gargoyle judges as
:mod:`gargoyle.contexts` describes (or as the ``subjects`` function given says). When this
process reloads switches that changed, the provider emits ``PROVIDER_CONFIGURATION_CHANGED``
with the changed keys. See docs/openfeature.rst.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from gargoyle.contexts import InvalidContext, TargetingKeyMissing, context_of, subjects_from_context
from gargoyle.manager import SwitchManager, gargoyle
from gargoyle.resolution import FLAG_NOT_FOUND, Resolution, aresolve, known, resolve
from gargoyle.signals import switches_reloaded

__all__ = ["GargoyleProvider", "evaluation_context"]

#: Builds the subjects to judge from a context dict (``{"targetingKey": ..., **attributes}``).
SubjectsFunction = Callable[[dict[str, Any]], Sequence[Any]]
ObjectValue = Sequence[FlagValueType] | Mapping[str, FlagValueType]


def evaluation_context(request: HttpRequest) -> EvaluationContext:
    """The context of ``request``'s user and address, as :func:`gargoyle.contexts.context_of` gives it."""
    attributes = context_of(request)
    targeting_key = attributes.pop("targetingKey", None)
    return EvaluationContext(targeting_key=targeting_key, attributes=attributes)


class GargoyleProvider(AbstractProvider):
    """Resolves OpenFeature flags from gargoyle's switches.

    :param manager: the manager to ask (default: the process-wide :data:`gargoyle.gargoyle`).
    :param subjects: a function from the context dict to the instances to judge (default:
        :func:`gargoyle.contexts.subjects_from_context`, which follows
        ``GARGOYLE_CONTEXT_SUBJECTS``). It raises
        :class:`~gargoyle.contexts.InvalidContext` for a context it cannot use.
    :param require_targeting_key: answer ``TARGETING_KEY_MISSING`` (and the default) for a
        context without a targeting key, rather than judging an anonymous visitor.
    """

    def __init__(
        self,
        manager: SwitchManager | None = None,
        subjects: SubjectsFunction | None = None,
        *,
        require_targeting_key: bool = False,
    ) -> None:
        super().__init__()
        self.manager = gargoyle if manager is None else manager
        self.subjects = subjects_from_context if subjects is None else subjects
        self.require_targeting_key = require_targeting_key

    def get_metadata(self) -> Metadata:
        """``Metadata(name="gargoyle")``."""
        return Metadata(name="gargoyle")

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Start telling OpenFeature when this process reloads changed switches."""
        switches_reloaded.connect(self._switches_changed, sender=self.manager, weak=False, dispatch_uid=id(self))

    def shutdown(self) -> None:
        """Stop telling OpenFeature of changes."""
        switches_reloaded.disconnect(sender=self.manager, dispatch_uid=id(self))

    def _switches_changed(self, sender: Any, changed: frozenset[str], **kwargs: Any) -> None:
        keys = sorted(changed)
        self.emit_provider_configuration_changed(
            ProviderEventDetails(flags_changed=keys, message=f"Switches changed: {', '.join(keys)}.")
        )

    # -- booleans: the switches -----------------------------------------------------------------

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        """The switch's answer for the context, with its reason and variant."""
        try:
            subjects = self._subjects(evaluation_context)
        except InvalidContext as error:
            return _invalid(error, default_value)
        return _details(resolve(flag_key, *subjects, default=default_value, manager=self.manager), default_value)

    async def resolve_boolean_details_async(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        """:meth:`resolve_boolean_details` for async code (a site's ``subjects`` runs in a thread)."""
        try:
            subjects = await sync_to_async(self._subjects)(evaluation_context)
        except InvalidContext as error:
            return _invalid(error, default_value)
        resolution = await aresolve(flag_key, *subjects, default=default_value, manager=self.manager)
        return _details(resolution, default_value)

    def _subjects(self, context: EvaluationContext | None) -> list[Any]:
        targeting_key = None if context is None else context.targeting_key
        if self.require_targeting_key and targeting_key is None:
            raise TargetingKeyMissing("The evaluation context has no targeting key.")
        attributes = {} if context is None else context.attributes
        return list(self.subjects({"targetingKey": targeting_key, **attributes}))

    # -- other types: a switch is no string, number or object -----------------------------------

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        """``TYPE_MISMATCH`` (``FLAG_NOT_FOUND`` for an unknown key), with the default."""
        return self._not_boolean(flag_key, default_value)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        """As :meth:`resolve_string_details`: a switch answers no integer (though ``bool`` is an ``int``)."""
        return self._not_boolean(flag_key, default_value)

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        """As :meth:`resolve_string_details`."""
        return self._not_boolean(flag_key, default_value)

    def resolve_object_details(
        self, flag_key: str, default_value: ObjectValue, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[ObjectValue]:
        """As :meth:`resolve_string_details`."""
        return self._not_boolean(flag_key, default_value)

    def _not_boolean(self, flag_key: str, default_value: Any) -> FlagResolutionDetails[Any]:
        if not known(flag_key, self.manager):
            return FlagResolutionDetails(
                value=default_value,
                reason=Reason.ERROR,
                error_code=ErrorCode.FLAG_NOT_FOUND,
                error_message=f"No switch {flag_key!r}.",
            )
        return FlagResolutionDetails(
            value=default_value,
            reason=Reason.ERROR,
            error_code=ErrorCode.TYPE_MISMATCH,
            error_message=f"Switch {flag_key!r} is a boolean.",
        )


def _details(resolution: Resolution, default_value: bool) -> FlagResolutionDetails[bool]:
    if resolution.error_code is not None:
        code = ErrorCode.FLAG_NOT_FOUND if resolution.error_code == FLAG_NOT_FOUND else ErrorCode.GENERAL
        return FlagResolutionDetails(
            value=default_value, reason=Reason.ERROR, error_code=code, error_message=resolution.error_message
        )
    value = default_value if resolution.value is None else resolution.value
    return FlagResolutionDetails(value=value, reason=Reason(resolution.reason), variant=resolution.variant)


def _invalid(error: InvalidContext, default_value: bool) -> FlagResolutionDetails[bool]:
    return FlagResolutionDetails(
        value=default_value, reason=Reason.ERROR, error_code=ErrorCode(error.code), error_message=str(error)
    )
