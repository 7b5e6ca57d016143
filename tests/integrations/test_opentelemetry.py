"""The OpenTelemetry integration, against the real opentelemetry-api and -sdk: each answer
of a request is a feature_flag.evaluation event on the span current at the check.

Run by ``tox -e opentelemetry``; skipped elsewhere, failing instead when
GARGOYLE_INTEGRATION_TESTS=1 says the packages must be there.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from gargoyle import gargoyle
from gargoyle.constants import DISABLED, GLOBAL
from gargoyle.integrations import opentelemetry as integration
from gargoyle.models import Switch

if os.environ.get("GARGOYLE_INTEGRATION_TESTS") == "1":
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
else:
    trace = pytest.importorskip("opentelemetry.trace")
    TracerProvider = pytest.importorskip("opentelemetry.sdk.trace").TracerProvider
    SimpleSpanProcessor = pytest.importorskip("opentelemetry.sdk.trace.export").SimpleSpanProcessor
    InMemorySpanExporter = pytest.importorskip(
        "opentelemetry.sdk.trace.export.in_memory_span_exporter"
    ).InMemorySpanExporter

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

MIDDLEWARE = ["gargoyle.middleware.SwitchExposureMiddleware"]
EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
TRACER = PROVIDER.get_tracer("tests")


def traced_view(request: Any) -> HttpResponse:
    with TRACER.start_as_current_span("checkout"):
        gargoyle.is_active("new_checkout", request)
        gargoyle.is_active("dark_mode", request)
    return HttpResponse("ok")


urlpatterns = [path("traced/", traced_view)]


@pytest.fixture(autouse=True)
def switches() -> None:
    EXPORTER.clear()
    Switch.objects.create(key="new_checkout", status=GLOBAL)
    Switch.objects.create(key="dark_mode", status=DISABLED)


@override_settings(GARGOYLE_OPENTELEMETRY=True, MIDDLEWARE=MIDDLEWARE)
def test_each_answer_is_an_evaluation_event_with_the_semantic_names() -> None:
    assert Client().get("/traced/").status_code == 200
    (span,) = EXPORTER.get_finished_spans()
    events = [(event.name, dict(event.attributes)) for event in span.events]
    assert events == [
        (
            "feature_flag.evaluation",
            {
                "feature_flag.key": "new_checkout",
                "feature_flag.provider.name": "gargoyle",
                "feature_flag.result.value": True,
                "feature_flag.result.variant": "on",
            },
        ),
        (
            "feature_flag.evaluation",
            {
                "feature_flag.key": "dark_mode",
                "feature_flag.provider.name": "gargoyle",
                "feature_flag.result.value": False,
                "feature_flag.result.variant": "off",
            },
        ),
    ]


@override_settings(MIDDLEWARE=MIDDLEWARE)
def test_off_by_default() -> None:
    Client().get("/traced/")
    (span,) = EXPORTER.get_finished_spans()
    assert list(span.events) == []


@override_settings(GARGOYLE_OPENTELEMETRY=True, MIDDLEWARE=MIDDLEWARE)
def test_without_a_recording_span_nothing_happens() -> None:
    assert trace.get_current_span().is_recording() is False
    integration.record_evaluation("new_checkout", True)  # the API's no-op span: no error
    assert integration.api_problem() is None
