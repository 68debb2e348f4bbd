"""The cloud layer: side effects, isolated (called only from cli.py and server/commands.py).

Synth (``synth*.py``) turns the model into a CDK cloud assembly. The deploy engine works from
cloud assemblies (manifest.json, *.template.json, *.assets.json, asset.* folders):

* ``deploy.deploy_assembly(assembly_dir, stage, app_name, DeployOptions, reporter) -> DeployResult``
* ``diff.diff_assembly(assembly_dir, stage, app_name, DiffOptions, reporter) -> DiffResult``
* ``remove.remove_stage(stage, app_name, RemoveOptions, reporter) -> RemoveResult``
* ``stage_state.read_deployed_stage(session, app_name, stage) -> DeployedStage``
* ``local.LocalEndpoint``: the ``--local`` moto server; ``aws.Connection`` / ``aws.open_session``.
  ``local_compat.adapt_for_local`` / ``stack_outputs``: what a deploy to it sends and reads
  instead (moto's gaps; applied only when ``Connection.local``).
* ``reporter.Reporter``: progress, log, confirmations and cancellation (``TerminalReporter`` for
  the CLI; the language server brings its own).

Submodules are imported explicitly: importing this package loads neither boto3 nor aws_cdk.
"""
