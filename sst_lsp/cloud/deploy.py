"""Deploying a cloud assembly to a stage (cloud layer): ``deploy_assembly``.

Steps: validate the stage and stack names; confirm a protected stage; open the AWS session
(credentials checked); make sure the CDK bootstrap exists (sst-lsp's minimal one after asking;
seeded on the local endpoint); assess data loss for every stack from the deployed templates
(one question for all stacks, before anything is published), and refuse what cannot succeed
(``certain_failures``: a named resource replaced under its name, or moved onto a name still
taken); publish the file assets; then per
stack in dependency order: CreateChangeSet (CREATE or UPDATE), wait, assess its changes again
(the change set's ``Replacement`` where the endpoint fills it), ExecuteChangeSet, poll stack
events until a terminal status, streaming every event; then the outputs, printed and written
to ``.sst-lsp/outputs/{stage}.json`` (replaced atomically; a local endpoint's go to
``.sst-lsp/local/outputs/{stage}.json``). A call that fails midway (the endpoint gone, the
credentials refused) ends that stack with its name, what it was doing and its last known state;
the change sets an interrupted deploy left are deleted by the next one.

On a moto endpoint (``Connection.local``: ``--local``, the stage's kept one, or an endpoint URL
that answers moto's ``/moto-api/``) and only there, every template is adapted before it is sent (``local_compat.adapt_for_local``: moto's gaps; the
assembly on disk is untouched), and each stack's outputs and exports are computed from its
template and resources (``local_compat.stack_outputs``), because moto reports none after a change
set; the exports feed the ``Fn::ImportValue`` of the stacks deployed after it.

Nothing here raises for an operational failure: every outcome is a ``DeployResult``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import botocore.exceptions

from sst_lsp.cloud.assembly import AssemblyError, CloudAssembly, StackArtifact, order_stacks, read_assembly
from sst_lsp.cloud.assets import PublishedAsset, publish_assets, substitute
from sst_lsp.cloud.aws import CloudError, CloudSession, Connection, describe_error, open_session
from sst_lsp.cloud.bootstrap import ensure_bootstrap
from sst_lsp.cloud.local_compat import (
    MOTO_CLOUDFORMATION_TYPES,
    DeployedResource,
    StackContext,
    adapt_for_local,
    stack_outputs,
)
from sst_lsp.cloud.naming import (
    DEFAULT_PROTECTED_STAGES,
    is_protected,
    stack_name_problem,
    stage_name_problem,
)
from sst_lsp.cloud.outputs import display_path, format_outputs, outputs_path, write_outputs_file
from sst_lsp.cloud.reporter import Reporter
from sst_lsp.cloud.stacks import (
    UPDATABLE,
    EventStream,
    StackEvent,
    change_set_entries,
    describe_stack,
    failure_summary,
    get_template,
    is_no_change,
    is_terminal,
    list_resources,
    outputs_of,
    safe,
    stack_parameters,
    wait_change_set,
    wait_stack,
)
from sst_lsp.model.cfn import (
    ChangeSetEntry,
    Hazard,
    assess,
    deletion_outcome,
    diff_templates,
    normalize,
    resources_of,
)

_log = logging.getLogger(__name__)

DeployStatus = Literal["deployed", "no-changes", "refused", "failed", "cancelled"]
StackStatus = Literal["deployed", "no-changes", "refused", "failed", "cancelled", "skipped"]

#: CloudFormation's limit for an inline TemplateBody; larger templates go through S3.
TEMPLATE_BODY_LIMIT = 51_200
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
DATA_LOSS_ACTIONS = ["Deploy anyway", "Cancel"]


@dataclass(slots=True)
class DeployOptions:
    connection: Connection = field(default_factory=Connection)
    #: Stack names (full, artifact id, or SST short name); their dependencies come along.
    stacks: list[str] | None = None
    #: Non-interactive consent to generic questions (protected stage, bootstrap creation).
    #: It never implies data-loss consent: with ``yes`` and without ``allow_data_loss`` a
    #: data-losing deploy is refused without asking.
    yes: bool = False
    allow_data_loss: bool = False
    protected_stages: tuple[str, ...] = DEFAULT_PROTECTED_STAGES
    #: The app root: outputs go to ``<root>/.sst-lsp/outputs/{stage}.json``; None: no file.
    outputs_root: Path | None = None
    #: Seconds to wait for one stack operation.
    timeout: float = 3600.0


@dataclass(slots=True)
class StackResult:
    stack: str
    status: StackStatus
    message: str = ""
    #: The final CloudFormation status (``UPDATE_COMPLETE``, ``ROLLBACK_COMPLETE``, ...).
    stack_status: str | None = None
    changes: list[ChangeSetEntry] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    events: list[StackEvent] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": self.status,
            "message": self.message,
            "stackStatus": self.stack_status,
            "changes": [c.to_json() for c in self.changes],
            "hazards": [h.to_json() for h in self.hazards],
            "events": [e.to_json() for e in self.events],
            "outputs": self.outputs,
        }


@dataclass(slots=True)
class DeployResult:
    status: DeployStatus
    message: str
    stacks: list[StackResult] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    hazards: list[Hazard] = field(default_factory=list)
    assets: list[PublishedAsset] = field(default_factory=list)
    outputs_file: Path | None = None
    region: str | None = None
    endpoint_url: str | None = None
    #: What the embedded local endpoint does differently for this deploy (placeholders, ...),
    #: each line prefixed with its stack; empty for real AWS.
    local_notes: list[str] = field(default_factory=list)
    #: The constructs the synth left out (``partial.LeftOut.to_json``) when that refused the deploy.
    not_modeled: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("deployed", "no-changes")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "region": self.region,
            "endpointUrl": self.endpoint_url,
            "stacks": [s.to_json() for s in self.stacks],
            "outputs": self.outputs,
            "hazards": [h.to_json() for h in self.hazards],
            "assets": [dataclasses.asdict(a) for a in self.assets],
            "outputsFile": str(self.outputs_file) if self.outputs_file else None,
            "localNotes": self.local_notes,
            "notModeled": self.not_modeled,
        }

    def to_text(self, cwd: Path | None = None) -> str:
        """The CLI's summary: the outcome, one line per stack, the outputs (without CDK's
        cross-stack exports, which stay in the file), and the local endpoint's differences."""
        lines = [self.message or self.status]
        width = max((len(s.stack) for s in self.stacks), default=0)
        for s in self.stacks:
            if s.status == "deployed":
                state = s.stack_status or "deployed"
            elif s.status == "no-changes":
                state = "no changes"
            elif s.status == "failed":
                # The message starts with the stack's name; the line already shows it.
                state = "FAILED: " + s.message.removeprefix(f"{s.stack}: ")
            else:
                state = s.status + (f" ({s.message[0].lower()}{s.message[1:]})" if s.message else "")
                if s.status == "refused":
                    state = "refused (data loss)"
            lines.append(f"  {s.stack:<{width}}  {state}")
        shown = format_outputs(self.outputs)
        if shown:
            where = f" ({display_path(self.outputs_file, cwd)})" if self.outputs_file else ""
            lines.append(f"Outputs{where}:")
            lines.extend(f"  {line}" for line in shown)
        if self.local_notes:
            lines.append("Local endpoint differences:")
            lines.extend(f"  {n}" for n in self.local_notes)
        return "\n".join(lines)


