"""The published contract: /w/openapi.json is valid OpenAPI 3.1 and says what paraminfo says.

Both are generated from the modules' declarations; this checks the two readings agree for
every action and every query submodule (names, types, enums, limits, multi-value, required,
must-be-posted, tokens), so a tool that trusts the OpenAPI document calls the API right.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.properties.conftest import API_PATH, OPENAPI_PATH
from tests.properties.contract import FieldSpec, read_contract, resolve
from wikipost.api.openapi import build_openapi
from wikipost.api.registry import build_registry
from wikipost.wiki import Wiki


def _paraminfo(client: TestClient) -> dict[str, dict[str, Any]]:
    """Every module's paraminfo (fv2), by path."""
    query = {"action": "paraminfo", "modules": "*|query+*", "format": "json", "formatversion": "2"}
    modules = client.get(API_PATH, params=query).json()["paraminfo"]["modules"]
    return {m["path"]: m for m in modules}


def _expected_schema_bits(param: dict[str, Any]) -> dict[str, Any]:
    kind = param["type"]
    bits: dict[str, Any] = {}
    if isinstance(kind, list):
        bits["enum"] = kind
    elif kind in ("integer", "limit"):
        bits.update({k: param[k] for k in ("min", "max", "highmax") if k in param})
    return bits


def _actual_schema_bits(f: FieldSpec) -> dict[str, Any]:
    schema = f.schema["items"] if f.multi else f.schema
    bits: dict[str, Any] = {}
    if "enum" in schema:
        bits["enum"] = [
            v
            for v in schema["enum"]
            if not (f.multi and v == "*" and f.schema.get("x-mediawiki-allspecifier"))
        ]
    number = next((s for s in schema.get("anyOf", []) if s.get("type") == "integer"), schema)
    if number.get("type") == "integer":
        for ours, theirs in (("minimum", "min"), ("maximum", "max"), ("x-mediawiki-highmax", "highmax")):
            if ours in number:
                bits[theirs] = number[ours]
    return bits


def _compare(path: str, param: dict[str, Any], f: FieldSpec, *, in_query: bool) -> list[str]:
    where = f"{path} {f.name}"
    problems = []
    if _expected_schema_bits(param) != _actual_schema_bits(f):
        problems.append(f"{where}: {_expected_schema_bits(param)} != {_actual_schema_bits(f)}")
    if param["multi"] != f.multi:
        problems.append(f"{where}: multi {param['multi']} != {f.multi}")
    if f.multi and (f.schema["maxItems"], f.schema["x-mediawiki-highlimit"]) != (
        param["lowlimit"],
        param["highlimit"],
    ):
        problems.append(f"{where}: limits differ")
    required = param["required"] and not in_query
    if required != f.required or (
        in_query and param["required"] != f.schema.get("x-mediawiki-required", False)
    ):
        problems.append(f"{where}: required {param['required']} != {f.required}")
    if param.get("tokentype") != f.tokentype:
        problems.append(f"{where}: tokentype {param.get('tokentype')} != {f.tokentype}")
    if param["type"] == "boolean" and f.mwtype != "boolean":
        problems.append(f"{where}: boolean not marked")
    return problems


def test_openapi_is_served_as_json_and_valid_openapi_31(fuzz_client: TestClient) -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    response = fuzz_client.get(OPENAPI_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    errors = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(doc)]
    assert errors == []
    assert doc["servers"] == [{"url": "http://127.0.0.1:8081/w"}]
    assert fuzz_client.head(OPENAPI_PATH).status_code == 200


def test_openapi_is_deterministic(fuzz_wiki: Wiki) -> None:
    site = fuzz_wiki.settings.site
    assert build_openapi(build_registry(), site) == build_openapi(build_registry(), site)


def test_every_ref_resolves_and_operation_ids_are_unique(openapi_doc: dict[str, Any]) -> None:
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(openapi_doc, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(openapi_doc)
    for item in openapi_doc["paths"].values():
        for method in ("get", "post"):
            if method in item:
                op_id = item[method]["operationId"]
                assert op_id not in seen
                seen.add(op_id)


def test_openapi_says_what_paraminfo_says(fuzz_client: TestClient, openapi_doc: dict[str, Any]) -> None:
    paraminfo = _paraminfo(fuzz_client)
    contract = read_contract(openapi_doc)
    actions = {p for p, m in paraminfo.items() if m.get("group") == "action"}
    assert {op.action for op in contract.operations} == actions
    problems: list[str] = []
    for op in contract.operations:
        info = paraminfo[op.action]
        fields = {f.name: f for f in op.own_fields()}
        assert set(fields) == {info["prefix"] + p["name"] for p in info["parameters"]}, op.action
        assert op.get_allowed == (not info.get("mustbeposted", False)), op.action
        get = openapi_doc["paths"][f"/api.php#{op.action}"].get("get")
        for param in info["parameters"]:
            f = fields[info["prefix"] + param["name"]]
            problems += _compare(op.action, param, f, in_query=False)
            if get is not None:
                names = {resolve(openapi_doc, p)["name"] for p in get["parameters"]}
                assert (f.name in names) == (not f.must_post), f"{op.action} {f.name}"
    query = contract.operation("query")
    for path, info in paraminfo.items():
        if not path.startswith("query+"):
            continue
        name = path.split("+", 1)[1]
        fields = {f.name: f for f in query.submodule_fields(name, generator=False)}
        for param in info["parameters"]:
            problems += _compare(path, param, fields[info["prefix"] + param["name"]], in_query=True)
        generated = {f.name for f in query.submodule_fields(name, generator=True)}
        if generated:  # a generator: every parameter again, g-prefixed
            assert generated == {"g" + info["prefix"] + p["name"] for p in info["parameters"]}
    assert problems == []


def test_shared_parameters_match_paraminfo_of_main_and_formats(
    fuzz_client: TestClient, openapi_doc: dict[str, Any]
) -> None:
    query = {"action": "paraminfo", "modules": "main|json|xml|php", "format": "json", "formatversion": "2"}
    modules = fuzz_client.get(API_PATH, params=query).json()["paraminfo"]["modules"]
    contract = read_contract(openapi_doc)
    shared = {f.name: f for f in contract.shared}
    problems: list[str] = []
    for module in modules:
        for param in module["parameters"]:
            if param["name"] == "action":
                continue
            problems += _compare(module["path"], param, shared[param["name"]], in_query=False)
    assert problems == []
    assert set(contract.formats) == set(shared["format"].schema["enum"])
