"""Checks that every example in the OpenAPI document is valid against the schema it
illustrates (schemas, parameters, request and response bodies), so the docs never show a value
the API would refuse or never answer. Usage: examples_check.py SPEC."""

import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012


def main(spec_path: str) -> int:
    spec = json.load(open(spec_path, encoding="utf-8"))
    problems, count = [], 0

    def check(where, schema, example):
        nonlocal count
        count += 1
        # Local `$ref`s resolve against the document: the schema is placed in a copy of it.
        document = dict(spec, __checked__=schema)
        registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(document))
        validator = Draft202012Validator({"$ref": "urn:spec#/__checked__"}, registry=registry)
        problems.extend(f"{where}: {error.message}" for error in validator.iter_errors(example))

    def examples(node):
        found = [node["example"]] if "example" in node else []
        more = node.get("examples", [])
        if isinstance(more, dict):  # OpenAPI's map of Example objects (parameters, media types)
            return found + [e["value"] for e in more.values() if isinstance(e, dict) and "value" in e]
        return found + list(more)

    def bare(schema):
        return {k: v for k, v in schema.items() if k not in ("example", "examples")}

    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        for example in examples(schema):
            check(f"schema {name}", bare(schema), example)
        for prop, sub in schema.get("properties", {}).items():
            for example in examples(sub):
                check(f"schema {name}.{prop}", bare(sub), example)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                for example in examples(param):
                    check(f"{method.upper()} {path} parameter {param['name']}", param["schema"], example)
            bodies = [("request body", op.get("requestBody", {}).get("content", {}))]
            bodies += [(f"response {status}", r.get("content", {})) for status, r in op["responses"].items()]
            for what, content in bodies:
                for media, entry in content.items():
                    for example in examples(entry):
                        check(f"{method.upper()} {path} {what} ({media})", entry["schema"], example)
    if problems:
        print(f"examples that do not match their schemas: {len(problems)}", *problems, sep="\n  ")
        return 1
    print(f"all {count} examples in {spec_path} match their schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