def check_stage(stage: str, stacks: list[StackArtifact]) -> str | None:
    """A message when the stage name or a stack name is invalid."""
    problem = stage_name_problem(stage)
    if problem:
        return problem
    for s in stacks:
        problem = stack_name_problem(s.stack_name)
        if problem:
            return problem
    return None


def confirm_protected(
    stage: str, verb: str, protected: tuple[str, ...], yes: bool, reporter: Reporter
) -> bool:
    if not is_protected(stage, protected) or yes:
        return True
    return reporter.confirm_typed(f"'{stage}' is a protected stage: type its name to {verb} it", stage)


class DataLossGate:
    """Asks once per hazard; remembers consent across stacks."""

    def __init__(self, options: DeployOptions, reporter: Reporter) -> None:
        self.options = options
        self.reporter = reporter
        self.consented: set[tuple[str, str]] = set()
        self.noted: set[tuple[str, str]] = set()

    def allow(self, hazards: list[Hazard]) -> bool:
        for h in hazards:
            if not h.blocks and (h.stack, h.logical_id) not in self.noted:
                self.noted.add((h.stack, h.logical_id))
                self.reporter.log(f"note: {h.describe()}")
        pending = [h for h in hazards if h.blocks and (h.stack, h.logical_id) not in self.consented]
        if not pending:
            return True
        if self.options.allow_data_loss:
            for h in pending:
                self.reporter.log(f"data loss allowed (--allow-data-loss): {h.describe()}")
        elif self.options.yes:
            return False
        else:
            answer = self.reporter.confirm(
                f"This deploy destroys data in {len(pending)} stateful resource(s). Deploy anyway?",
                [h.describe() for h in pending],
                DATA_LOSS_ACTIONS,
            )
            if answer != DATA_LOSS_ACTIONS[0]:
                return False
        self.consented.update((h.stack, h.logical_id) for h in pending)
        return True


def refusal_message(hazards: list[Hazard]) -> str:
    lines = [h.describe() for h in hazards if h.blocks]
    return (
        "Refused: the deploy would destroy data (pass --allow-data-loss or confirm in the editor):\n  "
        + "\n  ".join(lines)
    )


