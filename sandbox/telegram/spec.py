"""The Bot API specification as an oracle: method parameters and object shapes, checked recursively."""
from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

from .base import Upload, Violation

SPEC_ENV = "SHANGLIANG_BOT_API_SPEC"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "telegram" / "bot-api-10.0.json"
#: A copy of the same file (MIT, see data/LICENSE-spec) for checkouts without ../shared.
PACKAGED_SPEC = Path(__file__).with_name("data") / "bot-api-10.0.json.gz"
SCALARS = {"Integer", "Float", "String", "Boolean"}
_CONST = re.compile(r'(?:always "([a-z_]+)"|must be ([a-z_]+)\s*$)')
_ENUM_HINT = re.compile(r"(?:can be|one of)")


def find_spec(spec_path: str | Path | None) -> Path:
    """The spec file: the argument, else $SHANGLIANG_BOT_API_SPEC, else ../shared/telegram/
    (the authority, when the checkout sits beside it), else the packaged copy."""
    if spec_path is not None:
        path, source = Path(spec_path), "spec_path"
    elif os.environ.get(SPEC_ENV):
        path, source = Path(os.environ[SPEC_ENV]), f"${SPEC_ENV}"
    elif DEFAULT_SPEC.is_file():
        path, source = DEFAULT_SPEC, "the default <repo root>/../shared/telegram/bot-api-10.0.json"
    else:
        path, source = PACKAGED_SPEC, "the packaged copy"
    if not path.is_file():
        raise FileNotFoundError(
            f"Bot API spec not found at {path} (from {source}); pass spec_path=, set ${SPEC_ENV}, "
            f"or provide the default {DEFAULT_SPEC}")
    return path


def _describe(value: Any) -> str:
    if isinstance(value, Upload):
        return "an uploaded file"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{type(value).__name__} {text[:60]}"


