"""Validate JSON against the OFREP OpenAPI document (tests/ofrep/openapi.yaml, v0.3.0).

``validate(payload, "serverEvaluationSuccess")`` checks ``payload`` against the document's
``components.schemas.serverEvaluationSuccess`` with jsonschema's Draft 2020-12 validator, its
``$ref`` s resolved inside the document. The document is loaded once, with the one narrowing
that tests/ofrep/README.rst explains: ``codeDefaultFlag`` becomes "an object without
``value``" (as published it matches every object, so ``oneOf`` rejects every success that
has a value).
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(__file__).parent / "ofrep" / "openapi.yaml"
URI = "urn:ofrep:openapi"

#: The narrowing: what ``codeDefaultFlag`` says it is, "an object without ``value``".
CODE_DEFAULT_FLAG = {"type": "object", "not": {"required": ["value"]}}


@functools.cache
def published() -> dict[str, Any]:
    """The document as published (parsed; never modified in place)."""
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@functools.cache
def narrowed() -> dict[str, Any]:
    """The document with ``codeDefaultFlag`` narrowed, and nothing else changed."""
    document = copy.deepcopy(published())
    document["components"]["schemas"]["codeDefaultFlag"] = dict(CODE_DEFAULT_FLAG)
    return document


def validator(schema_name: str, *, document: dict[str, Any] | None = None) -> Draft202012Validator:
    """A validator for ``components.schemas.<schema_name>`` of ``document`` (default: the narrowed one)."""
    document = narrowed() if document is None else document
    if schema_name not in document["components"]["schemas"]:
        raise KeyError(f"The OFREP document has no schema {schema_name!r}.")
    registry = Registry().with_resource(URI, Resource.from_contents(document, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{URI}#/components/schemas/{schema_name}"}, registry=registry)


def errors(payload: Any, schema_name: str, *, document: dict[str, Any] | None = None) -> list[str]:
    """Why ``payload`` is not a valid ``schema_name`` (empty when it is)."""
    found = validator(schema_name, document=document).iter_errors(payload)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in found]


def validate(payload: Any, schema_name: str) -> Any:
    """Assert that ``payload`` is a valid ``schema_name`` of the narrowed document; return it."""
    problems = errors(payload, schema_name)
    assert not problems, f"not a valid OFREP {schema_name}: {problems} in {payload!r}"
    return payload


#: The schema of each OFREP answer with a body, by endpoint and status.
SCHEMAS = {
    ("flag", 200): "serverEvaluationSuccess",
    ("flag", 400): "evaluationFailure",
    ("flag", 404): "flagNotFound",
    ("flags", 200): "bulkEvaluationSuccess",
    ("flags", 400): "bulkEvaluationFailure",
}


def checked(response: Any, endpoint: str) -> Any:
    """The JSON of an OFREP ``response`` of ``endpoint`` (``"flag"`` or ``"flags"``), validated
    against the document's schema for its status; None for a 304 (which has no body)."""
    if response.status_code == 304:
        assert response.content == b""
        return None
    assert response["Content-Type"] == "application/json", response.content
    payload = json.loads(response.content)
    schema = SCHEMAS.get((endpoint, response.status_code))
    if schema is not None:
        validate(payload, schema)
    return payload
