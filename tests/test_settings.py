"""Settings parsing against captured editor payloads (tests/e2e/payloads/): VS Code's
initializationOptions and workspace/configuration answer, Neovim's init_options and settings
section, and a payload full of bad values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.settings import (
    CONVERTER,
    DEFAULTS,
    AwsSettings,
    DiagnosticsSettings,
    Settings,
    SynthSettings,
    parse_settings,
    split_initialization_options,
)

PAYLOADS = Path(__file__).resolve().parent / "e2e" / "payloads"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def test_vscode_initialization_options_per_folder() -> None:
    init = split_initialization_options(payload("vscode_initialization_options.json"))
    assert init.errors == []
    assert sorted(init.folders_raw) == ["file:///home/dev/monorepo", "file:///home/dev/other%20app"]
    mono, errors = parse_settings(init.folders_raw["file:///home/dev/monorepo"])
    assert errors == []
    assert mono == Settings(
        stage="alice",
        aws=AwsSettings(profile="sandbox", region="eu-west-1"),
        diagnostics=DiagnosticsSettings(severity={"handler-case-mismatch": "warning", "stack-not-registered": "off"}),
        exclude=["legacy/**"],
    )
    other, errors = parse_settings(init.folders_raw["file:///home/dev/other%20app"])
    assert errors == []
    assert other.synth == SynthSettings(mode="project")
    assert other.baseline == "assembly:.build/cdk.out"
    assert other.aws.endpoint_url == "http://127.0.0.1:5000"
    assert other.diagnostics.debounce_ms == 0
    assert other.protected_stages == ["prod"]
    glob, errors = parse_settings(init.global_raw)
    assert (glob, errors) == (DEFAULTS, [])


def test_vscode_configuration_answer_ignores_client_only_keys() -> None:
    s, errors = parse_settings(payload("vscode_workspace_configuration.json"))
    assert errors == []  # `server` and `trace` belong to the extension, not to us.
    assert s.stage == "alice" and s.baseline == "git:main"
    assert s.protected_stages == ["prod", "production", "staging"]
    assert s.diagnostics == DiagnosticsSettings(severity={"handler-not-found": "off"}, debounce_ms=300)


def test_neovim_init_options_with_sst_key() -> None:
    init = split_initialization_options(payload("neovim_init_options.json"))
    assert init.folders_raw == {}
    s, errors = parse_settings(init.global_raw)
    assert errors == []
    assert s.stage == "bob"
    # Aliases and a single string where a list is expected are understood.
    assert s.diagnostics.severity == {"handler-export-missing": "warning"}
    assert s.protected_stages == ["prod"]


def test_neovim_settings_section_with_dotted_keys() -> None:
    s, errors = parse_settings(payload("neovim_settings_section.json"))
    assert errors == []
    assert s.stage == "bob"
    assert s.diagnostics.debounce_ms == 50
    assert s.aws == AwsSettings(region="us-west-2")


def test_plain_section_and_nothing() -> None:
    init = split_initialization_options({"stage": "x"})
    assert parse_settings(init.global_raw)[0].stage == "x"
    assert split_initialization_options(None).global_raw is None
    assert parse_settings(None) == (DEFAULTS, [])
    assert parse_settings({"sst": {"stage": "y"}})[0].stage == "y"


def test_bad_values_fall_back_to_defaults_one_line_each() -> None:
    s, errors = parse_settings(payload("bad_values.json"))
    assert s.stage == "" and s.baseline == "git:HEAD" and s.synth.mode == "embedded"
    assert s.aws == AwsSettings()
    assert s.protected_stages == ["prod"]  # The good item is kept.
    assert s.diagnostics == DiagnosticsSettings(severity={"route-invalid": "hint"}, debounce_ms=150)
    assert s.exclude == []
    keys = sorted(e.split(":")[0] for e in errors)
    assert keys == [
        "sst.aws",
        "sst.baseline",
        "sst.diagnostics.debounceMs",
        "sst.diagnostics.severity.handler-not-found",
        "sst.exclude",
        "sst.protectedStages[1]",
        "sst.stage",
        "sst.synth.mode",
    ]
    assert any("'fatal'" in e for e in errors)


@pytest.mark.parametrize(
    "opts, message",
    [
        ("nope", "initializationOptions: expected an object"),
        ({"settings": [3], "globalSettings": {}}, "initializationOptions.settings[0]"),
        ({"settings": [{"stage": "x"}]}, "no workspaceFolder"),
        ({"settings": [], "globalSettings": 5}, "initializationOptions.globalSettings"),
    ],
)
def test_bad_shapes_are_reported(opts: object, message: str) -> None:
    init = split_initialization_options(opts)
    assert any(message in e for e in init.errors), init.errors


def test_workspace_folder_object_form() -> None:
    init = split_initialization_options({"settings": [{"workspaceFolder": {"uri": "file:///a", "name": "a"}, "stage": "s"}]})
    assert init.folders_raw == {"file:///a": {"stage": "s"}}


def test_converter_round_trip_camel_case() -> None:
    s = Settings(stage="x", aws=AwsSettings(endpoint_url="http://127.0.0.1:1"), protected_stages=["p"],
                 diagnostics=DiagnosticsSettings(debounce_ms=0))
    raw = CONVERTER.unstructure(s)
    assert raw["aws"]["endpointUrl"] == "http://127.0.0.1:1"
    assert raw["protectedStages"] == ["p"] and raw["diagnostics"]["debounceMs"] == 0
    assert CONVERTER.structure(raw, Settings) == s
    assert parse_settings(raw) == (s, [])


def test_every_attribute_is_documented() -> None:
    # Each attribute has a docstring right after it (the settings reference is made from them).
    import ast
    import inspect

    import sst_lsp.settings as mod

    tree = ast.parse(inspect.getsource(mod))
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Settings")):
        body = cls.body
        for i, node in enumerate(body):
            if isinstance(node, ast.AnnAssign):
                nxt = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant), (cls.name, ast.unparse(node.target))
