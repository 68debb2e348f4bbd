"""The `sst` settings section (beside the layers: plain data, no LSP types).

The server reads these settings from three places, in order: the `initializationOptions` of
`initialize`, a `workspace/configuration` pull of section `sst` once initialized, and a re-pull
on every `workspace/didChangeConfiguration`. Every shape editors send is accepted:

- VS Code (the extension in vscode-client/): `{settings: [{workspaceFolder, ...sst}], globalSettings: {...sst}}`;
- other editors: `{sst: {...}}` or the section itself `{...}`; dotted keys such as
  `{"diagnostics.debounceMs": 0}` are expanded.

Parsing is forgiving: a bad value falls back to its default and becomes one line in the error
list (the server shows one message, not one per value). Unknown keys are ignored, as VS Code
hands over the whole `sst` section (including client-only keys such as `trace` and `server`).

Keys are camelCase (`debounceMs`); the attributes are snake_case. `CONVERTER` is the one cattrs
converter that maps between them (strict; `parse_settings` uses it value by value).
"""

from __future__ import annotations

import typing
from typing import Any, Literal

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from sst_lsp.stage_name import STACK_NAME_MAX, stage_name_problem

Severity = Literal["error", "warning", "information", "hint", "off"]
SynthMode = Literal["embedded", "project"]

#: Spellings accepted for a severity besides the canonical ones.
SEVERITY_ALIASES = {"warn": "warning", "info": "information", "none": "off", "disabled": "off"}


def _valid_stage_setting(_: object, __: object, value: str) -> None:
    # Empty means "the app's .sst/stage, else dev".
    if value:
        problem = stage_name_problem(value)
        if problem is not None:
            raise ValueError(problem)


@attrs.define(frozen=True)
class SynthSettings:
    """How `sst.synth` (and the stateful baseline `stage:`/deploy commands) synthesize."""

    mode: SynthMode = "embedded"
    """`embedded`: sst-lsp's own synthesis, which never runs the app's code; `project`: run
    the app's own toolchain (node, the project's SST), which does run user code."""


@attrs.define(frozen=True)
class AwsSettings:
    """Where the cloud commands talk to AWS (empty strings: the AWS SDK's own defaults)."""

    profile: str = ""
    """A profile of ~/.aws/config."""

    region: str = ""
    """The region; empty: the app's region from its config, then the AWS config."""

    endpoint_url: str = ""
    """A CloudFormation-compatible endpoint instead of AWS (a local moto server, for example)."""


@attrs.define(frozen=True)
class DiagnosticsSettings:
    """How diagnostics are reported."""

    severity: dict[str, Severity] = attrs.field(factory=dict)
    """Per-code severity overrides, e.g. `{"handler-export-missing": "warning"}`; `off` hides
    the code."""

    debounce_ms: int = attrs.field(default=150, validator=attrs.validators.ge(0))
    """Milliseconds to wait after the last keystroke before re-analysing (saves act at once)."""


@attrs.define(frozen=True)
class InlayHintSettings:
    """Which inlay hints the editor shows."""

    physical_names: bool = True
    """After construct ids: the resource's physical name in the current stage (`dev-notes-Notes`)."""

    handler_files: bool = True
    """After handler strings whose file is not obvious (srcPath applied, Python, Go): the file."""