def annotate_moves(hazards: list[Hazard], adds: dict[tuple[str, str], str]) -> list[Hazard]:
    """Say "moved to stack X" for a removed stateful resource added to another stack."""
    out: list[Hazard] = []
    for h in hazards:
        target = adds.get((h.logical_id, h.resource_type))
        if h.kind == "remove" and target and target != h.stack:
            h = dataclasses.replace(
                h, reason=f"moved to stack {target}: a new, empty resource is created there"
            )
        out.append(h)
    return out


def order_for_moves(stacks: list[StackArtifact], moves: set[tuple[str, str]]) -> list[StackArtifact]:
    """Deploy the stack a resource leaves before the stack it joins, where dependencies allow:
    a named resource (SST names tables ``{stage}-{app}-{id}``) must be deleted before a
    resource of the same name can be created."""
    if not moves:
        return stacks
    by_name = {s.stack_name: s for s in stacks}
    extra: dict[str, set[str]] = {s.artifact_id: set() for s in stacks}
    by_id = {s.artifact_id: s for s in stacks}

    def depends(a: str, b: str) -> bool:
        todo, seen = [a], set()
        while todo:
            cur = todo.pop()
            if cur == b:
                return True
            if cur in seen or cur not in by_id:
                continue
            seen.add(cur)
            todo.extend(by_id[cur].depends_on)
            todo.extend(extra[cur])
        return False

    for src, dst in sorted(moves):
        if src in by_name and dst in by_name:
            s, d = by_name[src].artifact_id, by_name[dst].artifact_id
            if not depends(s, d):
                extra[d].add(s)
    augmented = [
        dataclasses.replace(s, depends_on=s.depends_on + tuple(sorted(extra[s.artifact_id]))) for s in stacks
    ]
    return [by_id[s.artifact_id] for s in order_stacks(augmented)]


#: The property holding a resource's explicit physical name (types whose names are unique in an
#: account and region). CloudFormation cannot replace a resource whose name stays the same, nor
#: create one whose name another resource still has.
NAME_PROPERTIES: dict[str, str] = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Events::EventBus": "Name",
}


def explicit_name(resource: Any) -> Any:
    """The resource's explicit physical name (normalized), or None."""
    if not isinstance(resource, dict):
        return None
    prop = NAME_PROPERTIES.get(str(resource.get("Type")))
    props = resource.get("Properties")
    if prop is None or not isinstance(props, dict) or props.get(prop) is None:
        return None
    return normalize(props[prop])


def _name_text(name: Any) -> str:
    return json.dumps(name)


def certain_failures(
    views: dict[str, tuple[dict[str, Any], dict[str, Any]]], order: list[str]
) -> list[str]:
    """Why a deploy of these stacks cannot succeed, judged before it starts: ``views`` maps each
    stack (in ``order``, the deploy order) to its (deployed, new) templates.

    - A replacement of a resource whose explicit name stays the same: CloudFormation refuses to
      replace a custom-named resource ("Rename X and update the stack again").
    - A named resource moved to another stack with the same name: creating it there fails while
      the old one exists, i.e. when the old one is retained (its DeletionPolicy) or when the
      stack it joins deploys before the stack it leaves (a dependency forces that order).
    """
    problems: list[str] = []
    removed: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for stack in order:
        old, new = views[stack]
        old_res, new_res = resources_of(old), resources_of(new)
        for d in diff_templates(old, new):
            if d.action == "remove":
                removed[(d.logical_id, d.resource_type)] = (stack, dict(old_res[d.logical_id]))
            if d.action != "modify" or d.replacement != "true":
                continue
            name = explicit_name(dict(new_res[d.logical_id]))
            if name is not None and name == explicit_name(dict(old_res[d.logical_id])):
                problems.append(
                    f"{stack}: {d.resource_type} {d.logical_id} is replaced (changed "
                    f"{', '.join(d.replacement_causes) or 'create-only properties'}) but keeps its name "
                    f"{_name_text(name)}: CloudFormation cannot replace a custom-named resource; give it "
                    "a new name (or revert the change)"
                )
    for stack in order:
        old, new = views[stack]
        old_res = resources_of(old)
        for lid, res in resources_of(new).items():
            if lid in old_res:
                continue
            rtype = str(res.get("Type"))
            src = removed.get((lid, rtype))
            if src is None or src[0] == stack:
                continue
            name = explicit_name(dict(res))
            if name is None or name != explicit_name(src[1]):
                continue
            if deletion_outcome(src[1]) != "destroyed":
                why = f"the old one is retained (DeletionPolicy {src[1].get('DeletionPolicy')}) and keeps the name"
            elif order.index(stack) < order.index(src[0]):
                why = f"{stack} deploys before {src[0]} (a dependency), while the old one still exists"
            else:
                continue
            problems.append(
                f"{rtype} {lid} moves from {src[0]} to {stack} with the same name {_name_text(name)}: "
                f"creating the new one fails because {why}; give it a new name, or remove it from "
                f"{src[0]} in an earlier deploy"
            )
    return problems


