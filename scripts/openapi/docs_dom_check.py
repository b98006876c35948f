"""Asserts that the Swagger UI page, as headless Chromium rendered it (--dump-dom), lists every
operation of the committed OpenAPI document: one `operations-<tag>-<operationId>` block with
its operation id and path per operation. Usage: docs_dom_check.py SPEC DOM."""

import json
import sys


def main(spec_path: str, dom_path: str) -> int:
    spec = json.load(open(spec_path, encoding="utf-8"))
    dom = open(dom_path, encoding="utf-8").read()
    expected, missing = 0, []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            expected += 1
            tag = operation.get("tags", ["default"])[0]
            op_id = operation["operationId"]
            block = f'id="operations-{tag}-{op_id}"'
            shown_id = f'<span class="opblock-summary-operation-id">{op_id}</span>'
            shown_path = f'data-path="{path}"'
            if block not in dom or shown_id not in dom or shown_path not in dom:
                missing.append(f"{method.upper()} {path} ({op_id})")
    title = spec["info"]["title"]
    if title not in dom:
        missing.append(f"the title {title!r}")
    if missing:
        print(f"the docs page lacks {len(missing)} of {expected} operations:", *missing, sep="\n  ")
        return 1
    print(f"the docs page lists all {expected} operations of {spec_path} (by operation id and path)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
