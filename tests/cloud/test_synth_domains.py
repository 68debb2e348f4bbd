"""Custom domains stay out of the embedded synth, and say why.

SST's apiDomain.ts (v1 packages/resources/src/util/apiDomain.ts, v2 constructs/util/apiDomain.ts)
looks up the hosted zone of a domain given by name (`route53.HostedZone.fromLookup(scope,
"HostedZone", { domainName: hostedZone ?? the domain's last two labels })`), a context lookup
that needs the account's credentials at synth time, then creates the certificate, the API
Gateway domain name and the DNS records in that zone. The other forms hand it CDK constructs.
Either way the construct is listed as left out, naming the lookup (or the constructs) and what
to do: synth mode `project`, where SST's own build does the lookup.
"""

from __future__ import annotations

from pathlib import Path

from sst_lsp.cloud.synth_spec import app_to_spec
from tests.cloud.test_synth_coverage import write_app


def test_custom_domain_reasons_name_the_lookup_and_the_way_out(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", "", """
  new sst.Api(stack, "Plain", { customDomain: "api.example.com", routes: { "GET /": "src/fn.main" } });
  new sst.Api(stack, "Zoned", {
    customDomain: { domainName: "api.dev.example.co.uk", hostedZone: "example.co.uk" },
    routes: { "GET /": "src/fn.main" },
  });
  new sst.Api(stack, "Imported", {
    customDomain: { domainName: "api.example.com", cdk: { hostedZone: HostedZone.fromHostedZoneAttributes(stack, "Z", {}) } },
    routes: { "GET /": "src/fn.main" },
  });
  new sst.GraphQLApi(stack, "Graph", { customDomain: `gql.${stack.stage}.example.com`, server: "src/fn.main" });
  new sst.AppSyncApi(stack, "Sync", { schema: "schema.graphql", customDomain: "sync.example.com" });
""")
    spec = app_to_spec(app, "dev")
    reasons = {s["id"]: s["reason"] for s in spec["skipped"]}
    lookup = ("(`HostedZone.fromLookup`) when it synthesizes, which needs the account's credentials: not modeled "
              "by the embedded synth (use synth mode `project`: SST's own build does the lookup)")
    assert reasons["Plain"] == f'custom domain "api.example.com": SST looks up the Route 53 hosted zone "example.com" {lookup}'
    assert reasons["Zoned"] == (f'custom domain "api.dev.example.co.uk": SST looks up the Route 53 hosted zone '
                                f'"example.co.uk" {lookup}')
    assert reasons["Imported"].startswith("a custom domain built from CDK constructs (`cdk.hostedZone`")
    assert reasons["Imported"].endswith("(use synth mode `project`)")
    # A name built from the stage is the stage's name.
    assert reasons["Graph"] == (f'custom domain "gql.dev.example.com": SST looks up the Route 53 hosted zone '
                                f'"example.com" {lookup}')
    assert reasons["Sync"] == f'custom domain "sync.example.com": SST looks up the Route 53 hosted zone "example.com" {lookup}'
    built = {c["id"] for st in spec["stacks"] for c in st["constructs"]}
    assert built.isdisjoint({"Plain", "Zoned", "Imported", "Graph", "Sync"})
