"""Templates adapted to the embedded local endpoint, and stack outputs computed for it (cloud layer).

Pure functions, no AWS calls: the deployer applies them only for ``--local`` (the embedded moto
server, ``Connection.local``), never for real AWS or a user's ``--endpoint-url``. The cloud
assembly on disk is never touched: the adapted copy is only what is sent to the local endpoint.

Why (moto 5.2 server mode, measured):

* ``AWS::SSM::Parameter`` with ``Tags`` as a map (CloudFormation's form, which CDK and SST emit)
  makes moto answer HTTP 500: moto wants the ``[{Key, Value}]`` list form. The map is rewritten
  as that list (same tags).
* Types moto does not model (``AWS::ApiGatewayV2::*``, ...) are skipped with a warning, and a
  ``Ref`` / ``Fn::GetAtt`` / ``${X}`` to one of them fails. Such references become clearly-named
  placeholders (``sst-lsp-placeholder-<LogicalId>[-<Attribute>]``); the resources stay in the
  template so the change set still lists them. Custom resources are dropped: moto would invoke
  their Lambda, which the local endpoint does not run.
* After ExecuteChangeSet a stack has no Outputs and no exports, so ``Fn::ImportValue`` between
  stacks fails. ``stack_outputs`` computes a deployed stack's outputs and exports from its
  template and its resources' physical ids (ListStackResources); ``adapt_for_local``
  substitutes the imported values in the stacks that depend on it.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: The resource types moto's CloudFormation creates (moto 5.2.5: ``get_model_map()`` of
#: ``moto/cloudformation/parsing.py``, i.e. every ``CloudFormationModel`` subclass, less its two
#: internal entries ``?`` and ``AWS::SERVICE::RESOURCE``). A test compares this set with the
#: installed moto. Anything else is skipped by moto with a warning: references to it become
#: placeholders here.
MOTO_CLOUDFORMATION_TYPES: frozenset[str] = frozenset(
    {
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::RestApi",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::AutoScaling::LaunchConfiguration",
        "AWS::AutoScaling::ScheduledAction",
        "AWS::Batch::ComputeEnvironment",
        "AWS::Batch::JobDefinition",
        "AWS::Batch::JobQueue",
        "AWS::CloudFormation::Stack",
        "AWS::CloudWatch::Dashboard",
        "AWS::DataPipeline::Pipeline",
        "AWS::DynamoDB::Table",
        "AWS::EC2::EIP",
        "AWS::EC2::FlowLog",
        "AWS::EC2::Instance",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::LaunchTemplate",
        "AWS::EC2::NatGateway",
        "AWS::EC2::NetworkInterface",
        "AWS::EC2::Route",
        "AWS::EC2::RouteTable",
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SpotFleet",
        "AWS::EC2::Subnet",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::TransitGateway",
        "AWS::EC2::VPC",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::VPCPeeringConnection",
        "AWS::EC2::VPNGateway",
        "AWS::EC2::Volume",
        "AWS::EC2::VolumeAttachment",
        "AWS::ECR::Repository",
        "AWS::ECS::Cluster",
        "AWS::ECS::Service",
        "AWS::ECS::TaskDefinition",
        "AWS::EFS::AccessPoint",
        "AWS::EFS::FileSystem",
        "AWS::EFS::MountTarget",
        "AWS::EMR::Cluster",
        "AWS::EMR::InstanceGroupConfig",
        "AWS::EMR::SecurityConfiguration",
        "AWS::ElasticLoadBalancing::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::Events::Archive",
        "AWS::Events::EventBus",
        "AWS::Events::Rule",
        "AWS::IAM::AccessKey",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::IAM::User",
        "AWS::IoT::BillingGroup",
        "AWS::IoT::JobTemplate",
        "AWS::IoT::Policy",
        "AWS::IoT::RoleAlias",
        "AWS::IoT::Thing",
        "AWS::IoT::ThingType",
        "AWS::KMS::Alias",
        "AWS::KMS::Key",
        "AWS::Kinesis::Stream",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Version",
        "AWS::Logs::LogGroup",
        "AWS::Logs::ResourcePolicy",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBParameterGroup",
        "AWS::RDS::DBSecurityGroup",
        "AWS::RDS::DBSubnetGroup",
        "AWS::Redshift::Cluster",
        "AWS::Redshift::ClusterParameterGroup",
        "AWS::Redshift::ClusterSubnetGroup",
        "AWS::Route53::HealthCheck",
        "AWS::Route53::HostedZone",
        "AWS::Route53::RecordSet",
        "AWS::Route53::RecordSetGroup",
        "AWS::S3::Bucket",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::SSM::Document",
        "AWS::SSM::Parameter",
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Model",
        "AWS::SageMaker::NotebookInstance",
        "AWS::SageMaker::NotebookInstanceLifecycleConfig",
        "AWS::StepFunctions::StateMachine",
    }
)

#: Types that are neither created nor worth a note (CDK's own metadata).
SILENT_TYPES: frozenset[str] = frozenset({"AWS::CDK::Metadata"})

#: sst-lsp's own stand-in resources (the embedded synth's ``SstLspPlaceholder`` that keeps a
#: stack without modeled resources deployable): not a gap of moto's, so no note.
SILENT_LOGICAL_IDS: frozenset[str] = frozenset({"SstLspPlaceholder"})

PLACEHOLDER_PREFIX = "sst-lsp-placeholder-"

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


#: Types moto lacks whose `Ref` is an ARN, and the service of that ARN: their placeholder is
#: ARN-shaped, as IAM policies take only ARNs (an RDS cluster's secret granted to a function).
ARN_REF_TYPES: dict[str, tuple[str, str]] = {
    "AWS::SecretsManager::Secret": ("secretsmanager", "secret:"),
    "AWS::SecretsManager::SecretTargetAttachment": ("secretsmanager", "secret:"),
}


def placeholder(logical_id: str, attribute: str | None = None) -> str:
    """The stand-in value for a reference to a resource the local endpoint does not create."""
    suffix = f"-{attribute.replace('.', '-')}" if attribute else ""
    return f"{PLACEHOLDER_PREFIX}{logical_id}{suffix}"


def is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


def _resources(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    res = template.get("Resources")
    if not isinstance(res, Mapping):
        return {}
    return {str(k): v for k, v in res.items() if isinstance(v, dict)}


def _getatt_parts(value: Any) -> tuple[str, str] | None:
    """``Fn::GetAtt``'s argument as (logical id, attribute): list or ``"X.Attr"`` form."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    if isinstance(value, str) and "." in value:
        lid, _, attr = value.partition(".")
        return lid, attr
    return None


