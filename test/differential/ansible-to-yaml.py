"""Ansible's own to_yaml / to_nice_yaml filters as the oracle: reads a JSON list
of {"value", "filter", "kwargs"} or {"template"} on stdin and prints, for each,
the filter's text (or the template rendered by Jinja2 with those filters) or
its error, so drover's port can be compared byte for byte."""
import json
import sys

import jinja2
from ansible.plugins.filter.core import to_nice_yaml, to_yaml

FILTERS = {"to_yaml": to_yaml, "to_nice_yaml": to_nice_yaml}
env = jinja2.Environment()
env.filters.update(FILTERS)

out = []
for case in json.load(sys.stdin):
    try:
        if "template" in case:
            out.append({"ok": True, "text": env.from_string(case["template"]).render()})
            continue
        out.append({"ok": True, "text": FILTERS[case["filter"]](case["value"], **case.get("kwargs", {}))})
    except Exception as e:  # the filter's error is an outcome too
        out.append({"ok": False, "error": str(e)})
json.dump(out, sys.stdout)
