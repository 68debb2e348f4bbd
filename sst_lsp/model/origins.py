"""Which module a name comes from (layer 2: model): SST and CDK imports, and the (kind, origin)
of a constructor expression.

`bind_module` records what an import binds (SST classes and namespaces, CDK modules and
classes); `classify` answers (kind, origin) for `new X(...)`: origin "sst" for v0-v2
(`@serverless-stack/resources`, `sst/constructs`), the CDK module ("aws-dynamodb", "core") for
CDK classes, "sst3" for v3 `sst.aws.X`.
"""

from __future__ import annotations

from tree_sitter import Node

from sst_lsp.model.extract_context import FileContext
from sst_lsp.model.js_values import unwrap


def is_sst_module(spec: str) -> bool:
    """True for the v0-v2 construct libraries (`@serverless-stack/resources`, `sst/constructs`)."""
    return spec in ("@serverless-stack/resources", "sst/constructs") or spec.startswith(
        ("@serverless-stack/resources/", "sst/constructs/")
    )


def cdk_module(spec: str) -> str | None:
    """ "aws-cdk-lib/aws-dynamodb" -> "aws-dynamodb"; "aws-cdk-lib" -> ""; else None."""
    if spec == "aws-cdk-lib":
        return ""
    if spec.startswith("aws-cdk-lib/"):
        return spec[len("aws-cdk-lib/") :]
    if spec.startswith("@aws-cdk/"):
        return spec[len("@aws-cdk/") :]
    return None


def bind_module(cx: FileContext, spec: str, names: list[tuple[str, str]]) -> None:
    if is_sst_module(spec):
        for local, imported in names:
            if imported in ("*", "default"):
                cx.sst_ns.add(local)
            else:
                cx.sst_names[local] = imported
        return
    mod = cdk_module(spec)
    if mod is None:
        return
    for local, imported in names:
        if imported in ("*", "default"):
            cx.cdk_ns[local] = mod
        elif mod == "" and imported.startswith("aws_"):
            # `import { aws_dynamodb as dynamodb } from "aws-cdk-lib"`.
            cx.cdk_ns[local] = imported.replace("_", "-")
        else:
            cx.cdk_names[local] = (mod or "core", imported)


def is_sst_class(cx: FileContext, node: Node, cls: str) -> bool:
    if node.type == "identifier":
        return cx.sst_names.get(cx.text(node)) == cls
    if node.type == "member_expression":
        obj = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        return (
            obj is not None
            and prop is not None
            and cx.text(obj) in cx.sst_ns
            and cx.text(prop) == cls
        )
    return False


# ------------------------------------------------------------------------------------------
# `new X(...)`.
def classify(cx: FileContext, ctor: Node) -> tuple[str, str] | None:
    """(kind, origin) of a constructor expression, or None when it is not ours."""
    ctor = unwrap(ctor) or ctor
    if ctor.type == "identifier":
        name = cx.text(ctor)
        if name in cx.sst_names:
            kind = cx.sst_names[name]
            return None if kind in ("App", "Stack") else (kind, "sst")
        if name in cx.cdk_names:
            mod, cls = cx.cdk_names[name]
            return (cls, mod)
        return None
    if ctor.type == "member_expression":
        obj = ctor.child_by_field_name("object")
        prop = ctor.child_by_field_name("property")
        if obj is None or prop is None:
            return None
        cls = cx.text(prop)
        obj_text = cx.text(obj)
        if obj_text in cx.sst_ns:
            return None if cls in ("App", "Stack") else (cls, "sst")
        if obj.type == "identifier" and cx.text(obj) in cx.sst_names:
            # `new Config.Secret(stack, "X")`.
            return (f"{cx.sst_names[obj_text]}.{cls}", "sst")
        if obj.type == "identifier" and obj_text in cx.cdk_ns:
            return (cls, cx.cdk_ns[obj_text] or "core")
        if obj.type == "member_expression":
            o2 = obj.child_by_field_name("object")
            p2 = obj.child_by_field_name("property")
            if o2 is not None and p2 is not None:
                o2t = cx.text(o2)
                if o2t in cx.cdk_ns and cx.cdk_ns[o2t] == "" and cx.text(p2).startswith("aws_"):
                    return (cls, cx.text(p2).replace("_", "-"))
                if o2t == "sst" and cx.text(p2) == "aws" and "sst" not in cx.sst_ns:
                    return (cls, "sst3")
    return None
