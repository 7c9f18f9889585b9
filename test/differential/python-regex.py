"""Python's re as the oracle: reads [[pattern, [subjects], ascii]] as JSON on stdin,
prints for each pattern the first match span per subject (re.search), or
{"error": …} when Python refuses the pattern."""
import json
import re
import sys

out = []
for pattern, subjects, ascii_only in json.load(sys.stdin):
    try:
        rx = re.compile(pattern, re.ASCII if ascii_only else 0)
    except re.error as e:
        out.append({"error": str(e)})
        continue
    spans = []
    for s in subjects:
        m = rx.search(s)
        spans.append([m.start(), m.end()] if m else None)
    out.append({"spans": spans})
json.dump(out, sys.stdout)
