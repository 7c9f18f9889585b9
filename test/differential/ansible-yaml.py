"""Ansible's own YAML loader as the oracle: reads a JSON list of YAML texts on
stdin and prints, for each, the loaded value in a tagged JSON form (or the
error), so drover's reader can be compared value for value and type for type."""
import datetime
import json
import math
import sys

from ansible.parsing.yaml.loader import AnsibleLoader


def enc(v):
    if v is None:
        return {"t": "null"}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, (int, float)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return {"t": "number", "v": str(f)}
        if isinstance(v, int) and abs(v) > 2**53:
            return {"t": "number", "v": str(v)}
        return {"t": "number", "v": f}
    if isinstance(v, (datetime.date, datetime.datetime)):
        return {"t": "timestamp", "v": str(v)}
    if isinstance(v, str):
        return {"t": "str", "v": str(v)}
    if isinstance(v, (list, tuple)):
        return {"t": "list", "v": [enc(x) for x in v]}
    if isinstance(v, dict):
        return {"t": "map", "v": [[str(k), enc(x)] for k, x in v.items()]}
    return {"t": type(v).__name__, "v": str(v)}


out = []
for text in json.load(sys.stdin):
    try:
        out.append({"ok": True, "value": enc(AnsibleLoader(text).get_single_data())})
    except Exception as e:  # any loader error: the case must fail in drover too
        out.append({"ok": False, "error": str(e).splitlines()[0] if str(e) else type(e).__name__})
json.dump(out, sys.stdout)
