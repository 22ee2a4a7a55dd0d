"""Validates JSON lines against the ResLab protocol schema.

Usage: python3 validate.py SCHEMA LINES
Each line of LINES is `command <json>` or `engine <json>`; prints one line
per invalid message and exits 1 if there was any.
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validators = {
    side: jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"})
    for side, name in (("command", "command"), ("engine", "engine_message"))
}
bad = 0
for number, line in enumerate(open(sys.argv[2]), 1):
    side, _, text = line.rstrip("\n").partition(" ")
    errors = list(validators[side].iter_errors(json.loads(text)))
    if errors:
        bad += 1
        print(f"line {number} ({side}): {errors[0].message} in {text[:120]}")
print(f"{number} messages, {bad} invalid")
sys.exit(1 if bad else 0)
