#!/usr/bin/env python3
"""tests/tools/jsonschema.py - validate JSON lines against a JSON Schema.

    python3 tests/tools/jsonschema.py SCHEMA.json FILE...

Each non-empty line of each FILE must be one JSON object valid under SCHEMA.
The keywords docs/pinlab.schema.json uses are implemented (2020-12 subset):
type, enum, const, minimum, properties, required, additionalProperties,
items, prefixItems, minItems, maxItems, anyOf, oneOf, $ref to "#/$defs/..."
and "#/..." pointers; any other keyword is an error, so the schema cannot
silently ask for more than is checked.  Python's standard library only.
Prints "FILE:LINE: path: why" per error and "N objects valid"; exit 1 on
any error, 2 on bad usage or a bad schema.
"""
import json
import sys

KNOWN = {"$schema", "$id", "$defs", "$ref", "title", "description", "type", "enum", "const",
         "minimum", "properties", "required", "additionalProperties", "items", "prefixItems",
         "minItems", "maxItems", "anyOf", "oneOf"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaError(Exception):
    pass


def resolve(root, ref):
    if not ref.startswith("#/"):
        raise SchemaError("unsupported $ref " + ref)
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def check_schema(root, s, where="#"):
    if not isinstance(s, dict):
        raise SchemaError(where + ": not an object")
    for k in s:
        if k not in KNOWN:
            raise SchemaError("%s: unsupported keyword %s" % (where, k))
    for k in ("properties", "$defs"):
        for name, sub in s.get(k, {}).items():
            check_schema(root, sub, "%s/%s/%s" % (where, k, name))
    for k in ("anyOf", "oneOf", "prefixItems"):
        for i, sub in enumerate(s.get(k, [])):
            check_schema(root, sub, "%s/%s/%d" % (where, k, i))
    for k in ("items", "additionalProperties"):
        if isinstance(s.get(k), dict):
            check_schema(root, s[k], where + "/" + k)
    if "$ref" in s:
        resolve(root, s["$ref"])


def errors(root, s, v, path):
    """The list of errors of value v under schema s."""
    if "$ref" in s:
        return errors(root, resolve(root, s["$ref"]), v, path)
    out = []
    if "type" in s:
        types = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(TYPES[t](v) for t in types):
            return ["%s: %s is not of type %s" % (path, json.dumps(v)[:60], "/".join(types))]
    if "const" in s and v != s["const"]:
        out.append("%s: %s is not %s" % (path, json.dumps(v)[:60], json.dumps(s["const"])))
    if "enum" in s and v not in s["enum"]:
        out.append("%s: %s is not one of %s" % (path, json.dumps(v)[:60], s["enum"]))
    if "minimum" in s and TYPES["number"](v) and v < s["minimum"]:
        out.append("%s: %s < %s" % (path, v, s["minimum"]))
    if isinstance(v, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                out.append("%s: missing %s" % (path, k))
        for k, val in v.items():
            if k in props:
                out += errors(root, props[k], val, path + "." + k)
            elif s.get("additionalProperties") is False:
                out.append("%s: unexpected key %s" % (path, k))
            elif isinstance(s.get("additionalProperties"), dict):
                out += errors(root, s["additionalProperties"], val, path + "." + k)
    if isinstance(v, list):
        if "minItems" in s and len(v) < s["minItems"]:
            out.append("%s: fewer than %d items" % (path, s["minItems"]))
        if "maxItems" in s and len(v) > s["maxItems"]:
            out.append("%s: more than %d items" % (path, s["maxItems"]))
        pre = s.get("prefixItems", [])
        for i, item in enumerate(v):
            if i < len(pre):
                out += errors(root, pre[i], item, "%s[%d]" % (path, i))
            elif "items" in s:
                out += errors(root, s["items"], item, "%s[%d]" % (path, i))
    if "anyOf" in s and not any(not errors(root, sub, v, path) for sub in s["anyOf"]):
        out.append("%s: matches none of anyOf" % path)
    if "oneOf" in s:
        results = [errors(root, sub, v, path) for sub in s["oneOf"]]
        n = sum(1 for r in results if not r)
        if n != 1:
            best = min(results, key=len) if n == 0 else []
            out.append("%s: matches %d of oneOf (want 1)%s" % (
                path, n, (": nearest: " + "; ".join(best[:3])) if best else ""))
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        root = json.load(open(argv[1], encoding="utf-8"))
        check_schema(root, root)
    except (OSError, ValueError, SchemaError, KeyError) as e:
        print("%s: bad schema: %s" % (argv[1], e), file=sys.stderr)
        return 2
    bad = n = 0
    for name in argv[2:]:
        with open(name, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    v = json.loads(line)
                except ValueError as e:
                    print("%s:%d: not JSON: %s" % (name, lineno, e))
                    bad += 1
                    continue
                errs = errors(root, root, v, "$")
                for e in errs[:5]:
                    print("%s:%d: %s" % (name, lineno, e))
                bad += bool(errs)
    print("%d objects valid" % (n - bad) + (", %d invalid" % bad if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