def _connection_lost(exc: BaseException) -> bool:
    """The endpoint could not be reached or hung up (not an answer of its own)."""
    return isinstance(
        exc,
        (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectTimeoutError,
            ConnectionError,
        ),
    )


def certain_failure_message(problems: list[str]) -> str:
    return "Refused: this deploy cannot succeed, so nothing was changed:\n  " + "\n  ".join(problems)


class Deployer:
    def __init__(
        self, assembly_dir: Path, stage: str, app_name: str, options: DeployOptions, reporter: Reporter
    ):
        self.assembly_dir = Path(assembly_dir)
        self.stage = stage
        self.app_name = app_name
        self.options = options
        self.reporter = reporter
        self.gate = DataLossGate(options, reporter)
        self.session: CloudSession | None = None
        #: Only a moto endpoint gets adapted templates (never AWS or another --endpoint-url).
        self.local = options.connection.local
        #: Export name -> value of the stacks deployed (or found deployed) on the local endpoint.
        self.local_exports: dict[str, str] = {}
        self.local_notes: list[str] = []
        #: Stack name -> (deployed template, template to send), filled by ``_assess_all``.
        self.views: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    # -- helpers -----------------------------------------------------------------------------

    def _cf(self) -> Any:
        assert self.session is not None
        return self.session.client("cloudformation")

    def _template_url(self, stack: StackArtifact) -> str | None:
        assert self.session is not None
        url = stack.template_asset_url
        if not url or not url.startswith("s3://"):
            return None
        s = self.session
        bucket, _, key = substitute(url[5:], s.account, s.region, s.partition).partition("/")
        return f"https://{bucket}.s3.{s.region}.amazonaws.com/{key}"

    def _note(self, stack: str, notes: list[str]) -> None:
        for n in notes:
            line = f"{stack}: {n}"
            if line not in self.local_notes:
                self.local_notes.append(line)

    def template_for(self, stack: StackArtifact, *, record: bool = True) -> tuple[dict[str, Any], str]:
        """The template (and its text) to send for ``stack``: the assembly's own, or on the
        embedded local endpoint its adapted copy."""
        if not self.local:
            return stack.template, stack.template_text
        adapted, notes = adapt_for_local(
            stack.template, exports=self.local_exports, supported_types=MOTO_CLOUDFORMATION_TYPES
        )
        if record:
            self._note(stack.stack_name, notes)
        return adapted, json.dumps(adapted, indent=1)

    def _local_template_url(self, stack: StackArtifact, text: str) -> str | None:
        """Upload an adapted template too large to pass inline next to the original one."""
        url = self._template_url(stack)
        if url is None:
            return None
        assert self.session is not None
        bucket = url.removeprefix("https://").split(".s3.", 1)[0]
        key = url.split(".amazonaws.com/", 1)[1].removesuffix(".json") + ".local.json"
        self.session.client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        return url.split(".amazonaws.com/", 1)[0] + ".amazonaws.com/" + key

    def _local_attribute(self, res: DeployedResource, attribute: str) -> str | None:
        """``Fn::GetAtt`` values no ARN pattern gives, read from the local endpoint's APIs."""
        assert self.session is not None
        client = self.session.client
        try:
            if res.resource_type == "AWS::DynamoDB::Table" and attribute == "StreamArn":
                value = client("dynamodb").describe_table(TableName=res.physical_id)["Table"].get("LatestStreamArn")
            elif res.resource_type == "AWS::IAM::Role" and attribute == "RoleId":
                value = client("iam").get_role(RoleName=res.physical_id)["Role"]["RoleId"]
            elif res.resource_type == "AWS::SQS::Queue" and attribute == "Arn":
                value = client("sqs").get_queue_attributes(
                    QueueUrl=res.physical_id, AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"]
            else:
                return None
        except Exception:  # noqa: BLE001 - the caller falls back to a placeholder.
            _log.debug("local lookup of %s.%s failed", res.logical_id, attribute, exc_info=True)
            return None
        return str(value) if value else None

    def _local_outputs(self, stack_name: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
        """Outputs, exports and notes of a stack deployed on the local endpoint, computed from
        the template it was deployed with and its resources' physical ids."""
        assert self.session is not None
        cf, s = self._cf(), self.session
        desc = describe_stack(cf, stack_name)
        if desc is None:
            return {}, {}, []
        rows = [
            DeployedResource(
                str(r["LogicalResourceId"]), str(r["ResourceType"]), str(r.get("PhysicalResourceId") or "")
            )
            for r in list_resources(cf, stack_name)
            if r.get("PhysicalResourceId")
        ]
        ctx = StackContext(stack_name, str(desc.get("StackId") or stack_name), s.account, s.region, s.partition)
        return stack_outputs(
            get_template(cf, stack_name), rows, ctx, exports=self.local_exports, lookup=self._local_attribute
        )

    def _interrupted(
        self, name: str, exc: BaseException, existing: dict[str, Any] | None, doing: str, last: str | None = None
    ) -> str:
        """The message for a stack whose deploy stopped because a call failed midway (the
        endpoint went away, the credentials expired): which stack, what it was doing, and the
        state it was last seen in."""
        before = existing.get("StackStatus") if existing else None
        if doing.startswith("executing"):
            state = (
                f"last seen {last}; it may still be changing" if last
                else "its state is unknown: the change set may have started"
            )
        else:
            state = f"unchanged ({before})" if before else "not created"
        return (
            f"{name}: stopped while {doing} ({describe_error(exc)}); the stack is {state}. "
            "Deploy again once the endpoint and credentials work: the re-run picks up from there"
        )

    def _drop_stale_change_sets(self, name: str) -> None:
        """Delete change sets an interrupted sst-lsp deploy left on the stack (never executed)."""
        cf = self._cf()
        rows = safe(lambda: cf.list_change_sets(StackName=name).get("Summaries", [])) or []
        for row in rows:
            cs = str(row.get("ChangeSetName") or "")
            if cs.startswith("sst-lsp-") and row.get("ExecutionStatus") in ("AVAILABLE", "UNAVAILABLE", None):
                self.reporter.log(f"{name}: deleting change set {cs}, left by an interrupted deploy")
                safe(functools.partial(cf.delete_change_set, StackName=name, ChangeSetName=cs))

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> DeployResult:
        reporter, options = self.reporter, self.options
        problem = stage_name_problem(self.stage)
        if problem:
            return DeployResult("failed", problem)
        reporter.progress("Reading the cloud assembly", 0)
        assembly = read_assembly(self.assembly_dir)
        stacks = assembly.select(options.stacks, self.stage, self.app_name)
        if not stacks:
            return DeployResult("failed", f"The cloud assembly in {self.assembly_dir} has no stacks")
        problem = check_stage(self.stage, stacks)
        if problem:
            return DeployResult("failed", problem)
        if not confirm_protected(self.stage, "deploy", options.protected_stages, options.yes, reporter):
            return DeployResult(
                "refused", f"Refused: '{self.stage}' is a protected stage and was not confirmed"
            )
        default_region = next((s.region for s in stacks if s.region), None)
        self.session = open_session(options.connection, default_region)
        session = self.session
        result = DeployResult(
            "deployed", "", region=session.region, endpoint_url=options.connection.endpoint_url
        )
        target = options.connection.endpoint_url or f"account {session.account}"
        reporter.progress(
            f"Deploying {len(stacks)} stack(s) of stage '{self.stage}' to {session.region} ({target})", 2
        )

        reporter.progress("Checking the CDK bootstrap", 4)
        declined = ensure_bootstrap(session, stacks, reporter, yes=options.yes)
        if declined:
            result.status, result.message = "refused", declined
            return result
        if reporter.cancelled:
            result.status, result.message = "cancelled", "Cancelled before anything was deployed"
            return result

        # Data loss, judged from the deployed templates, before anything is published.
        reporter.progress("Comparing with the deployed stacks", 6)
        hazards, moves = self._assess_all(assembly, stacks)
        result.hazards = hazards
        stacks = order_for_moves(stacks, moves)
        problems = certain_failures(self.views, [s.stack_name for s in stacks if s.stack_name in self.views])
        if problems:
            result.status, result.message = "refused", certain_failure_message(problems)
            result.stacks = [StackResult(s.stack_name, "skipped", "Not started") for s in stacks]
            reporter.progress(result.message.splitlines()[0], 100)
            return result
        if not self.gate.allow(hazards):
            result.status, result.message = "refused", refusal_message(hazards)
            result.stacks = [
                StackResult(
                    s.stack_name,
                    "refused" if any(h.stack == s.stack_name and h.blocks for h in hazards) else "skipped",
                )
                for s in stacks
            ]
            return result

        reporter.progress("Publishing assets", 8)
        result.assets = publish_assets(session, [m for s in stacks for m in s.asset_manifests], reporter)

        for i, stack in enumerate(stacks):
            if reporter.cancelled:
                result.stacks.append(StackResult(stack.stack_name, "cancelled", "Cancelled"))
                continue
            if any(s.status in ("failed", "refused", "cancelled", "skipped") for s in result.stacks):
                result.stacks.append(
                    StackResult(stack.stack_name, "skipped", "An earlier stack did not deploy")
                )
                continue
            base = 10 + int(85 * i / len(stacks))
            sr = self._deploy_stack(stack, base, int(85 / len(stacks)))
            if self.local and sr.status in ("deployed", "no-changes"):
                # The local endpoint reports no outputs after a change set: compute them, and
                # the exports the next stacks import.
                try:
                    sr.outputs, exports, notes = self._local_outputs(stack.stack_name)
                except Exception as exc:  # noqa: BLE001 - the stack is deployed; only outputs are missing.
                    exports, notes = {}, [f"outputs not computed: {describe_error(exc)}"]
                self.local_exports.update(exports)
                self._note(stack.stack_name, notes)
            result.stacks.append(sr)
            if sr.status in ("deployed", "no-changes"):
                result.outputs[stack.stack_name] = sr.outputs
            # The change set's view replaces the template-only view of the same resource.
            keys = {(h.stack, h.logical_id) for h in sr.hazards}
            result.hazards = [h for h in result.hazards if (h.stack, h.logical_id) not in keys] + sr.hazards

        statuses = [s.status for s in result.stacks]
        if "failed" in statuses:
            failed = next(s for s in result.stacks if s.status == "failed")
            result.status, result.message = "failed", failed.message
        elif "refused" in statuses:
            refused = next(s for s in result.stacks if s.status == "refused")
            result.status, result.message = "refused", refused.message
        elif "cancelled" in statuses:
            result.status, result.message = (
                "cancelled",
                "Cancelled: " + ", ".join(f"{s.stack} {s.status}" for s in result.stacks),
            )
        elif all(s == "no-changes" for s in statuses):
            result.status, result.message = "no-changes", "No changes: every stack is up to date"
        else:
            n = statuses.count("deployed")
            result.status, result.message = "deployed", f"Deployed {n} stack(s) to stage '{self.stage}'"
        result.local_notes = list(self.local_notes)
        if result.outputs and options.outputs_root is not None:
            path = outputs_path(options.outputs_root, self.stage, local=self.local)
            try:
                result.outputs_file = write_outputs_file(path, result.outputs)
            except OSError as exc:
                # The deploy happened: a file that cannot be written costs the file (the previous
                # one stays whole), not the result.
                reporter.log(f"outputs not written to {path}: {exc}")
        # The outputs and the local endpoint's differences are in the summary (``to_text``),
        # which each front end shows once: not in the log as well.
        reporter.progress(result.message.splitlines()[0], 100)
        return result

    def _assess_all(
        self, assembly: CloudAssembly, stacks: list[StackArtifact]
    ) -> tuple[list[Hazard], set[tuple[str, str]]]:
        """Hazards from the deployed templates, and the (from, to) stack pairs between which a
        resource moves (same logical id and type removed from one, added to the other)."""
        cf = self._cf()
        hazards: list[Hazard] = []
        adds: dict[tuple[str, str], str] = {}
        removes: dict[tuple[str, str], str] = {}
        for stack in stacks:
            existing = describe_stack(cf, stack.stack_name)
            old = (
                get_template(cf, stack.stack_name)
                if existing and existing["StackStatus"] in UPDATABLE
                else {}
            )
            # Locally the deployed template is an adapted one: compare like with like.
            new, _ = self.template_for(stack, record=False)
            self.views[stack.stack_name] = (old, new)
            if self.local and old:
                self.local_exports.update(self._local_outputs(stack.stack_name)[1])
            old_res, new_res = resources_of(old), resources_of(new)
            for lid, res in new_res.items():
                if lid not in old_res:
                    adds[(lid, str(res.get("Type")))] = stack.stack_name
            for lid, res in old_res.items():
                if lid not in new_res:
                    removes[(lid, str(res.get("Type")))] = stack.stack_name
            hazards.extend(assess(stack.stack_name, old, new))
        moves = {(src, adds[key]) for key, src in removes.items() if key in adds and adds[key] != src}
        return annotate_moves(hazards, adds), moves

    def _deploy_stack(self, stack: StackArtifact, base: int, span: int) -> StackResult:
        cf, reporter, options = self._cf(), self.reporter, self.options
        name = stack.stack_name
        sr = StackResult(name, "deployed")
        reporter.progress(f"{name}: creating a change set", base)
        try:
            existing = describe_stack(cf, name)
            status = existing["StackStatus"] if existing else None
            if existing is not None and status in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
                assert self.session is not None
                # A stack whose creation failed cannot be updated: CloudFormation wants it deleted.
                # A REVIEW_IN_PROGRESS one is an empty shell left by an unexecuted change set.
                reporter.log(f"{name}: deleting the stack left in {status} by an earlier creation")
                cf.delete_stack(StackName=name)
                wait_stack(
                    cf,
                    name,
                    EventStream(cf, existing["StackId"], name),
                    lambda e: None,
                    self.session.interval(),
                    options.timeout,
                    stack_id=existing["StackId"],
                )
                existing, status = None, None
            if status is not None and not is_terminal(status) and status != "REVIEW_IN_PROGRESS":
                sr.status, sr.message = (
                    "failed",
                    f"{name} is busy ({status}): wait for it to finish and deploy again",
                )
                return sr
            if status is not None and status not in UPDATABLE and status != "REVIEW_IN_PROGRESS":
                sr.status, sr.message = "failed", f"{name} is in {status}: fix or delete the stack first"
                return sr
            update = status in UPDATABLE
            old_template = get_template(cf, name) if update else {}
            new_template, text = self.template_for(stack)
            tags = [{"Key": k, "Value": v} for k, v in sorted(stack.tags.items())]
            if update and existing is not None:
                old_tags = sorted((t["Key"], t["Value"]) for t in existing.get("Tags") or [])
                if old_template == new_template and old_tags == sorted((t["Key"], t["Value"]) for t in tags):
                    # Same template, same tags (assets are content-addressed in the template):
                    # nothing to do, as the CDK CLI also decides.
                    sr.status, sr.message, sr.stack_status = "no-changes", f"{name}: no changes", status
                    sr.outputs = outputs_of(existing)
                    reporter.log(sr.message)
                    return sr
            return self._change_set(
                stack, sr, update, existing, old_template, new_template, text, tags, base, span
            )
        except CloudError as exc:
            sr.status, sr.message = "failed", f"{name}: {exc}"
        except Exception as exc:  # noqa: BLE001 - an AWS failure is a result, not a traceback.
            # Before its change set: this deploy changed nothing in the stack.
            sr.status, sr.message = "failed", f"{name}: {describe_error(exc)}; the stack was not changed"
        reporter.log(sr.message)
        return sr

    def _change_set(
        self,
        stack: StackArtifact,
        sr: StackResult,
        update: bool,
        existing: dict[str, Any] | None,
        old_template: dict[str, Any],
        new_template: dict[str, Any],
        text: str,
        tags: list[dict[str, str]],
        base: int,
        span: int,
    ) -> StackResult:
        cf, reporter, options = self._cf(), self.reporter, self.options
        assert self.session is not None
        interval = self.session.interval()
        name = stack.stack_name
        cs_name = f"sst-lsp-{int(time.time() * 1000)}"
        created_review_stack = not update and existing is None
        kwargs: dict[str, Any] = {
            "StackName": name,
            "ChangeSetName": cs_name,
            "ChangeSetType": "UPDATE" if update else "CREATE",
            "Capabilities": CAPABILITIES,
            "Tags": tags,
            "Parameters": stack_parameters(new_template, existing),
            "Description": f"sst-lsp deploy of stage {self.stage}",
        }
        too_large = len(text.encode("utf-8")) > TEMPLATE_BODY_LIMIT
        if too_large and self.local:
            url = self._local_template_url(stack, text)
        else:
            url = self._template_url(stack) if too_large else None
        if url:
            reporter.log(
                f"{name}: the template is too large to pass inline: CloudFormation reads it from {url}"
            )
            kwargs["TemplateURL"] = url
        else:
            kwargs["TemplateBody"] = text

        def cleanup() -> None:
            safe(lambda: cf.delete_change_set(StackName=name, ChangeSetName=cs_name))
            if created_review_stack:
                # An empty REVIEW_IN_PROGRESS stack is what an unexecuted CREATE change set leaves.
                safe(lambda: cf.delete_stack(StackName=name))

        if existing is not None:
            self._drop_stale_change_sets(name)
        try:
            stack_id = cf.create_change_set(**kwargs).get("StackId") or name
        except botocore.exceptions.ClientError as exc:
            sr.status, sr.message = "failed", f"{name}: the change set was rejected: {describe_error(exc)}"
            reporter.log(sr.message)
            return sr
        except Exception as exc:  # noqa: BLE001 - the endpoint went away or the credentials failed.
            sr.status, sr.message = "failed", self._interrupted(name, exc, existing, "creating its change set")
            reporter.log(sr.message)
            return sr
        try:
            desc = wait_change_set(cf, name, cs_name, interval, options.timeout)
        except Exception as exc:  # noqa: BLE001
            cleanup()
            sr.status, sr.message = "failed", self._interrupted(name, exc, existing, "creating its change set")
            reporter.log(sr.message)
            return sr
        if desc.get("Status") == "FAILED":
            cleanup()
            if is_no_change(desc):
                sr.status, sr.message = "no-changes", f"{name}: no changes"
                sr.stack_status = existing.get("StackStatus") if existing else None
                sr.outputs = outputs_of(existing)
            else:
                sr.status = "failed"
                sr.message = f"{name}: the change set failed: {desc.get('StatusReason') or 'no reason given'}"
            reporter.log(sr.message)
            return sr
        sr.changes = change_set_entries(cf, name, cs_name, desc)
        if not sr.changes:
            cleanup()
            sr.status, sr.message = "no-changes", f"{name}: no changes"
            sr.outputs = outputs_of(existing)
            reporter.log(sr.message)
            return sr
        for c in sr.changes:
            repl = f" (replacement: {c.replacement})" if c.replacement else ""
            reporter.log(f"{name}: {c.action} {c.resource_type} {c.logical_id}{repl}")
        sr.hazards = assess(name, old_template, new_template, sr.changes)
        if not self.gate.allow(sr.hazards):
            cleanup()
            sr.status, sr.message = "refused", refusal_message(sr.hazards)
            return sr
        if self.reporter.cancelled:
            cleanup()
            sr.status, sr.message = "cancelled", f"{name}: cancelled before execution"
            return sr

        # By id: a stack of the same name may be deleted and recreated meanwhile.
        events = EventStream(cf, stack_id, name)
        events.prime()
        reporter.progress(f"{name}: executing {len(sr.changes)} change(s)", base + span // 4)
        cancel_sent = False

        def on_event(e: StackEvent) -> None:
            sr.events.append(e)
            reporter.log(e.line())
            if e.logical_id != name:
                # The stack's own events are in the log already; progress follows resources.
                reporter.progress(f"{name}: {e.logical_id} {e.status}", base + span // 2)

        def on_tick(status: str) -> None:
            nonlocal cancel_sent
            if self.reporter.cancelled and not cancel_sent and status == "UPDATE_IN_PROGRESS":
                cancel_sent = True
                reporter.log(f"{name}: cancelling the update (CloudFormation rolls it back)")
                safe(lambda: cf.cancel_update_stack(StackName=stack_id))

        try:
            cf.execute_change_set(StackName=name, ChangeSetName=cs_name)
        except Exception as exc:  # noqa: BLE001
            if _connection_lost(exc):
                sr.status, sr.message = "failed", self._interrupted(name, exc, existing, "executing its change set")
                sr.stack_status = None
                reporter.log(sr.message)
                return sr
            # Real CloudFormation reports resource failures as events; a local endpoint may
            # answer the execute call itself with the error.
            for e in safe(events.poll) or []:
                on_event(e)
            sr.status = "failed"
            sr.message = f"{name}: the endpoint rejected the deployment: {describe_error(exc)}"
            st = safe(lambda: describe_stack(cf, stack_id))
            sr.stack_status = st.get("StackStatus") if st else None
            # The change set was not executed: it must not linger for the next deploy.
            safe(lambda: cf.delete_change_set(StackName=name, ChangeSetName=cs_name))
            if sr.stack_status == "REVIEW_IN_PROGRESS":
                # Nothing was created: leave no empty stack behind for the next deploy.
                safe(lambda: cf.delete_stack(StackName=stack_id))
            reporter.log(sr.message)
            return sr
        try:
            final = wait_stack(cf, name, events, on_event, interval, options.timeout, on_tick, stack_id=stack_id)
        except Exception as exc:  # noqa: BLE001 - lost the endpoint (or the credentials) mid-execution.
            last = sr.events[-1].status if sr.events else None
            sr.status = "failed"
            sr.stack_status = last
            sr.message = self._interrupted(name, exc, existing, "executing its change set", last)
            reporter.log(sr.message)
            return sr
        sr.stack_status = final
        if final in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
            sr.status = "deployed"
            sr.message = f"{name}: {final}"
            # The stack is deployed: an endpoint lost right now costs the outputs, not the result.
            sr.outputs = outputs_of(safe(lambda: describe_stack(cf, stack_id)))
            if not self.local and not sr.outputs and isinstance(new_template.get("Outputs"), dict) and new_template["Outputs"]:
                reporter.log(
                    f"{name}: the endpoint reported no outputs although the template declares "
                    f"{len(new_template['Outputs'])}"
                )
        else:
            sr.status = "cancelled" if cancel_sent else "failed"
            sr.message = failure_summary(name, final, sr.events)
        reporter.log(sr.message)
        return sr


def deploy_assembly(
    assembly_dir: Path, stage: str, app_name: str, options: DeployOptions, reporter: Reporter
) -> DeployResult:
    """Deploy the cloud assembly in ``assembly_dir`` as ``stage`` of ``app_name``.

    Never raises for user or AWS errors: the result's ``status`` is "deployed", "no-changes",
    "refused" (protected stage or data loss not confirmed, bootstrap declined), "failed" (with
    the reason: the first failed resource and the rollback state) or "cancelled".
    """
    try:
        return Deployer(assembly_dir, stage, app_name, options, reporter).run()
    except (CloudError, AssemblyError) as exc:
        reporter.progress(str(exc), 100)
        return DeployResult("failed", str(exc), endpoint_url=options.connection.endpoint_url)
    except Exception as exc:  # noqa: BLE001 - last guard: a bug is reported, not raised at the user.
        _log.exception("deploy failed")
        reporter.log(f"internal error: {type(exc).__name__}: {exc}")
        return DeployResult(
            "failed", f"Deploy failed: {describe_error(exc)}", endpoint_url=options.connection.endpoint_url
        )