@attrs.define(frozen=True)
class Settings:
    """The whole `sst` section."""

    stage: str = attrs.field(default="", validator=_valid_stage_setting)
    """The stage for physical names in hovers and lenses; empty: `.sst/stage`, else the default.
    Letters, digits and hyphens, starting with a letter (`stage_name_problem`)."""

    baseline: str = "git:HEAD"
    """Where stateful constructs are compared from: `git:REF`, `assembly:PATH`, `stage:NAME` or
    `off`."""

    synth: SynthSettings = attrs.field(factory=SynthSettings)
    """Synthesis options."""

    aws: AwsSettings = attrs.field(factory=AwsSettings)
    """AWS access for the cloud commands."""

    protected_stages: list[str] = attrs.field(factory=lambda: ["prod", "production"])
    """Stages whose deploy/remove asks the user to type the stage name."""

    diagnostics: DiagnosticsSettings = attrs.field(factory=DiagnosticsSettings)
    """Diagnostics options."""

    exclude: list[str] = attrs.field(factory=list)
    """Glob patterns of directories (relative to a workspace folder) never searched for apps."""

    inlay_hints: InlayHintSettings = attrs.field(factory=InlayHintSettings)
    """Inlay hint options."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


# ----------------------------------------------------------------------------------------------
# The converter: strict leaves, camelCase keys.
# ----------------------------------------------------------------------------------------------


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_show(value)}")
    return value.strip()


def _strict_int(value: object, _: type) -> int:
    # JSON has one number type: accept 150.0, refuse true/"150"/1.5.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected an integer, got {_show(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {_show(value)}")
    return int(value)


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {_show(value)}")
    return value


def _literal(value: object, cl: Any) -> str:
    allowed = typing.get_args(cl)
    if isinstance(value, str):
        v = value.strip().lower()
        v = SEVERITY_ALIASES.get(v, v) if "off" in allowed else v
        if v in allowed:
            return v
    raise ValueError(f"expected one of {', '.join(map(repr, allowed))}, got {_show(value)}")


def _is_literal(t: Any) -> bool:
    return bool(typing.get_origin(t) is Literal)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook_func(_is_literal, _literal)

    def structure_factory(cl: type) -> Any:
        overrides = {a.name: override(rename=_camel(a.name)) for a in attrs.fields(cl)}
        return make_dict_structure_fn(cl, conv, **overrides)  # type: ignore[arg-type]

    def unstructure_factory(cl: type) -> Any:
        overrides = {a.name: override(rename=_camel(a.name)) for a in attrs.fields(cl)}
        return make_dict_unstructure_fn(cl, conv, **overrides)  # type: ignore[arg-type]

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


CONVERTER = _make_converter()
"""The one converter: `CONVERTER.structure({"debounceMs": 0, ...}, DiagnosticsSettings)` (strict,
raises on bad input) and `CONVERTER.unstructure(settings)` (camelCase keys)."""

DEFAULTS = Settings()


# ----------------------------------------------------------------------------------------------
# Forgiving parsing.
# ----------------------------------------------------------------------------------------------


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expand_dotted(raw: dict[str, Any]) -> dict[str, Any]:
    """`{"diagnostics.debounceMs": 0}` -> `{"diagnostics": {"debounceMs": 0}}` (nested wins ties)."""
    if not any(isinstance(k, str) and "." in k for k in raw):
        return raw
    out: dict[str, Any] = {}
    dotted: list[tuple[list[str], Any]] = []
    for k, v in raw.items():
        if isinstance(k, str) and "." in k:
            dotted.append((k.split("."), v))
        else:
            out[k] = v
    for parts, v in dotted:
        cur = out
        for p in parts[:-1]:
            nxt = cur.get(p)
            if not isinstance(nxt, dict):
                nxt = {}
                cur[p] = nxt
            else:
                nxt = dict(nxt)
                cur[p] = nxt
            cur = nxt
        cur.setdefault(parts[-1], v)
    return out


def _lookup(raw: dict[str, Any], name: str) -> tuple[bool, Any]:
    camel = _camel(name)
    if camel in raw:
        return True, raw[camel]
    if name in raw:
        return True, raw[name]
    return False, None


def _structure_forgiving(raw: object, cl: type, where: str, errors: list[str]) -> Any:
    """An attrs instance from `raw`, with defaults for whatever is missing or bad."""
    if raw is None:
        return cl()
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected an object, got {_show(raw)} (using the defaults)")
        return cl()
    raw = _expand_dotted(raw)
    hints = typing.get_type_hints(cl)
    kwargs: dict[str, Any] = {}
    for a in attrs.fields(cl):
        found, value = _lookup(raw, a.name)
        if not found or value is None:
            continue
        key = f"{where}.{_camel(a.name)}"
        tp = hints[a.name]
        got = _structure_value(value, tp, key, errors)
        if got is _BAD:
            continue
        if a.validator is not None:
            try:
                a.validator(None, a, got)
            except (TypeError, ValueError) as e:
                errors.append(f"{key}: {_validator_message(e, got)} (using {_show(_default_of(a))})")
                continue
        kwargs[a.name] = got
    return cl(**kwargs)


_BAD = object()
#: What the converter raises for a bad value (its own hooks raise TypeError/ValueError).
_STRUCTURE_ERRORS = (cattrs.BaseValidationError, TypeError, ValueError, KeyError, AttributeError)


def _default_of(a: attrs.Attribute[Any]) -> object:
    d: Any = a.default
    if isinstance(d, attrs.Factory):  # type: ignore[arg-type]
        return d.factory()
    return d


def _validator_message(e: Exception, value: object) -> str:
    msg = str(e.args[0]) if e.args else str(e)
    if msg.startswith("'"):
        # attrs' own wording ("'debounce_ms' must be >= 0: -1") names the attribute, not the key.
        return f"must not be negative, got {_show(value)}" if ">=" in msg else f"invalid value {_show(value)}"
    return msg


def _structure_value(value: Any, tp: Any, key: str, errors: list[str]) -> Any:
    origin = typing.get_origin(tp)
    if attrs.has(tp):
        return _structure_forgiving(value, tp, key, errors)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if isinstance(value, str):
            value = [value]  # A single glob or stage where a list is expected is meant as a list.
        if not isinstance(value, list):
            errors.append(f"{key}: expected a list, got {_show(value)} (using the default)")
            return _BAD
        items = []
        for i, item in enumerate(value):
            try:
                got = CONVERTER.structure(item, item_tp)
            except _STRUCTURE_ERRORS as e:  # Each bad item costs that item only.
                errors.append(f"{key}[{i}]: {_reason(e)} (ignored)")
                continue
            if got != "":
                items.append(got)
        return items
    if origin is dict:
        _, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            errors.append(f"{key}: expected an object, got {_show(value)} (using the default)")
            return _BAD
        out = {}
        for k, v in value.items():
            try:
                out[str(k)] = CONVERTER.structure(v, val_tp)
            except _STRUCTURE_ERRORS as e:
                errors.append(f"{key}.{k}: {_reason(e)} (ignored)")
        return out
    try:
        return CONVERTER.structure(value, tp)
    except _STRUCTURE_ERRORS as e:
        errors.append(f"{key}: {_reason(e)} (using the default)")
        return _BAD


def _reason(e: BaseException) -> str:
    if isinstance(e, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(e))
    return str(e)


def parse_settings(raw: object, where: str = "sst") -> tuple[Settings, list[str]]:
    """The settings a raw `sst` section describes, and one line per value that was ignored.

    `raw` may be the section itself or `{"sst": section}`; None means "nothing set".
    """
    errors: list[str] = []
    if isinstance(raw, dict) and isinstance(raw.get("sst"), dict) and not any(
        _lookup(raw, a.name)[0] for a in attrs.fields(Settings)
    ):
        raw = raw["sst"]
    settings = _structure_forgiving(raw, Settings, where, errors)
    return settings, errors


@attrs.define(frozen=True)
class InitializationOptions:
    """The raw `sst` sections found in `initializationOptions`, by scope."""

    global_raw: dict[str, Any] | None = None
    """The section for every folder without its own (and for files outside all folders)."""

    folders_raw: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    """Per workspace folder (as the client names it: a URI, or a path), VS Code's shape only."""

    errors: list[str] = attrs.field(factory=list)
    """Shape problems (parse problems of the values come from `parse_settings`)."""


