"""Validate Neon API responses against the response schemas of openapi.yaml.

OpenAPI 3.0 schemas are close to JSON Schema draft 4; the differences that
matter here are handled by ``to_json_schema``:

* ``nullable: true`` becomes ``anyOf: [{type: null}, <schema>]``;
* documentation-only keywords (``example``, ``examples``, ``description``,
  ``x-*``, ``deprecated``) are dropped.

``$ref``s to ``#/components/...`` resolve against the whole converted spec.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import yaml

DROP_KEYS = {"example", "examples", "description", "deprecated", "externalDocs"}
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def to_json_schema(node):
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROP_KEYS or (isinstance(key, str) and key.startswith("x-")):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key == "nullable" and isinstance(value, bool):
            continue
        else:
            out[key] = to_json_schema(value)
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


class OpenApi:
    def __init__(self, path: Path):
        raw = yaml.safe_load(path.read_text())
        self.raw = raw
        self.spec = {"components": to_json_schema(raw["components"])}
        self.resolver = jsonschema.RefResolver.from_schema(self.spec)
        self.checker = jsonschema.FormatChecker(())
        self.checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(DATE_TIME.match(v)))
        self.checker.checks("uuid")(lambda v: not isinstance(v, str) or bool(UUID.match(v)))
        self.routes = []
        for template, item in raw["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$")
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    self.routes.append((literal, pattern, method.upper(), op))
        self.routes.sort(key=lambda r: -r[0])

    def operation(self, method: str, path: str) -> dict:
        for _, pattern, m, op in self.routes:
            if m == method and pattern.match(path):
                return op
        raise KeyError(f"{method} {path} is not in openapi.yaml")

    def _deref(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            node = self.raw
            for part in parts:
                node = node[part]
        return node

    def response_schema(self, method: str, path: str, status: int):
        """(operationId, JSON schema or None when the response has no body)."""
        op = self.operation(method, path)
        responses = op["responses"]
        response = None
        for key in (status, str(status)):
            if key in responses:
                response = responses[key]
                break
        if response is None:
            response = responses.get("default")
        if response is None:
            raise AssertionError(f"{op['operationId']} does not document status {status}")
        response = self._deref(response)
        content = response.get("content", {}).get("application/json")
        if content is None:
            return op["operationId"], None
        return op["operationId"], to_json_schema(content["schema"])

    def validate(self, method: str, path: str, status: int, body) -> str:
        """Raise jsonschema.ValidationError if BODY does not match; return the operationId."""
        operation_id, schema = self.response_schema(method, path, status)
        if schema is None:
            assert body in (None, b"", ""), f"{operation_id} {status} must have no body"
            return operation_id
        validator = jsonschema.Draft4Validator(schema, resolver=self.resolver,
                                               format_checker=self.checker)
        validator.validate(body)
        return operation_id
