"""Embedded synth of SST's RDS (v1 packages/resources/src/RDS.ts, v2 packages/sst/src/constructs/RDS.ts).

Fidelity, read from SST's source: `new RDS(stack, id)` is a plain construct holding
`rds.ServerlessCluster(this, "Cluster", { clusterIdentifier: app.logicalPrefixedName(id),
defaultDatabaseName, enableDataApi: true, engine, scaling, vpc, vpcSubnets })`, where the VPC is
`new ec2.Vpc(this, "vpc", { natGateways: 0 })` (no lookup of the default VPC) and the subnets
are its isolated ones; `getFunctionBinding` exposes `clusterArn`, `secretArn` and
`defaultDatabaseName` (`SST_RDS_{prop}_{id}`, a `Parameter_{prop}` each) and grants `rds-data:*`
on the cluster and `secretsmanager:GetSecretValue`/`DescribeSecret` on the secret, one statement
per action; `permissions: [rds]` (permission.ts) grants `rds-data:*` and one statement with both
secret actions. The cluster, subnet group, security group, secret and VPC resources are built by
aws-cdk-lib itself from those props, so their paths are CDK's; the logical ids asserted are
derived from the paths with CDK's rule (`cdk_logical_id`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sst_lsp.cloud.synth import SynthResult, synth_app
from tests.cloud.test_synth_coverage import (
    APPS,
    cdk_logical_id,
    expect_tree,
    lint_errors,
    load,
    template,
    write_app,
)

pytestmark = pytest.mark.slow

_VPC = {
    "Db/vpc/Resource": "AWS::EC2::VPC",
    "Db/vpc/IGW": "AWS::EC2::InternetGateway",
    "Db/vpc/VPCGW": "AWS::EC2::VPCGatewayAttachment",
    **{f"Db/vpc/{kind}Subnet{i}/{part}": rtype
       for kind in ("Public", "Isolated") for i in (1, 2, 3)
       for part, rtype in (("Subnet", "AWS::EC2::Subnet"), ("RouteTable", "AWS::EC2::RouteTable"),
                           ("RouteTableAssociation", "AWS::EC2::SubnetRouteTableAssociation"))},
    **{f"Db/vpc/PublicSubnet{i}/DefaultRoute": "AWS::EC2::Route" for i in (1, 2, 3)},
}
_CLUSTER = {
    "Db/Cluster/Resource": "AWS::RDS::DBCluster",
    "Db/Cluster/Subnets/Default": "AWS::RDS::DBSubnetGroup",
    "Db/Cluster/SecurityGroup/Resource": "AWS::EC2::SecurityGroup",
    "Db/Cluster/Secret/Resource": "AWS::SecretsManager::Secret",
    "Db/Cluster/Secret/Attachment/Resource": "AWS::SecretsManager::SecretTargetAttachment",
    "Db/Parameter_clusterArn/Resource": "AWS::SSM::Parameter",
    "Db/Parameter_secretArn/Resource": "AWS::SSM::Parameter",
    "Db/Parameter_defaultDatabaseName/Resource": "AWS::SSM::Parameter",
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return synth_app(load(APPS / "ledger-rds-v2"), "dev", tmp_path_factory.mktemp("ledger") / "out")


def test_ledger_is_modeled_in_full_and_lint_clean(ledger: SynthResult) -> None:
    assert ledger.skipped == []
    # Without `cdk.context.json` the zones are SST's lookup's, read at deploy time.
    [warning] = ledger.warnings
    assert warning == ("RDS Db: its VPC takes the region's first three availability zones at deploy time "
                       "(SST writes the names its lookup found; `cdk.context.json` has none for this region)")
    for s in ledger.stacks:
        assert lint_errors(s.template_path) == [], s.name


def test_cluster_and_vpc_follow_sst_paths(ledger: SynthResult) -> None:
    tpl = template(ledger, "Database")
    expect_tree(tpl, "dev-ledger-Database", {**_VPC, **_CLUSTER})
    # Nothing else: no NAT gateways, no lookups, no migrator.
    assert len(tpl["Resources"]) == len(_VPC) + len(_CLUSTER)
    cluster = tpl["Resources"][cdk_logical_id("Db/Cluster/Resource")]
    props = cluster["Properties"]
    assert props["DBClusterIdentifier"] == "dev-ledger-db"  # CDK lowercases the identifier
    assert props["DatabaseName"] == "ledger" and props["EngineMode"] == "serverless"
    assert props["EnableHttpEndpoint"] is True
    assert (props["Engine"], props["EngineVersion"]) == ("aurora-postgresql", "13.9")
    assert props["ScalingConfiguration"] == {"AutoPause": True, "MinCapacity": 2, "MaxCapacity": 4,
                                             "SecondsUntilAutoPause": 600}
    assert cluster["DeletionPolicy"] == "Snapshot"
    group = tpl["Resources"][cdk_logical_id("Db/Cluster/Subnets/Default")]["Properties"]
    assert group["SubnetIds"] == [{"Ref": cdk_logical_id(f"Db/vpc/IsolatedSubnet{i}/Subnet")} for i in (1, 2, 3)]
    subnet = tpl["Resources"][cdk_logical_id("Db/vpc/IsolatedSubnet3/Subnet")]["Properties"]
    assert subnet["AvailabilityZone"] == {"Fn::Select": [2, {"Fn::GetAZs": ""}]}
    assert {"ClusterArn", "DatabaseName", "SecretArn", "Host"} <= set(tpl["Outputs"])
    assert tpl["Outputs"]["DatabaseName"]["Value"] == "ledger"
    assert tpl["Outputs"]["Host"]["Value"] == {"Fn::GetAtt": [cdk_logical_id("Db/Cluster/Resource"), "Endpoint.Address"]}


def _statements(tpl: dict[str, Any], fn_path: str) -> list[Any]:
    policy = tpl["Resources"][cdk_logical_id(f"{fn_path}/ServiceRole/DefaultPolicy/Resource")]
    out: list[Any] = policy["Properties"]["PolicyDocument"]["Statement"][1:]  # after X-Ray's
    return out


def test_bind_and_permissions_follow_sst(ledger: SynthResult) -> None:
    tpl = template(ledger, "Ledger")
    cluster_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":rds:us-east-1:", {"Ref": "AWS::AccountId"},
                                     ":cluster:", {"Fn::ImportValue": "dev-ledger-Database:ExportsOutputRef"
                                                   + cdk_logical_id("Db/Cluster/Resource") + "5E995E4D"}]]}
    secret = {"Fn::ImportValue": "dev-ledger-Database:ExportsOutputRef"
              + cdk_logical_id("Db/Cluster/Secret/Attachment/Resource") + "874B34C7"}
    fn = tpl["Resources"][cdk_logical_id("Api/Lambda_GET_--entries/Resource")]
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["SST_RDS_clusterArn_Db"] == cluster_arn
    assert env["SST_RDS_secretArn_Db"] == secret
    assert env["SST_RDS_defaultDatabaseName_Db"] == "ledger"
    assert _statements(tpl, "Api/Lambda_GET_--entries") == [
        {"Action": "rds-data:*", "Effect": "Allow", "Resource": cluster_arn},
        {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": secret},
        {"Action": "secretsmanager:DescribeSecret", "Effect": "Allow", "Resource": secret},
    ]
    report = tpl["Resources"][cdk_logical_id("Report/Resource")]
    assert "SST_RDS_clusterArn_Db" not in report["Properties"]["Environment"]["Variables"]
    assert _statements(tpl, "Report") == [
        {"Action": "rds-data:*", "Effect": "Allow", "Resource": cluster_arn},
        {"Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Effect": "Allow",
         "Resource": secret},
    ]


def test_context_zones_migrations_and_bad_props(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  new sst.RDS(stack, "Db", { engine: "mysql5.7", defaultDatabaseName: "shop", migrations: "migrations",
    scaling: { autoPause: false }, cdk: { cluster: { clusterIdentifier: "shop-db" } } });
  new sst.RDS(stack, "Old", { engine: "postgresql9.6", defaultDatabaseName: "x" });
  new sst.RDS(stack, "Tuned", { engine: "postgresql11.13", defaultDatabaseName: "x",
    cdk: { cluster: { backupRetention: Duration.days(7) } } });
""")
    (tmp_path / "app" / "cdk.context.json").write_text(json.dumps({
        "availability-zones:account=123456789012:region=us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c",
                                                                     "us-east-1d"]}))
    app = load(tmp_path / "app")
    result = synth_app(app, "dev", tmp_path / "out")
    assert result.warnings == []
    reasons = {(s.kind, s.id): s.reason for s in result.skipped}
    assert "SST's own migrator" in reasons[("RDS migrations", "Db")]
    assert reasons[("RDS", "Old")].startswith('engine "postgresql9.6" is not one SST supports')
    assert reasons[("RDS", "Tuned")] == "`cdk.cluster.backupRetention` is not modeled"
    tpl = template(result, "S")
    expect_tree(tpl, "dev-cov-S", {**_VPC, **_CLUSTER})
    res = tpl["Resources"]
    assert [res[cdk_logical_id(f"Db/vpc/PublicSubnet{i}/Subnet")]["Properties"]["AvailabilityZone"]
            for i in (1, 2, 3)] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    props = res[cdk_logical_id("Db/Cluster/Resource")]["Properties"]
    assert props["DBClusterIdentifier"] == "shop-db"
    assert (props["Engine"], props["EngineVersion"]) == ("aurora-mysql", "5.7.mysql_aurora.2.07.1")
    assert props["ScalingConfiguration"]["AutoPause"] is False
    assert not any("Old" in lid or "Tuned" in lid for lid in res)
    assert lint_errors(result.stacks[0].template_path) == []