class Spec:
    """Loaded spec with `check` (objects, both directions) and `decode` (request parameters)."""

    def __init__(self, path: str | Path | None = None):
        self.path = find_spec(path)
        raw = gzip.decompress(self.path.read_bytes()) if self.path.suffix == ".gz" else self.path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
        self.version = data.get("version")
        self.methods: dict[str, dict] = data["methods"]
        self.types: dict[str, dict] = data["types"]
        self._lower = {name.lower(): name for name in self.methods}
        self.fields = {name: {f["name"]: f for f in t.get("fields", [])}
                       for name, t in {**self.types, **self.methods}.items()}
        self.consts: dict[tuple[str, str], str] = {}
        self.enums: dict[tuple[str, str], set[str]] = {}
        for tname, t in self.types.items():
            for f in t.get("fields", []):
                desc = f.get("description", "")
                const = _CONST.search(desc) if f["name"] in ("type", "status", "source") else None
                if const:
                    self.consts[(tname, f["name"])] = const.group(1) or const.group(2)
                elif f["name"] in ("type", "style") and _ENUM_HINT.search(desc):
                    words = set(re.findall(r'"([a-z_]+)"', desc))
                    if len(words) >= 2:
                        self.enums[(tname, f["name"])] = words

    def canonical(self, method: str) -> str | None:
        """Telegram matches method names case-insensitively."""
        return self._lower.get(method.lower())

    # ---- objects -------------------------------------------------------------------------
    def check(self, value: Any, types: list[str], path: str) -> list[str]:
        """Errors of `value` against a union of declared types ([] when it validates)."""
        results = [self.check_type(value, t, path) for t in types]
        if any(not r for r in results):
            return []
        best = min(results, key=len)
        if len(types) > 1:
            return [f"{path}: matches none of {' | '.join(types)}; closest: {best[0]}"] + best[1:]
        return best

    def check_type(self, value: Any, tname: str, path: str) -> list[str]:
        if tname.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected {tname}, got {_describe(value)}"]
            inner = tname[len("Array of "):]
            return [e for i, item in enumerate(value) for e in self.check_type(item, inner, f"{path}[{i}]")]
        ok = {"Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
              "String": lambda v: isinstance(v, str),
              "Boolean": lambda v: isinstance(v, bool),
              "InputFile": lambda v: isinstance(v, Upload)}.get(tname)
        if ok is not None:
            return [] if ok(value) else [f"{path}: expected {tname}, got {_describe(value)}"]
        spec = self.types.get(tname)
        if spec is None:
            return [f"{path}: type {tname} is not in the spec"]
        if not isinstance(value, dict):
            return [f"{path}: expected {tname} object, got {_describe(value)}"]
        if "subtypes" in spec:
            return self._check_union(value, tname, spec["subtypes"], path)
        return self._check_fields(value, tname, path)

    def _check_union(self, value: dict, tname: str, subtypes: list[str], path: str) -> list[str]:
        matching = [s for s in subtypes
                    if all(value.get(f) == c for (t, f), c in self.consts.items() if t == s)]
        results = [(s, self.check_type(value, s, path)) for s in (matching or subtypes)]
        if any(not errs for _, errs in results):
            return []
        sub, errs = min(results, key=lambda r: len(r[1]))
        return [f"{path}: not a valid {tname} (closest subtype {sub}): {errs[0]}"] + errs[1:]

    def _check_fields(self, value: dict, tname: str, path: str) -> list[str]:
        fields = self.fields[tname]
        errors = [f"{path}: unknown field {k!r} for {tname}" for k in value if k not in fields]
        for name, f in fields.items():
            sub = f"{path}.{name}"
            if name not in value:
                if f["required"]:
                    errors.append(f"{sub}: required field of {tname} is missing")
                continue
            errors += self.check(value[name], f["types"], sub)
            const = self.consts.get((tname, name))
            if const is not None and value[name] != const:
                errors.append(f"{sub}: must be {const!r}, got {value[name]!r}")
            enum = self.enums.get((tname, name))
            if enum is not None and value[name] not in enum:
                errors.append(f"{sub}: {value[name]!r} is not one of {sorted(enum)}")
        return errors

    def fill(self, tname: str, base: dict, flag: bool, **overrides: Any) -> dict:
        """`base` plus every required Boolean field of `tname` set to `flag`, then `overrides`."""
        obj = dict(base)
        for name, f in self.fields[tname].items():
            if f["required"] and name not in obj and f["types"] == ["Boolean"]:
                obj[name] = flag
        return {**obj, **overrides}

    # ---- requests ------------------------------------------------------------------------
    def decode(self, method: str, raw: dict[str, Any], *, is_json: bool) -> dict[str, Any]:
        """Typed parameters of one request; raises Violation on anything the spec refuses."""
        fields = self.fields[method]
        strings = [v for v in raw.values() if isinstance(v, str)]
        uploads = {k: v for k, v in raw.items() if isinstance(v, Upload) and k not in fields}
        for name in uploads:
            if not any(f"attach://{name}" in s for s in strings):
                raise Violation(f"{method}: uploaded file part {name!r} is neither a parameter "
                                f"nor referenced as attach://{name}")
        unknown = [k for k in raw if k not in fields and k not in uploads]
        if unknown:
            raise Violation(f"{method}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
                            f"known: {', '.join(fields) or 'none'}")
        missing = [n for n, f in fields.items() if f["required"] and n not in raw]
        if missing:
            raise Violation(f"{method}: missing required parameter(s) {', '.join(missing)}")
        params = {}
        for name, value in raw.items():
            if name in uploads:
                continue
            types, path = fields[name]["types"], f"{method}.{name}"
            if not is_json and isinstance(value, str):
                value = self._from_form(value, types, path, uploads)
            errors = self.check(value, types, path)
            if errors:
                raise Violation("; ".join(errors[:5]))
            params[name] = value
        return params

    def _from_form(self, raw: str, types: list[str], path: str, uploads: dict) -> Any:
        """Form values: strings as they are, everything else JSON-encoded (like PTB sends)."""
        if raw.startswith("attach://") and "InputFile" in types:
            upload = uploads.get(raw[len("attach://"):])
            if upload is None:
                raise Violation(f"{path}: {raw} names no uploaded file part")
            return upload
        others = [t for t in types if t not in ("String", "InputFile")]
        if others:
            try:
                value = json.loads(raw)
            except ValueError:
                value = None if "String" in types else Violation(f"{path}: not valid JSON: {raw[:80]!r}")
            if isinstance(value, Violation):
                raise value
            if value is not None and ("String" not in types or not self.check(value, others, path)):
                return value
        return raw
