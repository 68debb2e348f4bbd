"""From the static model to the embedded synth's input (cloud layer; pure apart from file reads).

`app_to_spec(app, stage)` turns an `App` into a JSON-able description that the synth worker
builds with aws-cdk-lib (`synth_embedded.py`), so that the worker needs neither tree-sitter nor
the model. Everything that needs the file system or the source is settled here: which file a
handler names, the asset folder and the `Handler` string of each function, the function props
merged the way SST merges them, the route keys and the `stack.addOutputs` calls.

What the spec cannot describe is listed in `spec["skipped"]` (kind, id, stack, reason): a
construct we do not model (frontend sites, v2's Auth, raw CDK classes), a handler whose file is missing, a runtime that needs a build step, an option that
cannot be evaluated statically. Nothing is dropped silently: a function prop that is not
modeled is named in a warning.

SST runs the stack code for one stage, so a prop that depends on it (`autoPause: stack.stage !==
"prod"`, `isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY`, `app.local && ...`, a
conditional spread `...(isProd ? { memorySize: 2048 } : {})`, `` `${app.stage}-notes` ``) is
decided for the spec's stage (model/stage_values.py) before it is read, and the handlers of a
branch that does not run at that stage are not built; one under a condition on anything else
(`process.env.X ? ...`) stays unknown and leaves out what needs it.

A value that cannot be read is never replaced by SST's default: `timeout`/`memorySize` are read
as SST's Function reads them (`_first_duration`, `_first_size`), and an unreadable one, a
runtime, authorizer or route type that cannot be read, or props whose keys hide behind a spread
of something unknown (`_hidden_keys`) leave the construct or function out with the reason.

The stack and entry files are also read here (tree-sitter) for what the model does not record:
`stack.addOutputs`, `app.setDefaultRemovalPolicy` (evaluated for the stage when it sits under a
condition on `app.stage`; read and decided by model/removal.py, which the stateful warnings share),
the app's default function props and
`auth.attachPermissionsForAuthUsers`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sst_lsp import catalog
from sst_lsp.model import stage_values
from sst_lsp.model.types import App, Construct, Entry, HandlerRef, StackDef, Value

if TYPE_CHECKING:
    from tree_sitter import Node

    from sst_lsp.syntax.parser import ParsedFile
    from sst_lsp.syntax.text import TextRange

SPEC_VERSION = 1

#: SST constructs the embedded synth builds (the catalog's kinds with a builder, as the engine's
#: `MODELED_KINDS`; this module does not import the engine).
MODELED_KINDS = catalog.modeled_kinds()

#: Frontend sites: they need the app's own build (and SST's deploy custom resources).
SITE_KINDS = frozenset(s.kind for s in catalog.SPECS if s.origin == "sst" and s.site)


def _builder(c: Construct) -> str | None:
    """The embedded synth's builder key of a v0-v2 construct (the catalog's `Spec.builder`)."""
    return catalog.builders().get(c.kind) if c.origin == "sst" else None

#: SST v1 defaulted to nodejs14.x and v2 to nodejs16.x/18.x; Lambda no longer creates functions
#: with those, so an app that names no runtime gets this one (and a warning says so).
DEFAULT_NODE_RUNTIME = "nodejs22.x"

#: Folders never shipped in a function's asset.
ASSET_EXCLUDES = (
    "node_modules", "**/node_modules", ".git", ".sst", ".build", ".sst-lsp", "cdk.out", "**/__pycache__",
    ".venv", ".mypy_cache", ".pytest_cache",
)

NODE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})


#: How a message names a value that is not a construct.
_VALUE_NAMES = {"number": "a number", "bool": "a boolean", "object": "an object", "array": "an array",
                "null": "null", "undefined": "undefined"}


class SpecBuildError(Exception):
    """The app cannot be synthesized at all (message meant for the user)."""


def app_to_spec(app: App, stage: str, *, esbuild: str | None = None) -> dict[str, Any]:
    """The embedded synth's input for `app` at `stage`.

    `esbuild`: the path of an esbuild binary found in the app's own node_modules; when given,
    node handlers carry a `bundle` request that `synth.py` runs before the synth.
    """
    if app.generation == "v3":
        raise SpecBuildError("SST v3 apps are Pulumi programs, not CDK apps: there is nothing to synthesize")
    if not app.name:
        raise SpecBuildError(f"The app at {app.root} has no name in its config")
    b = _SpecBuilder(app, stage, esbuild)
    return b.build()


class _SpecBuilder:
    def __init__(self, app: App, stage: str, esbuild: str | None) -> None:
        self.app = app
        self.stage = stage
        self.esbuild = esbuild
        self.skipped: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.default_runtime_used = False
        #: (kind, id, stack) -> the handlers found in that construct, in model order.
        self.handlers_by_construct: dict[tuple[str | None, str | None, str | None], list[HandlerRef]] = {}
        for h in app.handlers:
            self.handlers_by_construct.setdefault((h.construct_kind, h.construct_id, h.stack), []).append(h)
        #: (stack, Api id) -> the authorizers its routes use.
        self.api_auth: dict[tuple[str | None, str], dict[str, Any]] = {}
        #: (stack, variable) -> its EventBus method calls (`_StackCalls.bus_calls`).
        self.bus_calls: dict[tuple[str, str], list[tuple[str, list[Value], Path]]] = {}
        #: Stack -> its `auth.attach(scope, { api })` calls (`_StackCalls.auth_attach`).
        self.auth_attach: dict[str, list[dict[str, Any]]] = {}
        #: The EventBus being read: each function target of its method calls, as (file, range of
        #: the value, the model's position label for it, function id, scope, extra spec fields).
        self.bus_places: list[tuple[Path, TextRange, str, str, str, dict[str, Any]]] = []

    def at_stage(self, v: Value) -> Value:
        """`v` with its choices on the stage decided for the synth's stage (model/stage_values.py):
        SST runs the stack code for one stage, so `stack.stage === "prod" ? 10 : 1` is one value."""
        return stage_values.decide(v, self.stage) or v

    def skip(self, kind: str, cid: str, stack: str | None, reason: str) -> None:
        self.skipped.append({"kind": kind, "id": cid, "stack": stack, "reason": reason})

    # ------------------------------------------------------------------------------------------
    def build(self) -> dict[str, Any]:
        app = self.app
        stacks_out: list[dict[str, Any]] = []
        ids = {s.id for s in app.stacks}
        by_stack: dict[str, list[Construct]] = {s.id: [] for s in app.stacks}
        for c in app.constructs:
            if c.stack is None:
                self.skip(c.kind, c.id, None, "created outside any stack")
            elif c.stack not in ids:
                self.skip(c.kind, c.id, c.stack, "its stack is not added to the app")
            else:
                by_stack[c.stack].append(c)
        calls = _stack_calls(app, self.stage)
        self.bus_calls = calls.bus_calls
        self.auth_attach = calls.auth_attach
        outputs = calls.outputs
        self.warnings.extend(calls.warnings)
        seen_names: set[str] = set()
        for s in app.stacks:
            if s.stack_name_expr is not None:
                # SST deploys the name this expression evaluates to; another name would be a
                # second copy of the stack's resources.
                self.skip("Stack", s.id, s.id, f"its stackName ({s.stack_name_expr}) is computed when SST runs")
                continue
            name = s.physical_name(self.stage, app.name or "")
            if name in seen_names:
                self.skip("Stack", s.id, s.id, f"a second stack named {name}")
                continue
            seen_names.add(name)
            # SST copies the app's default function props into each stack, before its own.
            defaults = list(calls.app_defaults)
            defaults.extend(s.definition.default_function_props if s.definition is not None else ())
            defaults.extend(calls.stack_extra.get(s.id, []))
            defaults = [self.at_stage(v) for v in defaults]
            constructs = []
            for c in by_stack[s.id]:
                spec = self.construct(c, defaults)
                if spec is not None:
                    constructs.append(spec)
            st_out: dict[str, Any] = {
                "id": s.id, "name": name, "constructs": constructs, "outputs": outputs.get(s.id, []),
            }
            if calls.auth_grants.get(s.id):
                st_out["auth_grants"] = calls.auth_grants[s.id]
            policy = calls.stack_policies.get(s.id) or calls.app_policy
            if policy is not None:
                st_out["removal_policy"] = policy
            stacks_out.append(st_out)
        if self.default_runtime_used:
            self.warnings.append(
                f"functions without a runtime use {DEFAULT_NODE_RUNTIME} (SST's own default runtime is "
                "one Lambda no longer accepts for new functions)"
            )
        return {
            "version": SPEC_VERSION,
            "app": app.name,
            "stage": self.stage,
            "region": app.region,
            "generation": app.generation,
            "root": str(app.root),
            "stacks": stacks_out,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }

    # ------------------------------------------------------------------------------------------
    def construct(self, c: Construct, stack_defaults: list[Value]) -> dict[str, Any] | None:
        gone: list[tuple[Path | None, TextRange]] = []
        if stage_values.depends_on_stage(c.props):
            gone = stage_values.dropped(c.props, self.stage)
            c = dataclasses.replace(c, props=stage_values.decide(c.props, self.stage))
            spread = stage_values.undecided(c.props)
            if spread is not None:
                self.skip(c.kind, c.id, c.stack, f"its props spread a value under a condition that cannot be "
                          f"evaluated statically (`{_short(spread)}`)")
                return None
        hidden = _hidden_keys(c.props, "props")
        if hidden is not None and c.kind not in SITE_KINDS:
            self.skip(c.kind, c.id, c.stack, hidden)
            return None
        raw = catalog.spec_for(c.origin, c.kind) if c.origin not in ("sst", "sst3") else None
        if raw is not None and raw.builder == "cdk":
            return self.raw_cdk(c)
        if c.origin != "sst":
            self.skip(c.kind, c.id, c.stack, f"a raw CDK construct ({c.origin}): not modeled by the embedded synth")
            return None
        if c.kind in SITE_KINDS:
            self.skip(c.kind, c.id, c.stack, "a frontend site needs the app's own build: not modeled by the "
                      "embedded synth (use synth mode `project`)")
            return None
        cat = catalog.spec_for(c.origin, c.kind)
        own = dict(cat.builder_in).get(self.app.generation or "") if cat is not None else None
        if own == "sst_auth" or (c.kind == "Auth" and _get(c.props, "authenticator") is not None):
            # SST's own Auth: v2's, or v1.16+'s (which takes an authenticator).
            return self.sst_auth(c)
        unsupported_here = dict(cat.synth_unsupported_in).get(self.app.generation or "") if cat is not None else None
        if unsupported_here is not None:
            self.skip(c.kind, c.id, c.stack, f"{unsupported_here} (use synth mode `project`)")
            return None
        if cat is not None and cat.synth_unsupported is not None:
            self.skip(c.kind, c.id, c.stack, f"{cat.synth_unsupported}: not modeled by the embedded synth "
                      "(use synth mode `project`)")
            return None
        if c.kind not in MODELED_KINDS:
            self.skip(c.kind, c.id, c.stack, "not modeled by the embedded synth (use synth mode `project`)")
            return None
        if c.dynamic_id:
            self.skip(c.kind, c.id, c.stack, "its id is computed at run time")
            return None
        props = c.props if c.props is not None and c.props.kind == "object" else None
        if c.props is not None and props is None:
            self.skip(c.kind, c.id, c.stack, f"its props cannot be evaluated statically (`{c.props.text[:60]}`)")
            return None
        spec: dict[str, Any] = {
            "kind": c.kind,
            "id": c.id,
            "var": c.var_name,
            "props": _plain_props(props),
        }
        handlers = self.handlers_by_construct.get((c.kind, c.id, c.stack), [])
        if gone:
            # A branch that does not run at this stage (`...(isProd ? { "GET /admin": ... } : {})`).
            handlers = [h for h in handlers if not any((p or c.path) == h.path and r.contains_range(h.range)
                                                       for p, r in gone)]
        cdefaults = _construct_defaults(props)
        builder = _builder(c)
        if builder == "graphql":
            # SST v1's GraphQLApi: an Api whose `GET {rootPath}` and `POST {rootPath}` routes share
            # one function and integration (GraphQLApi.ts createFunctionIntegration).
            root_s, unread = _string_prop([_get(props, "rootPath")], "rootPath")
            gauth, unread_auth = _string_prop([_get(_get(props, "defaults"), "authorizer"),
                                               _get(props, "defaultAuthorizationType")], "authorizer")
            if (unread or unread_auth) is not None:
                self.skip(c.kind, c.id, c.stack, str(unread or unread_auth))
                return None
            root = root_s or "/"
            server = next((h for h in handlers if h.position == "GraphQL server"), None)
            if _get(props, "customDomain") is not None:
                self.skip(c.kind, c.id, c.stack, custom_domain_reason(_get(props, "customDomain")))
                return None
            get: dict[str, Any] = {"key": f"GET {root}", "method": "GET", "path": root, "postfix": f"GET_{root}",
                                   "scope": "construct", "auth": "none", "payload": "2.0"}
            if gauth is not None and gauth.lower() not in ("none", "iam", "aws_iam"):
                self.skip(c.kind, c.id, c.stack, f'authorizer "{gauth}" on a GraphQLApi is not modeled')
                return None
            get["auth"] = "iam" if gauth is not None and gauth.lower() in ("iam", "aws_iam") else "none"
            if server is not None:
                fs = self.function(server, f"Lambda_GET_{root}", "construct", cdefaults, stack_defaults, c)
                if fs is None:
                    return None
                get["function"] = fs
            else:
                var = self.var_of(_get(props, "server"), c.path)
                if var is None:
                    self.skip(c.kind, c.id, c.stack, f'Missing "server" in the "{c.id}" GraphQLApi')
                    return None
                get["fn_ref"] = var
            post = {**{k: v for k, v in get.items() if k not in ("function", "fn_ref")}, "key": f"POST {root}",
                    "method": "POST", "postfix": f"POST_{root}", "same_as": f"GET {root}"}
            spec["routes"] = [get, post]
            return spec
        if builder == "websocket":
            reason = self.websocket(c, props, spec, handlers, cdefaults, stack_defaults)
            if reason is not None:
                self.skip(c.kind, c.id, c.stack, reason)
                return None
            return spec
        if builder == "api" and _get(props, "customDomain") is not None:
            self.skip(c.kind, c.id, c.stack, custom_domain_reason(_get(props, "customDomain")))
            return None
        if builder == "api":
            spec["routes"] = self.routes(c, props, handlers, cdefaults, stack_defaults)
            self.auth_routes(c, spec["routes"], cdefaults, stack_defaults)
            auth = self.api_auth.get((c.stack, c.id))
            if auth:
                spec["authorizers"] = auth
            return spec
        if builder == "rds":
            azs = context_azs(self.app.root, self.app.region)
            if azs:
                spec["azs"] = azs
        if builder == "script":
            if self.app.generation != "v2":
                self.skip(c.kind, c.id, c.stack, "only SST v2's Script is modeled by the embedded synth (v0/v1's "
                          "custom resource differs: use synth mode `project`)")
                return None
            # SST's createUserFunction: `{ timeout: 900, ...defaults.function }` under each function.
            cdefaults = _with_default(cdefaults, "timeout", 900.0)
        functions: list[dict[str, Any]] = []
        names: set[str] = set()
        bus_ops: list[dict[str, Any]] = []
        self.bus_places = []
        if builder == "eventbus":
            bus_ops = self.bus_method_ops(c, props)
        for h in handlers:
            fid, where, extra = self.function_id(c, props, h)
            fn_defaults = None if extra.pop("no_defaults", False) else cdefaults
            if fid is None:
                if where != "left out":
                    self.skip(f"{c.kind} function", f"{c.id}: {h.position}", c.stack, _unplaced(builder, h.position))
                continue
            if fid in names:
                self.skip(f"{c.kind} function", f"{c.id}/{fid}", c.stack, f"a second function with id {fid}")
                continue
            options, reason = self.entry_options(c, props, h)
            if reason is not None:
                self.skip(f"{c.kind} function", f"{c.id}/{fid}", c.stack, reason)
                continue
            fs = self.function(h, fid, where, fn_defaults, stack_defaults, c)
            if fs is not None:
                fs.update(extra)
                fs.update(options)
                functions.append(fs)
                names.add(fid)
        spec["functions"] = functions
        if builder == "topic" and props is not None:
            spec["queue_subscribers"] = self.queue_subscribers(props, c.path, c, functions)
        if builder == "eventbus":
            spec["rules"] = self.bus_rules(c, props, functions)
            self.apply_bus_ops(c, spec["rules"], bus_ops, functions)
        if builder in _REF_FIELDS:
            refs = self.construct_refs(c, props, functions)
            if refs:
                spec["fn_refs"] = refs
        if builder == "cron":
            job = _get(props, "job")
            if job is not None and job.kind == "object" and (job.get("cdk") is not None or job.get("jobProps") is not None):
                self.skip(c.kind, c.id, c.stack, "the job's `cdk.target` options are not modeled")
                return None
            if not functions:
                var = self.var_of(job.get("function") if job is not None and job.kind == "object" else job, c.path)
                if var is not None:
                    spec["fn_ref"] = var  # `job: fn`, a Function construct held in a variable.
                    return spec
        if builder == "script":
            reason = self.script(c, props, spec, functions)
            if reason is not None:
                self.skip(c.kind, c.id, c.stack, reason)
                return None
            return spec
        if builder == "appsync":
            reason = self.appsync(c, props, spec, functions)
            if reason is not None:
                self.skip(c.kind, c.id, c.stack, reason)
                return None
            return spec
        if builder == "queue":
            reason = self.queue_options(props, spec, functions)
            if reason is not None:
                self.skip(c.kind, c.id, c.stack, reason)
                return None
        if builder in ("function", "cron") and not functions:
            if not any(s["id"] == c.id for s in self.skipped):
                self.skip(c.kind, c.id, c.stack, "no handler could be evaluated statically")
            return None
        return spec

    def raw_cdk(self, c: Construct) -> dict[str, Any] | None:
        """A raw CDK class created in a stack (`new dynamodb.Table(stack, "Notes", {...})`): its
        literal props, for aws-cdk-lib to build as it is (CDK durations as `{"$seconds": n}`)."""
        label = f"a raw CDK construct ({c.origin})"
        if c.dynamic_id:
            self.skip(c.kind, c.id, c.stack, "its id is computed at run time")
            return None
        if c.scope not in ("stack", "this", "props.stack", "ctx.stack"):
            self.skip(c.kind, c.id, c.stack, f"{label} created in `{c.scope}`, not in the stack: not modeled by the "
                      "embedded synth (use synth mode `project`)")
            return None
        props = c.props if c.props is not None and c.props.kind == "object" else None
        if c.props is not None and props is None:
            self.skip(c.kind, c.id, c.stack, f"its props cannot be evaluated statically (`{c.props.text[:60]}`)")
            return None
        data: dict[str, Any] = {}
        for e in props.entries if props is not None else ():
            secs = _duration_seconds(e.value) if e.value.kind == "unknown" else None
            code = _lambda_code(e.value, self.app.root) if e.key == "code" else None
            data[e.key] = {"$seconds": secs} if secs is not None else code or e.value.to_python()
        return {"kind": c.kind, "origin": c.origin, "builder": "cdk", "id": c.id, "var": c.var_name, "props": data}

    def sst_auth(self, c: Construct) -> dict[str, Any] | None:
        """SST's own Auth (v1.16+, v2): the construct itself; its authenticator becomes the
        routes `auth.attach(scope, { api })` adds to the Api (`auth_routes`)."""
        if c.dynamic_id:
            self.skip(c.kind, c.id, c.stack, "its id is computed at run time")
            return None
        props = c.props if c.props is not None and c.props.kind == "object" else None
        if props is None or props.get("authenticator") is None or any(
                props.get(k) is not None for k in ("defaults", "login", "triggers", "identityPoolFederation", "cdk")):
            self.skip(c.kind, c.id, c.stack, "It looks like you may be passing in Cognito props to the Auth construct. "
                      "The Auth construct was renamed to Cognito in version 1.10.0")
            return None
        spec: dict[str, Any] = {"kind": c.kind, "builder": "sst_auth", "id": c.id, "var": c.var_name, "props": {}}
        attached = [a for calls in self.auth_attach.values() for a in calls
                    if a["auth"] == c.var_name and a["stack"] == c.stack]
        if attached and attached[0]["prefix"] is not False:
            # SST writes the prefix parameter on the first attach.
            spec["prefix"] = attached[0]["prefix"] or "/auth"
        return spec

    def auth_routes(self, api: Construct, routes: list[dict[str, Any]], cdefaults: Value | None,
                    stack_defaults: list[Value]) -> None:
        """`auth.attach(scope, { api, prefix })` (SST's Auth.attach): the routes
        `ANY {prefix}/{proxy+}` and `GET {prefix}` with the authenticator, no authorizer, the
        prefix and both keys in their environment; then (Auth.injectConfig) every function
        route of the Api is bound to the Auth."""
        attached = [at for at in self.auth_attach.get(api.stack or "", [])
                    if api.var_name and self.var_of(at["api"], at["path"]) == api.var_name]
        for at in attached[:1]:
            auth = next((c for c in self.app.constructs if c.kind == "Auth" and c.var_name == at["auth"]
                         and c.stack == at["stack"]), None)
            label = f"{at['auth']}.attach"
            h = next((h for h in self.handlers_by_construct.get(("Auth", auth.id, auth.stack), [])
                      if h.position == "Auth authenticator"), None) if auth is not None else None
            if auth is None or h is None:
                self.skip("Auth routes", label, api.stack, f"`{at['auth']}` is not an Auth construct with an "
                          "authenticator the embedded synth could read")
                continue
            prefix = "/auth" if at["prefix"] is None else at["prefix"]
            if not isinstance(prefix, str):
                self.skip("Auth routes", label, api.stack, "its prefix cannot be evaluated statically")
                continue
            for method, path in (("ANY", f"{prefix}/{{proxy+}}"), ("GET", prefix)):
                key, postfix = f"{method} {path}", f"{method}_{path}"
                if any(r["key"] == key for r in routes):
                    self.skip("Api route", f"{api.id}/{key}", api.stack, f'A route already exists for "{key}"')
                    continue
                fs = self.function(h, f"Lambda_{postfix}", "stack", cdefaults, stack_defaults, api)
                if fs is None:
                    continue
                fs["environment"].update({f"SST_Auth_prefix_{auth.id}": prefix,
                                          f"SST_Auth_publicKey_{auth.id}": AUTH_PLACEHOLDER,
                                          f"SST_Auth_privateKey_{auth.id}": AUTH_PLACEHOLDER})
                fs["auth_keys"] = auth.id
                routes.append({"key": key, "method": method, "path": path, "postfix": postfix, "scope": "stack",
                               "auth": "none", "payload": "2.0", "function": fs})
            for r in routes:
                if "function" in r:
                    r["function"]["bind"].append({"$ref": at["auth"]})
                elif "fn_ref" in r:
                    r["auth_bind"] = at["auth"]
        for at in attached[1:]:
            self.skip("Auth routes", f"{at['auth']}.attach", api.stack,
                      "This Api construct already has an Auth construct attached.")

    def function_id(self, c: Construct, props: Value | None, h: HandlerRef) -> tuple[str | None, str, dict[str, Any]]:
        """SST's construct id for the function at `h`, and whether it sits in the construct."""
        name = _quoted(h.position)
        builder = _builder(c)
        if builder == "function":
            return c.id, "stack", {}
        if builder == "cron":
            return "Job", "construct", {}
        if builder == "script":
            kind = h.position.removeprefix("Script ")
            return (f"{kind}Function", "construct", {"type": kind}) if kind in _SCRIPT_KINDS else (None, "", {})
        if builder == "queue":
            return f"Consumer_{c.id}", "construct" if _get(props, "consumer") is not None else "stack", {}
        if name is None:
            return None, "", {}
        if builder == "table":
            return f"Consumer_{c.id}_{name}", _where(props, "consumers", name), {}
        if builder == "topic":
            return f"Subscriber_{c.id}_{name}", _where(props, "subscribers", name), {}
        if builder == "kinesis":
            return f"Consumer_{c.id}_{name}", _where(props, "consumers", name), {}
        if builder == "appsync" and h.position.startswith("data source "):
            return f"Lambda_{name}", _where(props, "dataSources", name), {"ds": name}
        if builder == "appsync" and h.route is not None:
            key = " ".join(h.route.split())
            parts = key.split(" ")
            if len(parts) != 2:
                return None, "", {}
            rs = _get(props, "resolvers")
            own = rs is not None and rs.kind == "object" and any(" ".join(e.key.split()) == key for e in rs.entries)
            return f"Lambda_{parts[0]}_{parts[1]}", "construct" if own else "stack", {"resolver": key}
        if builder == "cognito":
            return name, "construct", {"trigger": name}
        if builder == "eventbus":
            # The handler inside a call's target value; a handler from a helper in another file
            # keeps its own range there, so it is then matched by its position label, in order.
            place = next((p for p in self.bus_places if p[0] == h.path and p[1].contains_range(h.range)), None) \
                or next((p for p in self.bus_places if p[2] == h.position), None)
            if place is not None:
                self.bus_places.remove(place)
                if not place[3]:
                    # A call left out as a whole: the call's reason covers its handler.
                    return None, "left out", {}
                return place[3], place[4], dict(place[5])
            m = re.fullmatch(r'rule "(.*)" target "(.*)"', h.position)
            if m is None or _get(_get(props, "rules"), m.group(1)) is None:
                return None, "", {}
            return f"Target_{c.id}_{m.group(1)}_{m.group(2)}", "construct", {"rule": m.group(1), "target": m.group(2)}
        if builder == "bucket":
            extra: dict[str, Any] = {}
            n = _get(_get(props, "notifications"), name)
            ev = _get(n, "events")
            if ev is not None and ev.kind == "array" and all(i.kind == "string" for i in ev.items):
                extra["events"] = [i.value for i in ev.items]
            return f"Notification_{c.id}_{name}", _where(props, "notifications", name), extra
        return None, "", {}

    # ------------------------------------------------------------------------------------------
    def routes(self, c: Construct, props: Value | None, handlers: list[HandlerRef], cdefaults: Value | None,
               stack_defaults: list[Value]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        routes_v = _get(props, "routes")
        in_props = {" ".join(e.key.split()) for e in routes_v.entries} if routes_v is not None and routes_v.kind == "object" else set()
        by_key: dict[str, HandlerRef] = {}
        for h in handlers:
            if h.route is not None:
                by_key.setdefault(" ".join(h.route.split()), h)
        keys: list[str] = []
        if routes_v is not None and routes_v.kind == "object":
            keys.extend(" ".join(e.key.split()) for e in routes_v.entries)
        keys.extend(k for k in by_key if k not in in_props)
        defaults = _get(props, "defaults")
        authorizers: dict[str, dict[str, Any] | str] | None = None
        for key in keys:
            label = f"{c.id}/{key}"
            if key in seen:
                self.skip("Api route", label, c.stack, f'A route already exists for "{key}"')
                continue
            seen.add(key)
            if key == "$default":
                method, path, postfix = "ANY", "$default", "default"
            else:
                parts = key.split(" ")
                if len(parts) != 2 or parts[0].upper() not in HTTP_METHODS or not parts[1]:
                    self.skip("Api route", label, c.stack, f"Invalid route {key}")
                    continue
                method, path = parts[0].upper(), parts[1]
                postfix = f"{method}_{path}"
            entry = _entry_value(routes_v, key)
            route_obj = entry if entry is not None and entry.kind == "object" else None
            rtype, unread = _string_prop([_get(route_obj, "type")], "type")
            auth_s, unread_auth = _string_prop([_get(route_obj, "authorizer"), _get(defaults, "authorizer"),
                                                _get(props, "defaultAuthorizationType")], "authorizer")
            payload_s, unread_payload = _string_prop([_get(route_obj, "payloadFormatVersion"),
                                                      _get(defaults, "payloadFormatVersion")], "payloadFormatVersion")
            unread = unread or unread_auth or unread_payload
            if unread is not None:
                # Not SST's default in its place: an authorizer read as "none" opens the route.
                self.skip("Api route", label, c.stack, unread)
                continue
            if rtype in ("url", "alb", "graphql", "pothos"):
                self.skip("Api route", label, c.stack, f'"{rtype}" routes are not modeled')
                continue
            auth = auth_s or "none"
            auth = {"aws_iam": "iam", "iam": "iam", "none": "none"}.get(auth.lower(), auth)
            scopes: list[str] | None = None
            if auth not in ("iam", "none"):
                # Building the route without its authorizer would open it to everyone.
                if authorizers is None:
                    authorizers = self.api_authorizers(c, props)
                found = authorizers.get(auth)
                if found is None:
                    self.skip("Api route", label, c.stack, f'Cannot find authorizer "{auth}"')
                    continue
                if isinstance(found, str):
                    self.skip("Api route", label, c.stack, f'authorizer "{auth}": {found}')
                    continue
                if found["type"] in ("jwt", "user_pool"):
                    sv = _get(route_obj, "authorizationScopes") or _get(defaults, "authorizationScopes")
                    if sv is not None:
                        if sv.kind != "array" or not all(i.kind == "string" for i in sv.items):
                            self.skip("Api route", label, c.stack, "authorizationScopes cannot be evaluated statically")
                            continue
                        scopes = [str(i.value) for i in sv.items]
            payload = payload_s or "2.0"
            r: dict[str, Any] = {
                "key": key, "method": method, "path": path, "postfix": postfix,
                "scope": "construct" if key in in_props else "stack", "auth": auth, "payload": payload,
            }
            if scopes is not None:
                r["scopes"] = scopes
            hr = by_key.get(key)
            if hr is not None:
                fs = self.function(hr, f"Lambda_{postfix}", r["scope"], cdefaults, stack_defaults, c)
                if fs is None:
                    continue
                r["function"] = fs
            else:
                ref = entry
                if ref is not None and ref.kind == "object":
                    ref = ref.get("function")
                var = self.var_of(ref, c.path)
                if var is not None:
                    r["fn_ref"] = var
                else:
                    self.skip("Api route", label, c.stack, "its function cannot be evaluated statically")
                    continue
            out.append(r)
        if authorizers:
            used = {r["auth"] for r in out}
            spec_auth = {k: v for k, v in authorizers.items() if isinstance(v, dict) and k in used}
            if spec_auth:
                self.api_auth[(c.stack, c.id)] = spec_auth
        return out

    def script(self, c: Construct, props: Value | None, spec: dict[str, Any],
               functions: list[dict[str, Any]]) -> str | None:
        """SST v2's Script (Script.ts): `{type}Function` per onCreate/onUpdate/onDelete (built here,
        or a Function construct held in a variable), its `params` and `version`; the reason when it
        cannot be modeled."""
        built = {f["type"] for f in functions}
        dfn = _get(_get(props, "defaults"), "function")
        defaults_fn = dfn is not None and not (dfn.kind == "object" and not dfn.entries)
        refs: list[dict[str, Any]] = []
        for kind in _SCRIPT_KINDS:
            v = _get(props, kind)
            if v is None or kind in built:
                continue
            var = self.var_of(v, c.path)
            if var is None:
                if not any(s["id"] == f"{c.id}/{kind}Function" for s in self.skipped):
                    return f"its {kind} function cannot be evaluated statically"
                return f"its {kind} function is left out (listed above)"
            if defaults_fn:
                return (f'The "defaults.function" cannot be applied if an instance of a Function construct is '
                        f'passed in ({kind}; SST\'s Script refuses it)')
            refs.append({"type": kind, "fn_ref": var})
        if not built and not refs:
            return (f'Need to provide at least one of "onCreate", "onUpdate", or "onDelete" functions for the '
                    f'"{c.id}" Script')
        if refs:
            spec["fn_refs"] = refs
        params = _get(props, "params")
        if params is not None:
            plain = params.to_python() if params.kind == "object" and _is_json(params) else None
            if not isinstance(plain, dict):
                return "its `params` cannot be evaluated statically (they are sent as JSON)"
            spec["params"] = plain
        version = _get(props, "version")
        if version is not None and version.kind != "string":
            return "its `version` cannot be evaluated statically"
        if version is not None:
            spec["version"] = version.value
        else:
            self.warnings.append(
                f"Script {c.id}: its onUpdate runs when the Script's input changes (SST stamps the build time, "
                "so it runs on every deploy there); set `version` to choose when it runs"
            )
        return None

    def websocket(self, c: Construct, props: Value | None, spec: dict[str, Any], handlers: list[HandlerRef],
                  cdefaults: Value | None, stack_defaults: list[Value]) -> str | None:
        """SST v2's WebSocketApi (WebSocketApi.ts): its routes in order (props, then `addRoutes`),
        each a function `{routeKey}` built from its definition or a Function construct held in a
        variable, the authorizer of `$connect`, and the access log; the reason when it cannot be
        modeled."""
        if self.app.generation != "v2":
            return ("only SST v2's WebSocketApi is modeled by the embedded synth (v0/v1 build another tree: "
                    "use synth mode `project`)")
        if _get(props, "customDomain") is not None:
            return custom_domain_reason(_get(props, "customDomain"))
        cdk_v = _get(props, "cdk")
        for key in ("webSocketApi", "webSocketStage"):
            if _get(cdk_v, key) is not None:
                return f"`cdk.{key}` is not modeled"
        auth = _get(props, "authorizer")
        auth_s = _str(auth) if auth is not None else "none"
        if auth_s not in ("none", "iam"):
            return "a Lambda authorizer on a WebSocketApi is not modeled" if auth is not None and \
                auth.kind == "object" else "its authorizer cannot be evaluated statically"
        spec["authorizer"] = auth_s
        log = _get(props, "accessLog")
        if log is not None:
            if log.kind == "bool" or log.kind == "string":
                spec["access_log"] = log.value
            elif log.kind == "object" and log.get("destinationArn") is None and all(
                    e.key in ("format", "retention") and e.value.kind == "string" for e in log.entries):
                spec["access_log"] = {e.key: e.value.value for e in log.entries}
            else:
                return "its `accessLog` cannot be evaluated statically (or names a destinationArn: not modeled)"
        routes_v = _get(props, "routes")
        in_props = [(" ".join(e.key.split()), e.value) for e in routes_v.entries] \
            if routes_v is not None and routes_v.kind == "object" else []
        by_key: dict[str, HandlerRef] = {}
        for h in handlers:
            if h.route is not None:
                by_key.setdefault(h.route.strip(), h)
        keys = [k for k, _ in in_props] + [k for k in by_key if k not in {k for k, _ in in_props}]
        values = dict(in_props)
        dfn = _get(_get(props, "defaults"), "function")
        defaults_fn = dfn is not None and not (dfn.kind == "object" and not dfn.entries)
        routes: list[dict[str, Any]] = []
        seen: set[str] = set()
        for key in keys:
            label = f"{c.id}/{key}"
            if key in seen:
                self.skip("WebSocketApi route", label, c.stack, f'A route already exists for "{key}"')
                continue
            seen.add(key)
            r: dict[str, Any] = {"key": key, "scope": "construct" if key in values else "stack"}
            hr = by_key.get(key)
            if hr is not None:
                fs = self.function(hr, key, r["scope"], cdefaults, stack_defaults, c)
                if fs is None:
                    continue
                r["function"] = fs
            else:
                ref = values.get(key)
                if ref is not None and ref.kind == "object":
                    ref = ref.get("function")
                var = self.var_of(ref, c.path)
                if var is None:
                    self.skip("WebSocketApi route", label, c.stack, "its function cannot be evaluated statically")
                    continue
                if defaults_fn:
                    self.skip("WebSocketApi route", label, c.stack, 'The "defaults.function" cannot be applied if '
                              "an instance of a Function construct is passed in (SST's WebSocketApi refuses it)")
                    continue
                r["fn_ref"] = var
            routes.append(r)
        spec["routes"] = routes
        return None

    def api_authorizers(self, c: Construct, props: Value | None) -> dict[str, dict[str, Any] | str]:
        """An Api's `authorizers` (SST's Api.addAuthorizers): key -> what the engine builds, or
        the reason it cannot be."""
        out: dict[str, dict[str, Any] | str] = {}
        av = _get(props, "authorizers")
        for e in av.entries if av is not None and av.kind == "object" else ():
            v = e.value
            atype = _str(_get(v, "type"))
            if v.kind != "object" or atype not in ("jwt", "user_pool", "lambda"):
                out[e.key] = "its props cannot be evaluated statically" if atype is None else f'type "{atype}" is unknown'
                continue
            if _get(v, "cdk") is not None:
                out[e.key] = "`cdk.authorizer` is not modeled"
                continue
            a: dict[str, Any] = {"type": atype}
            name = _get(v, "name")
            if name is not None:
                if name.kind != "string":
                    out[e.key] = "its name cannot be evaluated statically"
                    continue
                a["name"] = name.value
            ids = _get(v, "identitySource")
            if ids is not None:
                if ids.kind != "array" or not all(i.kind == "string" for i in ids.items):
                    out[e.key] = "identitySource cannot be evaluated statically"
                    continue
                a["identitySource"] = [i.value for i in ids.items]
            reason: str | None = None
            if atype == "user_pool":
                pool = _get(v, "userPool")
                pid = _get(pool, "id")
                if pid is None:
                    reason = f'Missing "userPool" for "{e.key}" authorizer'
                else:
                    a["userPoolId"] = _scalar(pid)
                    cids = _get(pool, "clientIds")
                    if cids is not None:
                        a["clientIds"] = [_scalar(i) for i in cids.items] if cids.kind == "array" else None
                        if a["clientIds"] is None:
                            reason = "clientIds cannot be evaluated statically"
                    region = _get(pool, "region")
                    if region is not None:
                        a["region"] = _scalar(region)
            elif atype == "jwt":
                jwt = _get(v, "jwt")
                issuer = _get(jwt, "issuer")
                if issuer is None:
                    reason = f'Missing "jwt" for "{e.key}" authorizer'
                else:
                    a["issuer"] = _scalar(issuer)
                    aud = _get(jwt, "audience")
                    a["audience"] = [_scalar(i) for i in aud.items] if aud is not None and aud.kind == "array" else []
                    if aud is not None and aud.kind != "array":
                        reason = "audience cannot be evaluated statically"
            else:
                fn = _get(v, "function")
                item = self.grant_item(fn, 1, c) if fn is not None else None
                if not isinstance(item, dict) or not ("$ref" in item or "$construct" in item):
                    reason = f'Missing "function" for "{e.key}" authorizer' if fn is None else \
                        "its function must be a Function construct (`new Function(...)` or a variable holding one)"
                else:
                    a["function"] = item
                rt = _get(v, "responseTypes")
                if rt is not None:
                    if rt.kind != "array" or not all(i.kind == "string" for i in rt.items):
                        reason = "responseTypes cannot be evaluated statically"
                    else:
                        a["responseTypes"] = [str(i.value) for i in rt.items]
                ttl = _get(v, "resultsCacheTtl")
                if ttl is not None:
                    secs = _first_duration([Value("object", ttl.range, entries=(Entry("t", ttl.range, ttl),))], "t", -1)
                    if isinstance(secs, str) or secs < 0:
                        reason = "resultsCacheTtl cannot be evaluated statically"
                    a["resultsCacheTtl"] = secs
            out[e.key] = reason if reason is not None else a
        return out

    def var_of(self, v: Value | None, path: Path) -> str | None:
        """The variable a value names when it holds a construct: `fn` or, followed through a
        `const`, the `new Function(...)` expression of a construct we know."""
        if v is None:
            return None
        if v.kind == "ref" and re.fullmatch(r"[A-Za-z_$][\w$]*", v.text):
            return v.text
        if v.kind == "unknown":
            for c in self.app.constructs:
                if c.path == path and c.range == v.range and c.var_name:
                    return c.var_name
        return None

    def grant_items(self, layers: list[Value], key: str, c: Construct) -> list[Any]:
        """`permissions` or `bind` merged from every layer (SST concatenates them), each item as
        the engine takes it: a string, `{"$ref": var}` for a construct held in a variable,
        `{"$construct": {stack, id, kind}}` for one created in place, else
        `{"$unknown": ..., "label": "entry N"}` (a short name for messages, not source text)."""
        out: list[Any] = []
        for layer in reversed(layers):
            v = layer.get(key)
            if v is None:
                continue
            if v.kind == "string":
                out.append(v.value)
                continue
            if v.kind != "array":
                name = f'"{v.text}" ' if v.kind == "ref" else ""
                out.append({"$unknown": v.kind, "label": f"{name}(not an array)"})
                continue
            for i, item in enumerate(v.items, 1):
                out.append(self.grant_item(item, i, c))
        return out

    def grant_item(self, v: Value, index: int, c: Construct) -> Any:
        if v.kind == "string":
            return v.value
        if v.kind == "ref":
            return {"$ref": v.text}
        if v.kind == "unknown":
            made = self.construct_at(v, c)
            if made is not None and made.var_name:
                return {"$ref": made.var_name}
            if made is not None:
                return {"$construct": {"stack": made.stack, "id": made.id, "kind": made.kind}}
        if v.kind in _VALUE_NAMES:
            return {"$value": _VALUE_NAMES[v.kind], "label": f"entry {index}"}
        return {"$unknown": v.kind, "label": f"entry {index}"}

    def construct_at(self, v: Value, c: Construct) -> Construct | None:
        """The construct whose `new X(...)` expression `v` is (in the file of `c` or of its
        stack's definition), if any."""
        paths = {c.path}
        for s in self.app.stacks:
            if s.id == c.stack and s.definition is not None:
                paths.add(s.definition.path)
        for other in self.app.constructs:
            if other.range == v.range and other.path in paths:
                return other
        return None

    def appsync(self, c: Construct, props: Value | None, spec: dict[str, Any],
                functions: list[dict[str, Any]]) -> str | None:
        """An AppSyncApi's schema file, data sources and resolvers (SST's AppSyncApi.ts:
        createGraphApi, addDataSource, addResolver); the reason when it cannot be modeled."""
        if _get(_get(props, "cdk"), "graphqlApi") is not None:
            return "`cdk.graphqlApi` is not modeled"
        if _get(props, "customDomain") is not None:
            return custom_domain_reason(_get(props, "customDomain"))
        schema = _get(props, "schema")
        if schema is None or schema.kind != "string":
            return (f'Missing "schema" in "{c.id}" AppSyncApi' if schema is None else
                    "several schema files are merged by SST's graphql tooling: not modeled" if schema.kind == "array"
                    else "its schema cannot be evaluated statically")
        path = _normal(self.app.root / str(schema.value))
        if not path.is_file():
            return f"its schema file {schema.value} does not exist"
        spec["schema"] = str(path)
        built_ds = {f["ds"] for f in functions if "ds" in f}
        built_res = {f["resolver"] for f in functions if "resolver" in f}
        sources: list[dict[str, Any]] = []
        dsv = _get(props, "dataSources")
        for e in dsv.entries if dsv is not None and dsv.kind == "object" else ():
            v = e.value
            dtype = _str(_get(v, "type")) if v.kind == "object" else None
            d: dict[str, Any] = {"key": e.key, "type": dtype or "lambda"}
            for opt in ("name", "description"):
                ov = _get(v, opt)
                if ov is not None:
                    d[opt] = _scalar(ov)
            if dtype in (None, "function", "lambda"):
                if e.key not in built_ds:
                    return f'the function of data source "{e.key}" cannot be evaluated statically'
                d["type"] = "lambda"
            elif dtype == "dynamodb":
                var = self.var_of(_get(v, "table"), c.path)
                if var is None:
                    return f'the table of data source "{e.key}" must be a Table construct held in a variable'
                d["fn_ref"] = var
            elif dtype == "http":
                ep = _get(v, "endpoint")
                if ep is None or ep.kind != "string":
                    return f'the endpoint of data source "{e.key}" cannot be evaluated statically'
                d["endpoint"] = ep.value
            elif dtype != "none":
                return f'"{dtype}" data sources are not modeled'
            sources.append(d)
        spec["data_sources"] = sources
        ds_names = {d["key"] for d in sources}
        resolvers: list[dict[str, Any]] = []
        rv = _get(props, "resolvers")
        for e in rv.entries if rv is not None and rv.kind == "object" else ():
            key = " ".join(e.key.split())
            parts = key.split(" ")
            if len(parts) != 2:
                return f"Invalid resolver {key}"
            v = e.value
            r: dict[str, Any] = {"key": key, "type_name": parts[0], "field": parts[1]}
            if v.kind == "string" and v.value in ds_names:
                r["ds"] = v.value
            elif v.kind == "string" and "." not in str(v.value):
                return f'Failed to create resolver "{key}". Data source "{v.value}" does not exist.'
            elif v.kind == "object" and v.get("dataSource") is not None and v.get("function") is None:
                dsn = _str(v.get("dataSource"))
                if dsn not in ds_names:
                    return f'Failed to create resolver "{key}". Data source "{dsn}" does not exist.'
                r["ds"] = dsn
            elif key not in built_res:
                return f'the function of resolver "{key}" cannot be evaluated statically'
            if v.kind == "object":
                if _get(v, "cdk") is not None:
                    return f'the `cdk.resolver` options of "{key}" are not modeled'
                for opt in ("requestMapping", "responseMapping"):
                    mv = _get(v, opt)
                    if mv is None:
                        continue
                    inline, file = _get(mv, "inline"), _get(mv, "file")
                    if inline is not None and inline.kind == "string":
                        r[opt] = {"inline": inline.value}
                    elif file is not None and file.kind == "string" and (self.app.root / str(file.value)).is_file():
                        r[opt] = {"file": str(_normal(self.app.root / str(file.value)))}
                    else:
                        return f'the {opt} of "{key}" cannot be evaluated statically'
            resolvers.append(r)
        spec["resolvers"] = resolvers
        keys = {r["key"] for r in resolvers}
        for f in list(functions):
            if ("ds" in f and f["ds"] not in ds_names) or ("resolver" in f and f["resolver"] not in keys):
                functions.remove(f)
                self.skip("AppSyncApi function", f"{c.id}/{f['id']}", c.stack,
                          "data sources and resolvers added with `addDataSources`/`addResolvers` are not modeled")
        # The schema is read by CDK: its content is part of the input.
        spec["schema_digest"] = hashlib.sha256(path.read_bytes()).hexdigest()
        return None

    def construct_refs(self, c: Construct, props: Value | None, functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Consumers, notifications and the queue consumer given as a construct held in a
        variable (a Function; a Queue or Topic for a bucket notification), which SST uses as
        they are; entries that are neither such a construct nor a function we built are listed."""
        builder = _builder(c) or ""
        field_name, prefix = _REF_FIELDS[builder]
        if builder == "queue":
            v = _get(props, "consumer")
            entries = [("", v)] if v is not None else []
        else:
            fv = _get(props, field_name)
            entries = [(e.key, e.value) for e in fv.entries] if fv is not None and fv.kind == "object" else []
        done = {f["id"] for f in functions}
        gone = {s["id"].split("/", 1)[-1] for s in self.skipped if s["stack"] == c.stack}
        out: list[dict[str, Any]] = []
        for name, v in entries:
            fid = prefix.format(id=c.id, name=name)
            if fid in done or fid in gone:
                continue
            target: Value | None = v
            if v.kind == "object":
                target = v.get("function") or v.get("queue") or v.get("topic")
            var = self.var_of(target, c.path)
            if var is None:
                self.skip(f"{c.kind} function", f"{c.id}/{fid}", c.stack, "its function cannot be evaluated statically")
                continue
            r: dict[str, Any] = {"name": name, "fn_ref": var}
            if builder == "bucket":
                ev = _get(v, "events")
                if ev is not None and ev.kind == "array" and all(i.kind == "string" for i in ev.items):
                    r["events"] = [i.value for i in ev.items]
                filters = _get(v, "filters")
                if filters is not None:
                    r["filters"] = [{e.key: e.value.value for e in x.entries if e.key in ("prefix", "suffix")}
                                    for x in filters.items if x.kind == "object"] if filters.kind == "array" else []
            out.append(r)
        return out

    def entry_options(self, c: Construct, props: Value | None, h: HandlerRef) -> tuple[dict[str, Any], str | None]:
        """The options beside a consumer's, subscriber's or notification's function (its
        `cdk.eventSource`, `cdk.subscription`, `filters`), as the engine takes them; or the
        reason they cannot be modeled."""
        builder = _builder(c)
        field_name = {"table": "consumers", "kinesis": "consumers", "topic": "subscribers",
                      "bucket": "notifications"}.get(builder or "")
        name = _quoted(h.position)
        entry = _get(_get(props, field_name), name) if field_name and name is not None else None
        if entry is None or entry.kind != "object":
            return {}, None
        if builder == "topic":
            if entry.get("cdk") is not None or entry.get("subscriberProps") is not None:
                return {}, "`cdk.subscription` options (filter policies) are not modeled"
            return {}, None
        if builder == "bucket":
            filters = entry.get("filters")
            if filters is None:
                return {}, None
            out: list[dict[str, str]] = []
            for f in filters.items if filters.kind == "array" else ():
                keys = {e.key: e.value for e in f.entries} if f.kind == "object" else {}
                if not keys or not set(keys) <= {"prefix", "suffix"} or any(v.kind != "string" for v in keys.values()):
                    return {}, "notification filters must be `{ prefix }` or `{ suffix }` strings"
                out.append({k: str(v.value) for k, v in keys.items()})
            if filters.kind != "array":
                return {}, "notification filters cannot be evaluated statically"
            return {"filters": out}, None
        source = _get(entry.get("cdk"), "eventSource") or entry.get("consumerProps")
        if source is None:
            return {}, None
        if source.kind != "object":
            return {}, "the consumer's `cdk.eventSource` cannot be evaluated statically"
        es: dict[str, Any] = {}
        for e in source.entries:
            if e.key == "startingPosition":
                word = e.value.text.rsplit(".", 1)[-1] if e.value.kind == "ref" else None
                if word not in ("LATEST", "TRIM_HORIZON"):
                    return {}, "the consumer's `cdk.eventSource.startingPosition` is not modeled"
                es[e.key] = word
                continue
            kind = _STREAM_SOURCE_OPTIONS.get(e.key)
            got = _option(e.value, kind) if kind is not None else None
            if got is None:
                return {}, f"the consumer's `cdk.eventSource.{e.key}` is not modeled"
            es[e.key] = got
        return {"event_source": es}, None

    def queue_options(self, props: Value | None, spec: dict[str, Any], functions: list[dict[str, Any]]) -> str | None:
        """A Queue's `cdk.queue` options and its consumer's `cdk.eventSource` options, as the
        engine takes them (durations in seconds); the reason when some cannot be modeled."""
        q = _get(_get(props, "cdk"), "queue")
        if q is not None:
            if q.kind != "object":
                return "`cdk.queue` cannot be evaluated statically (an imported queue is not modeled)"
            opts: dict[str, Any] = {}
            for e in q.entries:
                kind = _QUEUE_OPTIONS.get(e.key)
                if kind is None:
                    return f"`cdk.queue.{e.key}` is not modeled"
                if e.key == "deadLetterQueue":
                    dlq = e.value
                    ref = dlq.get("queue") if dlq.kind == "object" else None
                    count = dlq.get("maxReceiveCount") if dlq.kind == "object" else None
                    if ref is None or ref.kind != "ref" or count is None or count.kind != "number":
                        return "`cdk.queue.deadLetterQueue` must be `{ queue: otherQueue.cdk.queue, maxReceiveCount: N }`"
                    opts[e.key] = {"queue": {"$ref": ref.text}, "maxReceiveCount": int(float(str(count.value)))}
                    continue
                got = _option(e.value, kind)
                if got is None:
                    return f"`cdk.queue.{e.key}` cannot be evaluated statically"
                opts[e.key] = got
            spec["queue_options"] = opts
        consumer = _get(props, "consumer")
        source = _get(_get(consumer, "cdk"), "eventSource") or _get(consumer, "consumerProps")
        if source is not None:
            if source.kind != "object":
                return "the consumer's `cdk.eventSource` cannot be evaluated statically"
            es: dict[str, Any] = {}
            for e in source.entries:
                kind = _EVENT_SOURCE_OPTIONS.get(e.key)
                got = _option(e.value, kind) if kind is not None else None
                if got is None:
                    return f"the consumer's `cdk.eventSource.{e.key}` is not modeled"
                es[e.key] = got
            for f in functions:
                f["event_source"] = es
            spec["consumer_event_source"] = es
        return None

    def bus_rules(self, c: Construct, props: Value | None, functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """An EventBus's `rules`: key, pattern, and targets in order (a function built from its
        definition, or a Queue/Function construct held in a variable)."""
        out: list[dict[str, Any]] = []
        rules = _get(props, "rules")
        if rules is None or rules.kind != "object":
            return out
        built = {(f.get("rule"), f.get("target")) for f in functions}
        for e in rules.entries:
            if e.value.kind != "object":
                self.skip("EventBus rule", f"{c.id}/{e.key}", c.stack, "its props cannot be evaluated statically")
                continue
            pattern = e.value.get("pattern")
            rule: dict[str, Any] = {
                "key": e.key,
                "pattern": pattern.to_python() if pattern is not None else None,
                "cdk_rule": _get(e.value.get("cdk"), "rule") is not None,
                "targets": [],
            }
            targets = e.value.get("targets")
            for t in targets.entries if targets is not None and targets.kind == "object" else ():
                tv = t.value
                label = f"{c.id}/{e.key}/{t.key}"
                if tv.kind == "object" and (tv.get("cdk") is not None or tv.get("targetProps") is not None):
                    self.skip("EventBus target", label, c.stack, "`cdk.target` options are not modeled")
                    for f in functions:
                        if (f.get("rule"), f.get("target")) == (e.key, t.key):
                            functions.remove(f)
                            break
                    continue
                if (e.key, t.key) in built:
                    rule["targets"].append({"name": t.key})
                    continue
                ref = tv.get("queue") if tv.kind == "object" and tv.get("function") is None else tv
                var = self.var_of(ref, c.path)
                if var is not None:
                    rule["targets"].append({"name": t.key, "fn_ref": var})
                elif not any(s["id"].startswith(label) or s["id"] == f"{c.id}/Target_{c.id}_{e.key}_{t.key}"
                             for s in self.skipped):
                    self.skip("EventBus target", label, c.stack, "its target cannot be evaluated statically")
            out.append(rule)
        return out

    def bus_method_ops(self, c: Construct, props: Value | None) -> list[dict[str, Any]]:
        """An EventBus's `addRules(scope, rules)`, `addTargets(scope, ruleKey, targets)` and v2's
        `subscribe(type, target[, { retries }])` calls (in its stack's file, on the variable that
        holds it), as SST applies them (v2 EventBus.ts addRule, addTarget, subscribe); records
        where each target's function sits (`bus_places`) for the handlers found in them."""
        ops: list[dict[str, Any]] = []
        if c.stack is None or not c.var_name:
            return ops
        # SST's Fn.fromDefinition refuses a Function construct when these are not empty.
        dfn = _get(_get(props, "defaults"), "function")
        defaults_fn = dfn is not None and not (dfn.kind == "object" and not dfn.entries)
        for method, args, path in self.bus_calls.get((c.stack, c.var_name), []):
            if method == "subscribe":
                ops.append(self._bus_subscribe(c, props, args, path, defaults_fn))
                continue
            want = 2 if method == "addRules" else 3
            where = _call_scope(args[0]) if args else None
            if len(args) != want or where is None:
                ops.append({"skip": (f"EventBus {method}", f"{c.id}: {method}(...)",
                                     "its scope or arguments cannot be evaluated statically")})
                continue
            if method == "addRules":
                rules = args[1]
                if rules.kind != "object":
                    ops.append({"skip": ("EventBus addRules", f"{c.id}: addRules(...)",
                                         "its rules cannot be evaluated statically")})
                    continue
                for e in rules.entries:
                    if e.value.kind != "object":
                        ops.append({"skip": ("EventBus rule", f"{c.id}/{e.key}",
                                             "its props cannot be evaluated statically")})
                        continue
                    pattern = e.value.get("pattern")
                    ops.append({"op": "rule", "key": e.key, "scope": where,
                                "pattern": pattern.to_python() if pattern is not None else None,
                                "cdk_rule": _get(e.value.get("cdk"), "rule") is not None,
                                "targets": self._bus_targets(c, e.key, e.value.get("targets"), where, path,
                                                             defaults_fn)})
            else:
                key = _str(args[1])
                if key is None or args[2].kind != "object":
                    ops.append({"skip": ("EventBus addTargets", f"{c.id}: addTargets(...)",
                                         "its rule key or targets cannot be evaluated statically")})
                    continue
                ops.append({"op": "targets", "key": key,
                            "targets": self._bus_targets(c, key, args[2], where, path, defaults_fn, added=True)})
        return ops

    def _bus_targets(self, c: Construct, rule: str, targets: Value | None, where: str, path: Path,
                     defaults_fn: bool, *, added: bool = False) -> list[dict[str, Any]]:
        """One rule's targets as SST's addTarget reads each: a Queue (or `{ queue }`), a
        `cdk.function`/`cdk.logGroup`, else a function definition (`Target_{id}_{rule}_{name}`)."""
        out: list[dict[str, Any]] = []
        for t in targets.entries if targets is not None and targets.kind == "object" else ():
            tv = t.value
            label = f"{c.id}/{rule}/{t.key}"
            if tv.kind == "object" and tv.get("queue") is not None:
                if tv.get("cdk") is not None:
                    out.append({"name": t.key, "skip": "`cdk.target` options are not modeled", "label": label})
                    continue
                var = self.var_of(tv.get("queue"), c.path)
                out.append({"name": t.key, "fn_ref": var} if var is not None else
                           {"name": t.key, "skip": "its queue cannot be evaluated statically", "label": label})
                continue
            if tv.kind == "object" and (tv.get("cdk") is not None or tv.get("retries") is not None):
                what = "`retries`" if tv.get("cdk") is None else "`cdk.target`/`cdk.function` options"
                out.append({"name": t.key, "skip": f"{what} are not modeled", "label": label})
                continue
            fn = tv.get("function") if tv.kind == "object" and tv.get("handler") is None else tv
            var = self.var_of(fn, c.path) if fn is not None and fn.kind in ("ref", "unknown") else None
            if var is not None:
                if defaults_fn:
                    out.append({"name": t.key, "label": label, "skip": _BUS_DEFAULTS_ERROR})
                else:
                    out.append({"name": t.key, "fn_ref": var})
                continue
            fid = f"Target_{c.id}_{rule}_{t.key}"
            label_pos = f'rule target "{t.key}"' if added else f'rule "{rule}" target "{t.key}"'
            self.bus_places.append((path, tv.range, label_pos, fid, where, {"rule": rule, "target": t.key}))
            out.append({"name": t.key, "fid": fid, "label": label})
        return out

    def _bus_subscribe(self, c: Construct, props: Value | None, args: list[Value], path: Path,
                       defaults_fn: bool) -> dict[str, Any]:
        """v2's `subscribe(type, target)`: function `{type}_1` in the bus (`type` with every
        character other than a letter or `_` turned into `_`), rule `{name}_rule` matching
        `detailType: [type]`, target `{name}_target` (SST's `count` is always 1: a second
        subscribe to one type fails there with "A rule already exists")."""
        etype = _str(args[0]) if args else None
        label = f"{c.id}: subscribe({etype or '...'})"
        reason: str | None = None
        if self.app.generation != "v2":
            reason = "`subscribe` is SST v2's (this app's SST has none)"
        elif etype is None or len(args) < 2:
            reason = ("a list of event types differs across SST v2 versions: not modeled"
                      if args and args[0].kind == "array" else "its event type cannot be evaluated statically")
        elif _get(args[2] if len(args) > 2 else None, "retries") is not None or \
                _get(_get(props, "defaults"), "retries") is not None:
            reason = "retries go through SST's retrier function (its bundled code): not modeled"
        elif defaults_fn:
            # subscribe hands the Function it made to addFunctionTarget with the defaults.
            reason = _BUS_DEFAULTS_ERROR
        if reason is not None:
            op: dict[str, Any] = {"skip": ("EventBus subscribe", label, reason)}
            if len(args) > 1:
                # Its handler, if the model found one, is listed by this reason (once).
                position = "subscriber " + (f'"{etype}"' if etype is not None else
                                            '"' + ", ".join(str(i.value) for i in args[0].items) + '"')
                self.bus_places.append((path, args[1].range, position, "", "", {}))
            return op
        assert etype is not None
        name = re.sub(r"[^a-zA-Z_]", "_", etype) + "_1"
        target: dict[str, Any] = {"name": f"{name}_target", "label": f"{c.id}/{name}"}
        var = self.var_of(args[1], c.path) if args[1].kind in ("ref", "unknown") else None
        if var is not None:
            target["fn_ref"] = var
        else:
            target["fid"] = name
            self.bus_places.append((path, args[1].range, f'subscriber "{etype}"', name, "construct",
                                    {"rule": f"{name}_rule", "target": f"{name}_target", "no_defaults": True}))
        return {"op": "rule", "key": f"{name}_rule", "scope": "construct", "pattern": {"detailType": [etype]},
                "cdk_rule": False, "targets": [target]}

    def apply_bus_ops(self, c: Construct, rules: list[dict[str, Any]], ops: list[dict[str, Any]],
                      functions: list[dict[str, Any]]) -> None:
        """Adds the method calls' rules and targets to `rules` in call order; what SST would
        reject, or what has no function, is listed with its reason."""
        built = {(f.get("rule"), f.get("target")) for f in functions}
        by_key = {str(r["key"]): r for r in rules}
        for op in ops:
            if "skip" in op:
                kind, label, reason = op["skip"]
                self.skip(kind, label, c.stack, reason)
                continue
            key = op["key"]
            if op["op"] == "rule":
                if key in by_key:
                    self.skip("EventBus rule", f"{c.id}/{key}", c.stack, f'A rule already exists for "{key}"')
                    fids = {t.get("fid") for t in op["targets"]}
                    functions[:] = [f for f in functions if not (f.get("rule") == key and f["id"] in fids)]
                    continue
                rule = {"key": key, "pattern": op["pattern"], "cdk_rule": op["cdk_rule"], "targets": [],
                        "scope": op["scope"]}
                rules.append(rule)
                by_key[key] = rule
            elif key not in by_key:
                self.skip("EventBus addTargets", f"{c.id}/{key}", c.stack,
                          f'Cannot find the rule "{key}" in the "{c.id}" EventBus.')
                fids = {t.get("fid") for t in op["targets"]}
                functions[:] = [f for f in functions if not (f.get("rule") == key and f["id"] in fids)]
                continue
            rule = by_key[key]
            names = {t["name"] for t in rule["targets"]}
            for t in op["targets"]:
                if t["name"] in names:
                    self.skip("EventBus target", f"{c.id}/{key}/{t['name']}", c.stack,
                              f'A target with name "{t["name"]}" already exists in rule "{key}"')
                    continue
                if "skip" in t:
                    self.skip("EventBus target", t["label"], c.stack, t["skip"])
                    continue
                if "fn_ref" in t:
                    rule["targets"].append({"name": t["name"], "fn_ref": t["fn_ref"]})
                elif (key, t["name"]) in built:
                    rule["targets"].append({"name": t["name"]})
                elif not any(s["id"] in (t["label"], f"{c.id}/{t['fid']}") for s in self.skipped):
                    self.skip("EventBus target", t["label"], c.stack, "its function cannot be evaluated statically")
                names.add(t["name"])

    def queue_subscribers(self, props: Value, path: Path, c: Construct | None = None,
                          functions: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
        """Topic subscribers that are Queue constructs (`{ q: queue }` or `{ q: { queue } }`)."""
        out: list[dict[str, str]] = []
        subs = props.get("subscribers")
        if subs is None or subs.kind != "object":
            return out
        for e in subs.entries:
            v = e.value.get("queue") if e.value.kind == "object" else e.value
            var = self.var_of(v, path)
            if var is None:
                continue
            if c is not None and e.value.kind == "object" and (
                    e.value.get("cdk") is not None or e.value.get("subscriberProps") is not None):
                self.skip("Topic subscriber", f"{c.id}/{e.key}", c.stack,
                          "`cdk.subscription` options (filter policies) are not modeled")
                continue
            out.append({"name": e.key, "var": var})
        if c is not None:
            done = {f"Subscriber_{c.id}_{q['name']}" for q in out} | {f["id"] for f in functions or []}
            gone = {s["id"].split("/", 1)[-1] for s in self.skipped if s["stack"] == c.stack}
            for e in subs.entries:
                fid = f"Subscriber_{c.id}_{e.key}"
                if fid not in done and fid not in gone and e.key not in gone:
                    self.skip("Topic subscriber", f"{c.id}/{e.key}", c.stack, "it cannot be evaluated statically")
        return out

    # ------------------------------------------------------------------------------------------
    def function(self, h: HandlerRef, fid: str, where: str, cdefaults: Value | None,
                 stack_defaults: list[Value], c: Construct) -> dict[str, Any] | None:
        label = f"{c.id}/{fid}" if fid != c.id else c.id
        kind = c.kind if _builder(c) == "function" else f"{c.kind} function"

        def fail(reason: str) -> None:
            self.skip(kind, label, c.stack, reason)

        fprops = stage_values.decide(h.function_props, self.stage)
        layers = [v for v in (_props_obj(fprops), cdefaults) if v is not None]
        layers.extend(reversed(stack_defaults))
        runtime = h.runtime
        given = _first(layers, "runtime")
        if given is not None and given.kind == "string" and stage_values.depends_on_stage(h.function_props):
            runtime = str(given.value)  # `...(isProd ? { runtime: "nodejs20.x" } : {})`, decided.
        elif given is not None and given.kind not in ("string", "null"):
            # Not the default runtime in its place.
            fail(f"runtime cannot be evaluated statically (`{_short(given.text or given.kind)}`)")
            return None
        if runtime is None:
            runtime = DEFAULT_NODE_RUNTIME
            self.default_runtime_used = True
        if runtime.startswith("nodejs"):
            family = "node"
        elif runtime.startswith("python"):
            family = "python"
        elif re.match(r"^(go|dotnet|java|provided|rust|container)", runtime):
            fail(f"runtime {runtime} needs a build step the embedded synth does not run (use synth mode `project`)")
            return None
        else:
            fail(f"unknown runtime {runtime!r}")
            return None
        if "." not in h.handler.strip("./") or h.handler.endswith("."):
            fail(f'handler "{h.handler}" is not of the form "path/file.export"')
            return None
        base, export = h.handler.rsplit(".", 1)
        root = self.app.root
        src_path = h.src_path or "."
        if self.app.generation == "v2":
            src_path = "."
        src_dir = _normal(root / src_path)
        suffixes = NODE_SUFFIXES if family == "node" else (".py",)
        entry = next((src_dir / (base + s) for s in suffixes if (src_dir / (base + s)).is_file()), None)
        if entry is None:
            fail(f'cannot find a handler file for "{h.handler}" in {_rel(src_dir, root)}')
            return None
        if not _normal(src_dir / base).is_relative_to(_normal(root)):
            # What `check` reports as handler-outside-app: code above the app root is not part
            # of the app, and its asset path cannot be expressed relative to the app.
            fail(f'handler "{h.handler}" resolves outside the app root ({_normal(src_dir / base)}): '
                 "move the code into the app (handler-outside-app)")
            return None
        for layer in layers:
            if layer.kind != "object":
                # `app.setDefaultFunctionProps((stack) => ({ ... }))`, a variable we cannot see
                # into: its props would be missing, not SST's.
                fail(f"the default function props cannot be evaluated statically (`{_short(layer.text or layer.kind)}`)")
                return None
            spread = stage_values.undecided(layer)
            if spread is not None:
                fail(f"its props spread a value under a condition that cannot be evaluated statically "
                     f"(`{_short(spread)}`)")
                return None
            hidden = _hidden_keys(layer, "its function props")
            if hidden is not None:
                fail(hidden)
                return None
        # SST's defaults apply only where no layer gives a value; one that cannot be read (a
        # choice the stage does not decide, `process.env.BIG ? 2048 : 512`, a CDK Duration where
        # SST takes none) leaves the function out.
        memory = _first_size(layers, "memorySize", 1024)
        timeout = _first_duration(layers, "timeout", 10, self.app.generation)
        for got in (memory, timeout):
            if isinstance(got, str):
                fail(got)
                return None
        lambda_layers: list[str] = []
        for layer in reversed(layers):
            lv = layer.get("layers")
            if lv is None:
                continue
            for item in lv.items if lv.kind == "array" else (lv,):
                arn = item.value if item.kind == "string" else _layer_arn(item)
                if not isinstance(arn, str):
                    fail("layers other than ARNs (a string or `LayerVersion.fromLayerVersionArn(...)`) are not "
                         "modeled by the embedded synth")
                    return None
                lambda_layers.append(arn)
        fs: dict[str, Any] = {
            "id": fid,
            "scope": where,
            "runtime": runtime,
            "environment": _merged_env(layers),
            "permissions": self.grant_items(layers, "permissions", c),
            # SST v1.x's `config` is the older name of `bind` (for Config.Secret/Parameter).
            "bind": self.grant_items(layers, "bind", c) + self.grant_items(layers, "config", c),
            "memory": memory,
            "timeout": timeout,
            "source": {"path": str(h.path), "handler": h.handler},
            "layers": lambda_layers,
            "exclude": list(ASSET_EXCLUDES),
        }
        options, left_out, unread = _function_options(layers)
        if unread is not None:
            fail(unread)
            return None
        fs.update(options)
        if "diskSize" in options:
            disk = _first_size(layers, "diskSize", 512)
            if isinstance(disk, str):
                fail(disk)
                return None
            fs["disk"] = disk
        for key in left_out:
            self.warnings.append(f"function {label}: `{key}` is not modeled by the embedded synth (left out)")
        if family == "python":
            fs["asset"] = str(src_dir)
            fs["handler"] = f"{base}.{export}"
        elif self.esbuild is not None:
            # esbuild writes <bundle>/<srcPath>/<file>.js; SST v1 keeps the srcPath in `Handler`.
            rel = _normal(src_dir / base).relative_to(root) if _normal(src_dir / base).is_relative_to(root) else Path(base)
            fs["bundle"] = {"entry": str(entry), "out": rel.as_posix() + ".js"}
            fs["asset"] = None
            fs["handler"] = f"{rel.as_posix()}.{export}"
        else:
            asset = src_dir if self.app.generation != "v2" else _package_dir(entry, root)
            fs["asset"] = str(asset)
            fs["handler"] = f"{_normal(src_dir / base).relative_to(asset).as_posix()}.{export}"
        return fs


# ----------------------------------------------------------------------------------------------
# Helpers.
# ----------------------------------------------------------------------------------------------


def custom_domain_reason(v: Value | None) -> str:
    """Why a `customDomain` is left out. SST's apiDomain.ts looks the hosted zone up for a
    domain given by name (`HostedZone.fromLookup`, the zone being `hostedZone` or the domain's
    last two labels) and creates the certificate and DNS records in it; the other forms hand it
    CDK constructs (`cdk.hostedZone`, `cdk.certificate`, `cdk.domainName`, `isExternalDomain`)."""
    name = v.value if v is not None and v.kind == "string" else None
    zone = None
    if v is not None and v.kind == "object":
        dn, hz = v.get("domainName"), v.get("hostedZone")
        name = dn.value if dn is not None and dn.kind == "string" else None
        zone = hz.value if hz is not None and hz.kind == "string" else None
        cdk_v = v.get("cdk")
        if (cdk_v is not None and cdk_v.kind == "object" and cdk_v.entries) or v.get("isExternalDomain") is not None:
            return ("a custom domain built from CDK constructs (`cdk.hostedZone`, `cdk.certificate`, "
                    "`cdk.domainName` or `isExternalDomain`) is not modeled by the embedded synth "
                    "(use synth mode `project`)")
    if isinstance(name, str) and zone is None:
        zone = ".".join(name.split(".")[-2:])
    where = f'custom domain "{name}"' if isinstance(name, str) else "a custom domain"
    looked = f'the Route 53 hosted zone "{zone}"' if isinstance(zone, str) else "its Route 53 hosted zone"
    return (f"{where}: SST looks up {looked} (`HostedZone.fromLookup`) when it synthesizes, which needs "
            "the account's credentials: not modeled by the embedded synth (use synth mode `project`: SST's "
            "own build does the lookup)")


def context_azs(root: Path, region: str | None) -> list[str]:
    """The availability zones CDK's lookup wrote for `region` into the app's `cdk.context.json`
    (`availability-zones:account=...:region=...`), when every account there agrees; else []."""
    if not region:
        return []
    try:
        data = json.loads((root / "cdk.context.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    found = {tuple(v) for k, v in data.items()
             if isinstance(k, str) and k.startswith("availability-zones:") and k.endswith(f":region={region}")
             and isinstance(v, list) and v and all(isinstance(z, str) for z in v)}
    return list(found.pop()) if len(found) == 1 else []


#: What SST puts in an Auth key's environment variable (the function reads the value from SSM).
AUTH_PLACEHOLDER = "__FETCH_FROM_SSM__"


def _normal(p: Path) -> Path:
    import os.path

    return Path(os.path.normpath(str(p)))


def _rel(p: Path, root: Path) -> str:
    return p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)


def _package_dir(entry: Path, root: Path) -> Path:
    """The nearest folder holding a package.json between a v2 handler file and the app root."""
    d = entry.parent
    while d != root and d.is_relative_to(root):
        if (d / "package.json").is_file():
            return d
        d = d.parent
    rel = entry.relative_to(root)
    return root / rel.parts[0] if len(rel.parts) > 1 else root


def _quoted(position: str) -> str | None:
    """The name in a model position label such as 'Table consumer "consumer1"'."""
    m = re.search(r'"(.*)"$', position)
    return m.group(1) if m else None


#: `cdk.queue` options the engine builds, with the kind of value each takes.
_QUEUE_OPTIONS = {
    "fifo": "bool", "contentBasedDeduplication": "bool", "visibilityTimeout": "duration",
    "retentionPeriod": "duration", "deliveryDelay": "duration", "receiveMessageWaitTime": "duration",
    "maxMessageSizeBytes": "number", "deadLetterQueue": "dlq",
}
#: A queue consumer's `cdk.eventSource` options.
_EVENT_SOURCE_OPTIONS = {
    "batchSize": "number", "maxBatchingWindow": "duration", "reportBatchItemFailures": "bool",
    "maxConcurrency": "number", "enabled": "bool",
}


#: A table or stream consumer's `cdk.eventSource` options (startingPosition aside).
_STREAM_SOURCE_OPTIONS = {
    "batchSize": "number", "maxBatchingWindow": "duration", "reportBatchItemFailures": "bool", "enabled": "bool",
    "retryAttempts": "number", "bisectBatchOnError": "bool", "parallelizationFactor": "number",
    "maxRecordAge": "duration",
}


def _option(v: Value, kind: str) -> Any:
    """A literal option value of `kind` (durations as seconds), else None."""
    if kind == "bool":
        return v.value if v.kind == "bool" else None
    if kind == "number":
        return int(float(str(v.value))) if v.kind == "number" else None
    if kind == "duration":
        return {"$seconds": _duration_seconds(v)} if _duration_seconds(v) is not None else None
    return None


def _member_call(v: Value, limit: int) -> tuple[ParsedFile, Node, Node] | None:
    """(parse, callee, arguments) when an unevaluated value's source (at most `limit`
    characters) is one call of a member, `a.b(...)`, that parses cleanly; else None."""
    if v.kind != "unknown" or not v.text or len(v.text) > limit:
        return None
    from sst_lsp.syntax.parser import parse

    pf = parse(v.text, "typescript")
    stmt = pf.root.named_children[0] if pf.root.named_children else None
    call = stmt.named_children[0] if stmt is not None and stmt.named_children else None
    if call is None or call.type != "call_expression" or pf.errors:
        return None
    fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if fn is None or fn.type != "member_expression" or args is None:
        return None
    return pf, fn, args


_DURATION_UNITS = {"millis": 0.001, "seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _lambda_code(v: Value, root: Path) -> dict[str, Any] | None:
    """`lambda.Code.fromAsset("dir")` (a folder of the app, which is where the CDK app runs:
    `{"$asset": absolute path}`) or `Code.fromInline("...")` (`{"$inline": text}`); else None."""
    got = _member_call(v, 400)
    if got is None:
        return None
    pf, fn, args = got
    obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
    method = pf.node_text(prop) if prop is not None else ""
    named = [a for a in args.named_children if a.type != "comment"]
    if obj is None or pf.node_text(obj).split(".")[-1] != "Code" or len(named) != 1 or named[0].type != "string":
        return None
    frag = [c for c in named[0].named_children if c.type == "string_fragment"]
    text = pf.node_text(frag[0]) if len(frag) == 1 and len(named[0].named_children) == 1 else None
    if text is None:
        return None
    if method == "fromInline":
        return {"$inline": text}
    folder = _normal(root / text)
    if method == "fromAsset" and folder.is_dir() and folder.is_relative_to(_normal(root)):
        return {"$asset": str(folder)}
    return None


def _duration_seconds(v: Value) -> int | None:
    """`Duration.seconds(30)` / `cdk.Duration.minutes(5)` (CDK durations), in whole seconds."""
    got = _member_call(v, 80)
    if got is None:
        return None
    pf, fn, args = got
    obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
    unit = pf.node_text(prop) if prop is not None else ""
    if obj is None or pf.node_text(obj).split(".")[-1] != "Duration" or unit not in _DURATION_UNITS:
        return None
    nums = [a for a in args.named_children if a.type != "comment"]
    if len(nums) != 1 or nums[0].type != "number":
        return None
    try:
        secs = float(pf.node_text(nums[0])) * _DURATION_UNITS[unit]
    except ValueError:
        return None
    return int(secs) if secs.is_integer() else None


#: Where each builder's constructs list functions that may be constructs held in variables, and
#: SST's id of a function it builds there.
_REF_FIELDS = {
    "table": ("consumers", "Consumer_{id}_{name}"), "kinesis": ("consumers", "Consumer_{id}_{name}"),
    "bucket": ("notifications", "Notification_{id}_{name}"), "queue": ("consumer", "Consumer_{id}"),
}

#: Function props that shape only the bundle, not the template.
_BUNDLE_KEYS = frozenset({"bundle", "nodejs", "python", "go", "java", "enableLiveDev", "hooks", "srcPath"})
#: Function props the spec carries elsewhere.
_HANDLED_KEYS = frozenset({"handler", "runtime", "environment", "permissions", "bind", "config", "memorySize",
                           "timeout", "layers"})
#: Function props the engine sets as they are, with the literal kinds they take.
_FUNCTION_OPTIONS = {
    "functionName": "string", "description": "string", "reservedConcurrentExecutions": "number",
    "architecture": ("arm_64", "x86_64"), "tracing": ("active", "pass_through", "disabled"), "url": "bool",
    "diskSize": "size",
}


def _function_options(layers: list[Value]) -> tuple[dict[str, Any], list[str], str | None]:
    """The function options the engine sets (first layer that gives one wins, as SST's
    mergeProps spreads them), the keys left out (not modeled), and the reason when an option
    the engine sets has a value it cannot read (`functionName: process.env.X`: built without it,
    the function would get another name)."""
    out: dict[str, Any] = {}
    left_out: list[str] = []
    for layer in layers:
        for e in layer.entries:
            key, v = e.key, e.value
            if key in out or key in left_out or key in _BUNDLE_KEYS or key in _HANDLED_KEYS:
                continue
            kind = _FUNCTION_OPTIONS.get(key)
            if kind == "string" and v.kind == "string":
                out[key] = v.value
            elif kind == "number" and v.kind == "number":
                out[key] = int(float(str(v.value)))
            elif kind == "bool" and v.kind == "bool":
                out[key] = v.value
            elif kind == "size" and v.kind in ("string", "number"):
                out[key] = True
            elif isinstance(kind, tuple) and v.kind == "string" and str(v.value).lower() in kind:
                out[key] = str(v.value).lower()
            elif kind is not None and v.kind in ("unknown", "ref"):
                return out, left_out, f"{key} cannot be evaluated statically (`{_short(v.text or v.kind)}`)"
            else:
                left_out.append(key)
    return out, left_out, None


def _layer_arn(v: Value) -> str | None:
    """The ARN of `LayerVersion.fromLayerVersionArn(scope, "id", "arn:...")`, else None."""
    got = _member_call(v, 400)
    if got is None:
        return None
    pf, fn, args = got
    prop = fn.child_by_field_name("property")
    if prop is None or pf.node_text(prop) != "fromLayerVersionArn":
        return None
    items = [a for a in args.named_children if a.type != "comment"]
    last = items[-1] if len(items) == 3 else None
    if last is None or last.type != "string":
        return None
    return pf.node_text(last)[1:-1]


_SCRIPT_KINDS = ("onCreate", "onUpdate", "onDelete")


def _with_default(layer: Value | None, key: str, value: float) -> Value:
    """`layer` (a props object, or None) with `key` set when it has none: a default beneath it."""
    from sst_lsp.syntax.text import Pos, TextRange

    rng = layer.range if layer is not None else TextRange(Pos(0, 0), Pos(0, 0))
    entries = tuple(layer.entries) if layer is not None and layer.kind == "object" else ()
    if any(e.key == key for e in entries):
        return layer if layer is not None else Value("object", rng)
    return Value("object", rng, entries=(*entries, Entry(key, rng, Value("number", rng, value=value))))


def _is_json(v: Value) -> bool:
    """True for a value made of JSON's own types only (no expression or spread left in it)."""
    if v.partial:
        return False
    if v.kind == "object":
        return all(_is_json(e.value) for e in v.entries)
    if v.kind == "array":
        return all(_is_json(i) for i in v.items)
    return v.kind in ("string", "number", "bool", "null")


_BUS_DEFAULTS_ERROR = ('The "defaults.function" cannot be applied if an instance of a Function construct is '
                       "passed in (SST's EventBus refuses it)")


def _call_scope(v: Value) -> str | None:
    """Where an `add*(scope, ...)` call creates things: the stack (SST's `stack`/`this` in a
    stack), or None when the scope is something else."""
    if v.kind == "ref" and v.text in ("stack", "this", "ctx.stack", "props.stack"):
        return "stack"
    return None


def _unplaced(builder: str | None, position: str) -> str:
    """Why a function the model found in a construct has no place in the construct tree."""
    # The calls that are read sit in the stack's own file, on the variable holding the bus.
    where = ("is read only in the stack's own file, on the variable that holds the bus, with `stack` as "
             "its scope")
    if builder == "eventbus" and position.startswith("rule target"):
        return f"this `addTargets` call cannot be evaluated statically (`addTargets` {where})"
    if builder == "eventbus" and position.startswith("rule "):
        return f"this `addRules` call cannot be evaluated statically (`addRules` {where})"
    if builder == "eventbus" and position.startswith("subscriber"):
        return "this `subscribe` call cannot be evaluated statically (`subscribe` is read only in the stack's " \
               "own file, on the variable that holds the bus)"
    return f"unrecognized position ({position})"


def _short(text: str) -> str:
    """Source text for a message: one line, at most 60 characters."""
    one = " ".join(text.split())
    return one if len(one) <= 60 else one[:57] + "..."


def _hidden_keys(v: Value | None, where: str) -> str | None:
    """Why `v` cannot be read in full: an object or array in it spreads a value (or has a
    computed key) that cannot be evaluated statically, so a key or item may be missing and
    SST's default would take its place. None when every key is there."""
    if v is None:
        return None
    if v.partial:
        what = "object" if v.kind == "object" else "list"
        return f"{where}: this {what} spreads a value (or has a computed key) that cannot be evaluated statically"
    if v.kind == "object":
        for e in v.entries:
            got = _hidden_keys(e.value, f"{where}.{e.key}")
            if got is not None:
                return got
    elif v.kind == "array":
        for i, item in enumerate(v.items):
            got = _hidden_keys(item, f"{where}[{i}]")
            if got is not None:
                return got
    return None


def _string_prop(values: Iterable[Value | None], what: str) -> tuple[str | None, str | None]:
    """SST's `a || b || c` over props that take a string: (the first one given, None) or, when
    the first one given is not a string we can read, (None, the reason) rather than the next
    one or SST's default."""
    for v in values:
        if v is None or v.kind == "null" or (v.kind == "string" and not v.value):
            continue
        if v.kind == "string":
            return str(v.value), None
        return None, f"{what} cannot be evaluated statically (`{_short(v.text or v.kind)}`)"
    return None, None


def _get(v: Value | None, key: str) -> Value | None:
    return v.get(key) if v is not None and v.kind == "object" else None


def _str(v: Value | None) -> str | None:
    return v.str_value if v is not None else None


def _entry_value(routes: Value | None, key: str) -> Value | None:
    if routes is None or routes.kind != "object":
        return None
    found = None
    for e in routes.entries:
        if " ".join(e.key.split()) == key:
            found = e.value
    return found


def _where(props: Value | None, field: str, name: str) -> str:
    return "construct" if _get(_get(props, field), name) is not None else "stack"


def _props_obj(v: Value | None) -> Value | None:
    return v if v is not None and v.kind == "object" else None


def _construct_defaults(props: Value | None) -> Value | None:
    """A construct's default function props: v1 `defaults.function`, v0 `defaultFunctionProps`."""
    for v in (_get(_get(props, "defaults"), "function"), _get(props, "defaultFunctionProps")):
        if v is not None and v.kind == "object":
            return v
    return None


def _plain_props(props: Value | None) -> dict[str, Any]:
    """The props as JSON data, without the function definitions (they travel resolved)."""
    if props is None:
        return {}
    data = props.to_python()
    if not isinstance(data, dict):
        return {}
    for k in ("routes", "consumers", "subscribers", "notifications", "job", "consumer", "defaults",
              "defaultFunctionProps", "handler", "environment", "permissions", "bind", "config", "rules", "triggers",
              "dataSources", "resolvers", "server"):
        data.pop(k, None)
    return data


def _scalar(v: Value) -> Any:
    if v.kind in ("string", "number", "bool"):
        return v.value
    if v.kind == "ref":
        return {"$ref": v.text}
    return {"$unknown": v.text or v.kind}


def _merged_env(layers: list[Value]) -> dict[str, Any]:
    """SST merges `environment` from every layer; the function's own values win."""
    env: dict[str, Any] = {}
    for layer in reversed(layers):
        e = layer.get("environment")
        if e is not None and e.kind == "object":
            for entry in e.entries:
                env[entry.key] = _scalar(entry.value)
    return env


def _first(layers: list[Value], key: str) -> Value | None:
    for layer in layers:
        v = layer.get(key)
        if v is not None:
            return v
    return None


def _parse_int(text: str) -> int | None:
    """JS `parseInt(text)` (base 10): the leading integer, None for NaN."""
    t = text.lstrip()
    sign = -1 if t.startswith("-") else 1
    t = t[1:] if t[:1] in "+-" else t
    digits = ""
    for ch in t:
        if not ch.isascii() or not ch.isdigit():
            break
        digits += ch
    return sign * int(digits) if digits else None


def _cdk_class_of(v: Value) -> str | None:
    """`Size` for `Size.mebibytes(512)` / `cdk.Size.gibibytes(1)`, `Duration` for
    `cdk.Duration.minutes(1)`: the class a static call is made on, else None."""
    got = _member_call(v, 200)
    if got is None:
        return None
    pf, fn, _ = got
    obj = fn.child_by_field_name("object")
    if obj is None:
        return None
    if obj.type == "member_expression":
        obj = obj.child_by_field_name("property")
    return pf.node_text(obj) if obj is not None else None


def _first_size(layers: list[Value], key: str, default: int) -> int | str:
    """`memorySize`/`diskSize` in MB as SST v1/v2 read it (Function.ts `normalizeMemorySize`:
    a number, `|| default`; a string through util/size.ts `toCdkSize`: `"<n> MB"` or `"<n> GB"`,
    split on one space, `parseInt` of the count). A reason (str) when it cannot be read or SST
    rejects it: the function is left out rather than built with the default."""
    v = _first(layers, key)
    if v is None or v.kind == "null":
        return default
    if v.kind == "number" and isinstance(v.value, float):
        return int(v.value) or default
    if v.kind == "string":
        parts = str(v.value).split(" ")
        count = _parse_int(parts[0]) if len(parts) >= 2 else None
        if count is None or parts[1] not in ("MB", "GB"):
            return f'{key} "{v.value}" is not a size SST reads ("<n> MB" or "<n> GB"; SST fails on it)'
        return count * (1024 if parts[1] == "GB" else 1)
    if _cdk_class_of(v) == "Size":
        return (f"{key} is a CDK Size (`{_short(v.text)}`): SST's Function takes a number of MB or a string "
                'like "512 MB" (its synth fails on a Size)')
    return f"{key} cannot be evaluated statically (`{_short(v.text or v.kind)}`)"


#: util/duration.ts `toCdkDuration`: the unit's prefix (lower-cased) and its length in seconds.
_SST_UNITS = (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400))


def _first_duration(layers: list[Value], key: str, default: int, generation: str | None = None) -> int | str:
    """`timeout` in seconds as SST reads it (Function.ts `normalizeTimeout`): a number, `||
    default`; a string through util/duration.ts `toCdkDuration` (`"<n> <unit>"`, split on one
    space, `parseInt` of the count, the unit lower-cased by its prefix; any other unit is 0
    seconds, which Lambda refuses). v0's Function also takes a CDK Duration (`timeout?: number |
    cdk.Duration`); v1/v2 do not (their synth fails on one). A reason (str) when it cannot be
    read: the function is left out rather than built with the default."""
    v = _first(layers, key)
    if v is None or v.kind == "null":
        return default
    if v.kind == "number" and isinstance(v.value, float):
        return int(v.value) or default
    if v.kind == "string":
        parts = str(v.value).split(" ")
        count = _parse_int(parts[0]) if len(parts) >= 2 else None
        unit = parts[1].lower() if len(parts) >= 2 else ""
        factor = next((n for prefix, n in _SST_UNITS if unit.startswith(prefix)), None)
        if count is None or factor is None:
            return f'{key} "{v.value}" is not a duration SST reads ("<n> seconds", "<n> minutes", ...)'
        return count * factor
    secs = _duration_seconds(v) if v.kind == "unknown" else None
    if secs is not None and generation == "v0":
        return secs
    if secs is not None or _cdk_class_of(v) == "Duration":
        return (f"{key} is a CDK Duration (`{_short(v.text)}`): SST's Function takes a number of seconds or a "
                'string like "30 seconds" (its synth fails on a Duration)')
    return f"{key} cannot be evaluated statically (`{_short(v.text or v.kind)}`)"


# ----------------------------------------------------------------------------------------------
# `stack.addOutputs({...})`: read from the stack files with tree-sitter.
# ----------------------------------------------------------------------------------------------

_OUTPUTS_QUERY = """
(call_expression
  function: (member_expression object: (_) @recv property: (property_identifier) @method)
  arguments: (arguments) @args
  (#match? @method "^(addOutputs|setDefaultRemovalPolicy|attachPermissionsForAuthUsers|attachPermissionsForUnauthUsers|setDefaultFunctionProps|addDefaultFunctionEnv|addDefaultFunctionPermissions|addDefaultFunctionLayers|addDefaultFunctionBinding|addRules|addTargets|subscribe|attach)$")) @call
"""


@functools.lru_cache(maxsize=8)
def _outputs_query(lang: str) -> Any:
    from tree_sitter import Query

    from sst_lsp.syntax.parser import language

    return Query(language(lang), _OUTPUTS_QUERY)


def stack_outputs(app: App) -> dict[str, list[dict[str, Any]]]:
    """Stack id -> the outputs its `stack.addOutputs({...})` calls add, in source order."""
    return _stack_calls(app, None).outputs


@dataclass
class _StackCalls:
    """What the stack files' method calls say: outputs, and SST's default removal policy."""

    outputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: `app.setDefaultRemovalPolicy(x)` ("destroy", "retain", "snapshot"), None when not called.
    app_policy: str | None = None
    #: `stack.setDefaultRemovalPolicy(x)` inside a stack function: that stack only.
    stack_policies: dict[str, str] = field(default_factory=dict)
    #: The app's default function props in order (`app.setDefaultFunctionProps`,
    #: `app.addDefaultFunctionEnv/Permissions/Layers/Binding`), lowest priority first.
    app_defaults: list[Value] = field(default_factory=list)
    #: A stack's `stack.addDefaultFunctionEnv/Permissions/Layers/Binding` (its
    #: `setDefaultFunctionProps` calls are in the model).
    stack_extra: dict[str, list[Value]] = field(default_factory=dict)
    #: `auth.attachPermissionsForAuthUsers([scope,] [...])` per stack that calls it.
    auth_grants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Stack -> its `auth.attach(scope, { api, prefix })` calls, as {auth, stack, api (the
    #: value), path (of the file), prefix (None when not given, False when it cannot be evaluated)}.
    auth_attach: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: (stack, receiver variable) -> its EventBus `addRules`/`addTargets`/`subscribe` calls in
    #: source order, as (method, evaluated arguments, file).
    bus_calls: dict[tuple[str, str], list[tuple[str, list[Value], Path]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


#: The App/Stack methods that add default function props, and the prop each one sets (None:
#: the argument is the props object itself).
_DEFAULT_METHODS: dict[str, str | None] = {
    "setDefaultFunctionProps": None, "addDefaultFunctionEnv": "environment",
    "addDefaultFunctionPermissions": "permissions", "addDefaultFunctionLayers": "layers",
    "addDefaultFunctionBinding": "bind",
}


def _stack_calls(app: App, stage: str | None) -> _StackCalls:
    """Reads `addOutputs` and `setDefaultRemovalPolicy` calls from the entry and stack files.

    `setDefaultRemovalPolicy` on the app (anywhere in the entry file, or on `app` inside a stack
    function) applies to every stack, as SST applies it to every resource at the end of synth;
    on a stack's own receiver (`stack`, `this`) it applies to that stack. A call under a
    condition on the stage (`if (app.stage !== "prod")`, a ternary argument) is evaluated for
    `stage`; one whose condition cannot be evaluated is left out with a warning (templates then
    keep each resource's own policy: the safe side for a production stage). model/removal.py
    reads and decides these calls, for the editor's stateful warnings too.
    """
    from sst_lsp.model.evaluate import Evaluator
    from sst_lsp.syntax.parser import JS_LANGS, lang_for_path

    found = _StackCalls()

    def value(node: Any) -> Value:
        """An argument's value, its choices on the stage decided for `stage`."""
        v = ev.value(node)
        return (stage_values.decide(v, stage) or v) if stage_values.depends_on_stage(v) else v

    defs: dict[Path, list[tuple[StackDef, str]]] = {}
    for s in app.stacks:
        if s.definition is not None:
            defs.setdefault(s.definition.path, []).append((s.definition, s.id))
    files = list(defs)
    if app.entry is not None and app.entry not in defs:
        files.insert(0, app.entry)
    for path in files:
        items = defs.get(path, [])
        lang = lang_for_path(path)
        if lang not in JS_LANGS:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        pf, calls = _file_calls(text, lang)
        ev = Evaluator(pf)
        for call, args, method, recv in calls:
            rng = pf.node_range(call)
            owner = next((sid for d, sid in items if d.range.contains_range(rng)), None)
            named = [a for a in args.named_children if a.type != "comment"]
            if method == "setDefaultRemovalPolicy":
                continue  # read by model/removal.py (below), shared with the stateful warnings
            if method in _DEFAULT_METHODS:
                if not named or (owner is None and path != app.entry):
                    continue
                on_stack = owner is not None and recv in ("stack", "this", "ctx.stack", "props.stack")
                if on_stack and method == "setDefaultFunctionProps":
                    continue  # in the model (StackDef.default_function_props)
                arg = value(named[-1])
                key = _DEFAULT_METHODS[method]
                layer = arg if key is None else Value("object", arg.range, entries=(Entry(key, arg.range, arg),))
                if on_stack and owner is not None:
                    found.stack_extra.setdefault(owner, []).append(layer)
                else:
                    found.app_defaults.append(layer)
                continue
            if owner is None or not named:
                continue
            if method in ("addRules", "addTargets", "subscribe"):
                if re.fullmatch(r"[A-Za-z_$][\w$]*", recv):
                    found.bus_calls.setdefault((owner, recv), []).append(
                        (method, [value(a) for a in named], path))
                continue
            v = value(named[-1])
            if method == "attach":
                api = v.get("api") if v.kind == "object" else None
                prefix = v.get("prefix") if v.kind == "object" else None
                if len(named) == 2 and api is not None and re.fullmatch(r"[A-Za-z_$][\w$]*", recv):
                    found.auth_attach.setdefault(owner, []).append({
                        "auth": recv, "stack": owner, "api": api, "path": path,
                        "prefix": None if prefix is None else prefix.value if prefix.kind == "string" else False})
                continue
            if method.startswith("attachPermissionsFor"):
                if re.fullmatch(r"[A-Za-z_$][\w$]*", recv):
                    found.auth_grants.setdefault(owner, []).append({
                        "auth": {"$ref": recv},
                        "role": "unauth" if "Unauth" in method else "auth",
                        "items": _grant_values(v),
                    })
                continue
            if v.kind != "object":
                continue
            for e in v.entries:
                val: Value = e.value
                inner = val.get("value") if val.kind == "object" else None
                if inner is not None:
                    val = inner  # `{ value, exportName }`
                found.outputs.setdefault(owner, []).append({"key": e.key, "value": _scalar(val)})
    # `setDefaultRemovalPolicy`: the same reading and decision as the editor's stateful warnings.
    from sst_lsp.model.removal import decide_policies, read_policy_calls

    def parsed(path: Path) -> Any:
        lang = lang_for_path(path)
        if lang not in JS_LANGS:
            return None
        try:
            return _file_calls(path.read_text(encoding="utf-8"), lang)[0]
        except (OSError, UnicodeDecodeError):
            return None

    decision = decide_policies(read_policy_calls(app, parsed), stage)
    found.app_policy = decision.app
    found.stack_policies = dict(decision.stacks)
    for c in decision.undecided:
        found.warnings.append(
            f"{c.where}: setDefaultRemovalPolicy left out (its value or the condition around it "
            "cannot be evaluated statically): templates keep each resource's own removal policy"
        )
    return found


@functools.lru_cache(maxsize=128)
def _file_calls(text: str, lang: str) -> tuple[Any, list[tuple[Any, Any, str, str]]]:
    """A stack or entry file parsed, with its `addOutputs`/`setDefault*`/... calls in source
    order as (call, arguments, method, receiver text); memoized by text, so that a re-synth
    after one edited stack parses only that stack's file again."""
    from tree_sitter import QueryCursor

    from sst_lsp.syntax.parser import parse

    pf = parse(text, lang)
    calls = []
    for _, caps in QueryCursor(_outputs_query(lang)).matches(pf.root):
        if "call" in caps and "args" in caps and "method" in caps and "recv" in caps:
            calls.append((caps["call"][0], caps["args"][0], pf.node_text(caps["method"][0]),
                          pf.node_text(caps["recv"][0])))
    calls.sort(key=lambda c: c[0].start_byte)
    return pf, calls


def _grant_values(v: Value) -> list[Any]:
    """A `permissions` array as the engine takes it (strings, `{"$ref": var}`, else unknown)."""
    if v.kind == "string":
        return [v.value]
    if v.kind != "array":
        return [{"$unknown": v.kind, "label": "(not an array)"}]
    out: list[Any] = []
    for i, item in enumerate(v.items, 1):
        if item.kind == "string":
            out.append(item.value)
        elif item.kind == "ref":
            out.append({"$ref": item.text})
        else:
            out.append({"$unknown": item.kind, "label": f"entry {i}"})
    return out


def esbuild_binary(app_root: Path) -> Path | None:
    """The esbuild that embedded synth may bundle node handlers with, or None (ship folders).

    Embedded synth never runs the app's own toolchain, so the app's `node_modules/.bin/esbuild`
    is not used (that is project mode's business). An esbuild the user installed for their
    machine is: the `SST_LSP_ESBUILD` environment variable, else `esbuild` on PATH. `app_root`
    is kept for the signature's sake (a per-app override may come later).
    """
    del app_root
    explicit = os.environ.get("SST_LSP_ESBUILD", "").strip()
    if explicit:
        p = Path(explicit).expanduser()
        return p if p.is_file() else None
    found = shutil.which("esbuild")
    return Path(found) if found else None


def iter_functions(spec: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every function spec in a spec (standalone, consumers, route functions)."""
    for st in spec.get("stacks", []):
        for c in st.get("constructs", []):
            yield from c.get("functions", [])
            for r in c.get("routes", []):
                if r.get("function") is not None:
                    yield r["function"]
