"""How much of what the OpenAPI document calls valid the gateway accepts, per operation.

Reads the tally `hooks.py` writes during the schemathesis run (one JSON line per schema-valid
case: operation, status, problem code and field) and prints, per operation, how many such cases
were answered 2xx, how many were refused as invalid input (400 or 422) and the refusals' most
frequent causes. A document whose rules are looser than the gateway's makes most generated data
fail validation; this is where that shows.

Exit status 1 when an operation refused more than MAX_REFUSED of its schema-valid cases (with
at least MIN_CASES of them), naming the operation and its main causes.

Usage: python acceptance.py TALLY_FILE
"""

import collections
import json
import sys

# Above this share of refused schema-valid cases, the document no longer tells the truth.
MAX_REFUSED = 0.5
# Fewer cases than this say nothing either way.
MIN_CASES = 10


def main(path):
    cases = collections.defaultdict(collections.Counter)
    causes = collections.defaultdict(collections.Counter)
    with open(path, encoding="utf-8") as tally:
        for line in tally:
            row = json.loads(line)
            operation, status = row["operation"], row["status"]
            kind = "accepted" if 200 <= status < 300 else "refused" if status in (400, 422) else "other"
            cases[operation][kind] += 1
            if kind == "refused":
                causes[operation][f"{status} {row.get('code')}"] += 1
    failed = []
    print(f"{'operation':<48} {'valid cases':>11} {'2xx':>5} {'400/422':>8} {'other':>6}  main causes of 400/422")
    for operation in sorted(cases):
        counts = cases[operation]
        total = sum(counts.values())
        top = ", ".join(f"{cause} ×{n}" for cause, n in causes[operation].most_common(3))
        print(f"{operation:<48} {total:>11} {counts['accepted']:>5} {counts['refused']:>8} {counts['other']:>6}  {top}")
        if total >= MIN_CASES and counts["refused"] > MAX_REFUSED * total:
            failed.append(f"{operation}: {counts['refused']} of {total} schema-valid cases refused ({top})")
    if not cases:
        print("no schema-valid case was tallied", file=sys.stderr)
        return 1
    for line in failed:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