#: Types whose `Ref` moto's server answers with its model object instead of the physical id
#: (moto 5.2's EventBus has no `physical_resource_id`: a rule's `EventBusName: {Ref: Bus}` then
#: fails with HTTP 500); `Fn::GetAtt [X, Name]` gives the same value on AWS and on moto.
REF_AS_NAME_TYPES = frozenset({"AWS::Events::EventBus"})


class _Adapter:
    def __init__(self, missing: Mapping[str, str], exports: Mapping[str, str],
                 ref_as_name: frozenset[str] = frozenset()) -> None:
        #: Logical id -> type, for the resources the endpoint does not create.
        self.missing = missing
        #: Logical ids whose `Ref` becomes `Fn::GetAtt [X, Name]` (`REF_AS_NAME_TYPES`).
        self.ref_as_name = ref_as_name
        self.exports = exports
        self.used: set[str] = set()
        self.unknown_imports: list[str] = []

    def walk(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref" and isinstance(arg, str) and arg in self.missing:
                self.used.add(arg)
                arn = ARN_REF_TYPES.get(self.missing[arg])
                if arn is not None:
                    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{arn[0]}:${{AWS::Region}}:${{AWS::AccountId}}:"
                                       f"{arn[1]}{placeholder(arg)}"}
                return placeholder(arg)
            if key == "Ref" and isinstance(arg, str) and arg in self.ref_as_name:
                return {"Fn::GetAtt": [arg, "Name"]}
            if key == "Fn::GetAtt":
                parts = _getatt_parts(arg)
                if parts and parts[0] in self.missing:
                    self.used.add(parts[0])
                    return placeholder(*parts)
            if key == "Fn::ImportValue":
                if isinstance(arg, str):
                    if arg in self.exports:
                        return self.exports[arg]
                    self.unknown_imports.append(arg)
                return {key: self.walk(arg)}
            if key == "Fn::Sub":
                return {key: self._sub(arg)}
        return {k: self.walk(v) for k, v in node.items()}

    def _sub(self, arg: Any) -> Any:
        if isinstance(arg, str):
            return self._sub_text(arg, set())
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            variables = arg[1] if isinstance(arg[1], dict) else {}
            return [self._sub_text(arg[0], set(variables)), self.walk(arg[1])]
        return self.walk(arg)

    def _sub_text(self, text: str, local_vars: set[str]) -> str:
        def repl(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            lid, _, attr = name.partition(".")
            if name in local_vars:
                return m.group(0)
            if lid in self.ref_as_name and not attr:
                return "${" + lid + ".Name}"
            if lid not in self.missing:
                return m.group(0)
            self.used.add(lid)
            return placeholder(lid, attr or None)

        return _SUB_VAR.sub(repl, text)


def adapt_for_local(
    template: dict[str, Any], *, exports: dict[str, str], supported_types: frozenset[str]
) -> tuple[dict[str, Any], list[str]]:
    """An adapted copy of ``template`` for the local endpoint, and notes for the user.

    ``exports`` maps export names to the values computed for the stacks already deployed
    (``stack_outputs``); ``supported_types`` is the set of types the endpoint creates
    (``MOTO_CLOUDFORMATION_TYPES``). ``template`` itself is not modified.
    """
    out = copy.deepcopy(template)
    notes: list[str] = []
    resources = _resources(out)
    dropped = {lid: str(r.get("Type")) for lid, r in resources.items() if is_custom_resource(str(r.get("Type")))}
    missing = {
        lid: str(r.get("Type"))
        for lid, r in resources.items()
        if str(r.get("Type")) not in supported_types
    }
    ref_as_name = frozenset(lid for lid, r in resources.items()
                            if str(r.get("Type")) in REF_AS_NAME_TYPES and lid not in missing)
    adapter = _Adapter(missing, exports, ref_as_name)
    for key in list(out):
        if key in ("Resources", "Outputs", "Conditions"):
            out[key] = adapter.walk(out[key])

    new_resources = out.get("Resources")
    if isinstance(new_resources, dict):
        for lid in dropped:
            new_resources.pop(lid, None)
        for res in new_resources.values():
            if not isinstance(res, dict):
                continue
            deps = res.get("DependsOn")
            if isinstance(deps, str) and deps in dropped:
                del res["DependsOn"]
            elif isinstance(deps, list) and any(d in dropped for d in deps):
                res["DependsOn"] = [d for d in deps if d not in dropped]
            props = res.get("Properties")
            if res.get("Type") == "AWS::SSM::Parameter" and isinstance(props, dict):
                tags = props.get("Tags")
                if isinstance(tags, dict):
                    # Same tags in the list form moto's SSM model reads.
                    props["Tags"] = [{"Key": str(k), "Value": v} for k, v in tags.items()]

    skipped = Counter(
        t
        for lid, t in missing.items()
        if lid not in dropped and t not in SILENT_TYPES and lid not in SILENT_LOGICAL_IDS
    )
    if skipped:
        notes.append(f"moto does not create {_kinds(skipped)} (references to them are placeholders)")
    for lid, t in sorted(dropped.items()):
        notes.append(f"custom resource {lid} ({t}) skipped: the local endpoint does not run its Lambda")
    outputs = out.get("Outputs")
    original_outputs = template.get("Outputs")
    if isinstance(outputs, dict) and isinstance(original_outputs, Mapping):
        for key, spec in outputs.items():
            if PLACEHOLDER_PREFIX in json.dumps(spec.get("Value") if isinstance(spec, dict) else spec):
                refs = sorted(_references(original_outputs.get(key)) & set(missing))
                what = ", ".join(f"{missing[r]} {r}" for r in refs) or "a resource it references"
                notes.append(f"output {key} is a placeholder: moto does not create {what}")
    for name in sorted(set(adapter.unknown_imports)):
        notes.append(f"import {name} has no value: its exporting stack was not deployed locally")
    return out, notes


def _kinds(counts: Counter[str]) -> str:
    """``AWS::ApiGatewayV2::{Api, Route x5}, AWS::Cognito::UserPool``: types grouped by service."""
    by_service: dict[str, list[str]] = {}
    for t, n in sorted(counts.items()):
        service, _, kind = t.rpartition("::")
        by_service.setdefault(service, []).append(f"{kind} x{n}" if n > 1 else kind)
    parts = []
    for service, kinds in by_service.items():
        parts.append(f"{service}::{kinds[0]}" if len(kinds) == 1 else f"{service}::{{{', '.join(kinds)}}}")
    return ", ".join(parts)


def _references(node: Any) -> set[str]:
    """Logical ids referenced by ``Ref``, ``Fn::GetAtt`` or ``${X}`` inside ``node``."""
    found: set[str] = set()
    todo = [node]
    while todo:
        cur = todo.pop()
        if isinstance(cur, list):
            todo.extend(cur)
        elif isinstance(cur, dict):
            for k, v in cur.items():
                if k == "Ref" and isinstance(v, str):
                    found.add(v)
                elif k == "Fn::GetAtt" and (parts := _getatt_parts(v)):
                    found.add(parts[0])
                elif k == "Fn::Sub":
                    text = v if isinstance(v, str) else v[0] if isinstance(v, list) and v else ""
                    if isinstance(text, str):
                        found.update(m.group(1).split(".")[0] for m in _SUB_VAR.finditer(text))
                    todo.append(v)
                else:
                    todo.append(v)
    return found


# -- outputs and exports of a deployed stack ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeployedResource:
    """One ListStackResources row of a deployed stack."""

    logical_id: str
    resource_type: str
    physical_id: str


@dataclass(frozen=True, slots=True)
class StackContext:
    """What a template's expressions may refer to besides its resources."""

    stack_name: str
    stack_id: str
    account: str
    region: str
    partition: str = "aws"


#: Looks an attribute up through the resource's service API; None when it cannot.
AttributeLookup = Callable[[DeployedResource, str], "str | None"]


class Unresolved(Exception):
    """An expression whose value cannot be computed (message for the user)."""


def _arn(ctx: StackContext, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
    region = ctx.region if regional else ""
    acct = ctx.account if account else ""
    return f"arn:{ctx.partition}:{service}:{region}:{acct}:{resource}"


def _iam_path(props: Mapping[str, Any]) -> str:
    path = props.get("Path")
    return path if isinstance(path, str) and path.startswith("/") and path.endswith("/") else "/"


def attribute_from_pattern(
    res: DeployedResource, attribute: str, ctx: StackContext, props: Mapping[str, Any]
) -> str | None:
    """``Fn::GetAtt`` values built from the physical id and the type's ARN pattern (the same
    patterns AWS uses), or None for an attribute this table does not know."""
    t, pid = res.resource_type, res.physical_id
    last = pid.rstrip("/").rsplit("/", 1)[-1]
    table: dict[str, dict[str, Callable[[], str]]] = {
        "AWS::DynamoDB::Table": {"Arn": lambda: _arn(ctx, "dynamodb", f"table/{pid}")},
        "AWS::S3::Bucket": {
            "Arn": lambda: _arn(ctx, "s3", pid, regional=False, account=False),
            "DomainName": lambda: f"{pid}.s3.amazonaws.com",
            "RegionalDomainName": lambda: f"{pid}.s3.{ctx.region}.amazonaws.com",
            "WebsiteURL": lambda: f"http://{pid}.s3-website-{ctx.region}.amazonaws.com",
        },
        # Ref of a queue is its URL; its name is the URL's last segment.
        "AWS::SQS::Queue": {
            "Arn": lambda: _arn(ctx, "sqs", last),
            "QueueName": lambda: last,
            "QueueUrl": lambda: pid,
        },
        # Ref of a topic is its ARN.
        "AWS::SNS::Topic": {"TopicArn": lambda: pid, "TopicName": lambda: pid.rsplit(":", 1)[-1]},
        "AWS::Lambda::Function": {"Arn": lambda: _arn(ctx, "lambda", f"function:{pid}")},
        "AWS::IAM::Role": {
            "Arn": lambda: _arn(ctx, "iam", f"role{_iam_path(props)}{pid}", regional=False)
        },
        "AWS::IAM::User": {
            "Arn": lambda: _arn(ctx, "iam", f"user{_iam_path(props)}{pid}", regional=False)
        },
        "AWS::IAM::InstanceProfile": {
            "Arn": lambda: _arn(ctx, "iam", f"instance-profile{_iam_path(props)}{pid}", regional=False)
        },
        "AWS::Events::Rule": {"Arn": lambda: _arn(ctx, "events", f"rule/{pid}")},
        "AWS::Events::EventBus": {
            "Arn": lambda: _arn(ctx, "events", f"event-bus/{pid}"),
            "Name": lambda: pid,
        },
        "AWS::Logs::LogGroup": {"Arn": lambda: _arn(ctx, "logs", f"log-group:{pid}:*")},
        "AWS::Kinesis::Stream": {"Arn": lambda: _arn(ctx, "kinesis", f"stream/{pid}")},
        "AWS::KMS::Key": {"Arn": lambda: _arn(ctx, "kms", f"key/{pid}"), "KeyId": lambda: pid},
        "AWS::ECR::Repository": {"Arn": lambda: _arn(ctx, "ecr", f"repository/{pid}")},
        # Ref of a state machine is its ARN.
        "AWS::StepFunctions::StateMachine": {"Arn": lambda: pid, "Name": lambda: pid.rsplit(":", 1)[-1]},
    }
    make = table.get(t, {}).get(attribute)
    return make() if make else None


class Resolver:
    """Evaluates a template expression against a deployed stack."""

    def __init__(
        self,
        template: Mapping[str, Any],
        resources: list[DeployedResource],
        ctx: StackContext,
        *,
        exports: Mapping[str, str] | None = None,
        lookup: AttributeLookup | None = None,
    ) -> None:
        self.template = template
        self.resources = {r.logical_id: r for r in resources}
        self.ctx = ctx
        self.exports = exports or {}
        self.lookup = lookup
        self.properties: dict[str, dict[str, Any]] = {
            lid: r["Properties"] if isinstance(r.get("Properties"), dict) else {}
            for lid, r in _resources(template).items()
        }
        self._conditions: dict[str, bool] = {}

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::AccountId": self.ctx.account,
            "AWS::Region": self.ctx.region,
            "AWS::Partition": self.ctx.partition,
            "AWS::StackName": self.ctx.stack_name,
            "AWS::StackId": self.ctx.stack_id,
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def ref(self, name: str) -> Any:
        value = self.pseudo(name)
        if value is not None:
            return value
        if name in self.resources:
            return self.resources[name].physical_id
        params = self.template.get("Parameters")
        if isinstance(params, Mapping) and isinstance(params.get(name), Mapping):
            default = params[name].get("Default")
            if default is not None and "SSM" not in str(params[name].get("Type", "")):
                return default
        raise Unresolved(f"Ref {name} has no deployed value")

    def getatt(self, lid: str, attribute: str) -> str:
        res = self.resources.get(lid)
        if res is None:
            raise Unresolved(f"Fn::GetAtt {lid}.{attribute}: {lid} was not created")
        value = attribute_from_pattern(res, attribute, self.ctx, self.properties.get(lid) or {})
        if value is None and self.lookup is not None:
            value = self.lookup(res, attribute)
        if value is None:
            raise Unresolved(f"Fn::GetAtt {lid}.{attribute} ({res.resource_type}) is not known locally")
        return value

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions")
            spec = conditions.get(name) if isinstance(conditions, Mapping) else None
            if spec is None:
                raise Unresolved(f"condition {name} is not defined")
            self._conditions[name] = bool(self.value(spec))
        return self._conditions[name]

    def value(self, node: Any) -> Any:
        if isinstance(node, (str, int, float, bool)) or node is None:
            return node
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, Mapping):
            raise Unresolved(f"unexpected value {node!r}")
        if len(node) != 1:
            return {k: self.value(v) for k, v in node.items()}
        (key, arg), = node.items()
        if key == "Ref" and isinstance(arg, str):
            return self.ref(arg)
        if key == "Fn::GetAtt":
            parts = _getatt_parts(arg)
            if not parts:
                raise Unresolved(f"malformed Fn::GetAtt {arg!r}")
            return self.getatt(*parts)
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            items = self.value(arg[1])
            if not isinstance(items, list):
                raise Unresolved("Fn::Join of a non-list")
            return str(self.value(arg[0])).join(str(i) for i in items)
        if key == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            items = self.value(arg[1])
            return items[int(self.value(arg[0]))]
        if key == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            return str(self.value(arg[1])).split(str(self.value(arg[0])))
        if key == "Fn::Sub":
            return self.sub(arg)
        if key == "Fn::ImportValue":
            name = self.value(arg)
            if name in self.exports:
                return self.exports[name]
            raise Unresolved(f"import {name} has no value")
        if key == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            return self.value(arg[1] if self.condition(str(arg[0])) else arg[2])
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            return self.value(arg[0]) == self.value(arg[1])
        if key == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            return not self.value(arg[0])
        if key == "Fn::And" and isinstance(arg, list):
            return all(self.value(v) for v in arg)
        if key == "Fn::Or" and isinstance(arg, list):
            return any(self.value(v) for v in arg)
        if key == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if key.startswith("Fn::"):
            raise Unresolved(f"{key} is not evaluated locally")
        return {key: self.value(arg)}

    def sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        values = {k: self.value(v) for k, v in (variables or {}).items()}

        def repl(m: re.Match[str]) -> str:
            name = m.group(1).strip()
            if name in values:
                return str(values[name])
            if "." in name:
                lid, _, attr = name.partition(".")
                return str(self.getatt(lid, attr))
            return str(self.ref(name))

        # ``${!Literal}`` stays as ``${Literal}``.
        return _SUB_VAR.sub(repl, str(text)).replace("${!", "${")


def stack_outputs(
    template: Mapping[str, Any],
    resources: list[DeployedResource],
    ctx: StackContext,
    *,
    exports: Mapping[str, str] | None = None,
    lookup: AttributeLookup | None = None,
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """A deployed stack's outputs and exports computed from the template it was deployed with.

    Returns (outputs: key -> value, exports: export name -> value, notes). An output whose value
    cannot be computed gets a placeholder naming it, and a note says why.
    """
    resolver = Resolver(template, resources, ctx, exports=exports, lookup=lookup)
    outputs: dict[str, str] = {}
    out_exports: dict[str, str] = {}
    notes: list[str] = []
    specs = template.get("Outputs")
    if not isinstance(specs, Mapping):
        return outputs, out_exports, notes
    for key, spec in specs.items():
        if not isinstance(spec, Mapping) or "Value" not in spec:
            continue
        try:
            if "Condition" in spec and not resolver.condition(str(spec["Condition"])):
                continue
            raw = resolver.value(spec["Value"])
            value = raw if isinstance(raw, str) else json.dumps(raw) if isinstance(raw, (list, dict)) else str(raw)
        except (Unresolved, LookupError, ValueError, TypeError) as exc:
            value = placeholder(str(key))
            notes.append(f"output {key} is a placeholder: {exc}")
        outputs[str(key)] = value
        export = spec.get("Export")
        if isinstance(export, Mapping) and "Name" in export:
            try:
                out_exports[str(resolver.value(export["Name"]))] = value
            except (Unresolved, LookupError, ValueError, TypeError) as exc:
                notes.append(f"the export of output {key} has no name: {exc}")
    return outputs, out_exports, notes