def split_initialization_options(opts: object) -> InitializationOptions:
    """Finds the `sst` sections in any editor's `initializationOptions`.

    VS Code's extension sends `{settings: [{workspaceFolder, ...}], globalSettings: {...}}`;
    other editors `{sst: {...}}` or the section itself.
    """
    if opts is None:
        return InitializationOptions()
    if not isinstance(opts, dict):
        return InitializationOptions(errors=[f"initializationOptions: expected an object, got {_show(opts)}"])
    errors: list[str] = []
    if "globalSettings" in opts or isinstance(opts.get("settings"), list):
        global_raw = opts.get("globalSettings")
        if global_raw is not None and not isinstance(global_raw, dict):
            errors.append(f"initializationOptions.globalSettings: expected an object, got {_show(global_raw)}")
            global_raw = None
        folders: dict[str, dict[str, Any]] = {}
        for i, entry in enumerate(opts.get("settings") or []):
            if not isinstance(entry, dict):
                errors.append(f"initializationOptions.settings[{i}]: expected an object, got {_show(entry)}")
                continue
            folder = entry.get("workspaceFolder") or entry.get("workspace")
            if isinstance(folder, dict):  # A WorkspaceFolder object {uri, name}.
                folder = folder.get("uri")
            if not isinstance(folder, str) or not folder:
                errors.append(f"initializationOptions.settings[{i}]: no workspaceFolder")
                continue
            folders[folder] = {k: v for k, v in entry.items() if k not in ("workspaceFolder", "workspace")}
        return InitializationOptions(global_raw, folders, errors)
    section = opts.get("sst") if isinstance(opts.get("sst"), dict) else opts
    return InitializationOptions(section, {}, errors)


__all__ = [
    "CONVERTER",
    "DEFAULTS",
    "STACK_NAME_MAX",
    "AwsSettings",
    "DiagnosticsSettings",
    "InitializationOptions",
    "Settings",
    "SynthSettings",
    "parse_settings",
    "split_initialization_options",
    "stage_name_problem",
]
