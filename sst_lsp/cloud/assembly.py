"""Reading a CDK cloud assembly (cloud layer; files only, no AWS calls).

A cloud assembly is the directory CDK writes (``cdk.out`` or SST v1's ``.build/cdk.out``):
``manifest.json`` names the stacks (``aws:cloudformation:stack`` artifacts) with their template
file, tags, dependencies and bootstrap requirements, and the asset manifests
(``cdk:asset-manifest`` artifacts, ``*.assets.json``) that say which files and folders must be
uploaded where before a stack can be deployed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sst_lsp import catalog

DEFAULT_BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"


class AssemblyError(Exception):
    """The directory is not a readable cloud assembly (message meant for the user)."""


@dataclass(frozen=True, slots=True)
class AssetDestination:
    bucket_name: str  # may hold ${AWS::AccountId} / ${AWS::Region} / ${AWS::Partition}
    object_key: str


@dataclass(frozen=True, slots=True)
class FileAsset:
    """One entry of an asset manifest's ``files``."""

    asset_id: str
    #: Absolute path of the file or folder to publish.
    source: Path
    #: "zip" (a folder, zipped deterministically) or "file" (uploaded as is).
    packaging: str
    destinations: tuple[AssetDestination, ...]
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class AssetManifest:
    path: Path
    files: tuple[FileAsset, ...]
    #: Ids of container image assets (sst-lsp cannot publish them; deploying refuses clearly).
    docker_images: tuple[str, ...] = ()
    bootstrap_parameter: str | None = None
    required_bootstrap_version: int | None = None
    #: True when the manifest names this file but the assembly lacks it (publishing fails).
    missing: bool = False


@dataclass(slots=True)
class StackArtifact:
    """One ``aws:cloudformation:stack`` artifact."""

    artifact_id: str
    stack_name: str
    template_path: Path
    tags: dict[str, str] = field(default_factory=dict)
    #: Artifact ids of other *stacks* this one depends on.
    depends_on: tuple[str, ...] = ()
    asset_manifests: tuple[AssetManifest, ...] = ()
    environment: str = "aws://unknown-account/unknown-region"
    bootstrap_parameter: str | None = None
    required_bootstrap_version: int | None = None
    termination_protection: bool = False
    #: ``s3://bucket/key`` of the template as an asset (placeholders unresolved), if any.
    template_asset_url: str | None = None
    #: Construct path -> logical id, from the manifest's metadata (inline or additional file).
    logical_ids: dict[str, str] = field(default_factory=dict)
    _template: dict[str, Any] | None = None

    @property
    def template(self) -> dict[str, Any]:
        if self._template is None:
            try:
                data = json.loads(self.template_path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise AssemblyError(f"Cannot read the template of {self.stack_name}: {exc}") from None
            except ValueError as exc:
                raise AssemblyError(f"The template of {self.stack_name} is not valid JSON: {exc}") from None
            if not isinstance(data, dict):
                raise AssemblyError(f"The template of {self.stack_name} is not a JSON object")
            self._template = data
        return self._template

    @property
    def template_text(self) -> str:
        return self.template_path.read_text(encoding="utf-8")

    @property
    def region(self) -> str | None:
        """The region the manifest pins, or None when environment-agnostic."""
        parts = self.environment.removeprefix("aws://").split("/")
        if len(parts) == 2 and parts[1] and not parts[1].startswith("unknown-"):
            return parts[1]
        return None

    @property
    def account(self) -> str | None:
        parts = self.environment.removeprefix("aws://").split("/")
        if parts and parts[0].isdigit() and len(parts[0]) == 12:
            return parts[0]
        return None

    def cdk_paths(self) -> dict[str, str]:
        """Logical id -> construct path (``stack/Api/Lambda/Resource``), from the template's
        ``aws:cdk:path`` metadata where present, else from the manifest's metadata."""
        out = {lid: path.lstrip("/") for path, lid in self.logical_ids.items()}
        resources = self.template.get("Resources")
        if isinstance(resources, Mapping):
            for lid, res in resources.items():
                meta = res.get("Metadata") if isinstance(res, Mapping) else None
                if isinstance(meta, Mapping) and isinstance(meta.get("aws:cdk:path"), str):
                    out[str(lid)] = meta["aws:cdk:path"]
        return out


@dataclass(slots=True)
class CloudAssembly:
    directory: Path
    version: str
    #: In manifest order.
    stacks: list[StackArtifact]

    def stack(self, name_or_id: str) -> StackArtifact | None:
        for s in self.stacks:
            if name_or_id in (s.stack_name, s.artifact_id):
                return s
        return None

    def ordered(self, stacks: list[StackArtifact] | None = None) -> list[StackArtifact]:
        """``stacks`` (default all) in dependency order, manifest order among equals."""
        return order_stacks(self.stacks if stacks is None else stacks)

    def select(
        self, names: list[str] | None, stage: str | None = None, app: str | None = None
    ) -> list[StackArtifact]:
        """The stacks named (stack name, artifact id, or the SST short name without the
        ``{stage}-{app}-`` prefix) plus what they depend on, in dependency order.
        Raises ``AssemblyError`` for an unknown name."""
        if not names:
            return self.ordered()
        by_key: dict[str, StackArtifact] = {}
        prefix = catalog.stack_prefix(stage, app) if stage and app else None
        for s in self.stacks:
            by_key[s.stack_name] = s
            by_key[s.artifact_id] = s
            if prefix and s.stack_name.startswith(prefix):
                by_key.setdefault(s.stack_name[len(prefix) :], s)
        chosen: dict[str, StackArtifact] = {}
        unknown = [n for n in names if n not in by_key]
        if unknown:
            known = ", ".join(s.stack_name for s in self.stacks) or "none"
            raise AssemblyError(f"Unknown stack(s): {', '.join(unknown)} (the assembly has: {known})")
        todo = [by_key[n] for n in names]
        ids = {s.artifact_id: s for s in self.stacks}
        while todo:
            s = todo.pop()
            if s.artifact_id in chosen:
                continue
            chosen[s.artifact_id] = s
            todo.extend(ids[d] for d in s.depends_on if d in ids)
        return self.ordered(list(chosen.values()))


def order_stacks(stacks: list[StackArtifact]) -> list[StackArtifact]:
    """Topological order (dependencies first); a cycle keeps manifest order for the rest."""
    ids = {s.artifact_id for s in stacks}
    done: list[StackArtifact] = []
    placed: set[str] = set()
    remaining = list(stacks)
    while remaining:
        progress = False
        for s in list(remaining):
            if all(d in placed or d not in ids for d in s.depends_on):
                done.append(s)
                placed.add(s.artifact_id)
                remaining.remove(s)
                progress = True
        if not progress:
            done.extend(remaining)
            break
    return done


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{what} not found: {path.name}") from None
    except OSError as exc:
        raise AssemblyError(f"Cannot read {what} {path.name}: {exc}") from None
    except ValueError as exc:
        raise AssemblyError(f"{what} {path.name} is not valid JSON: {exc}") from None


def read_asset_manifest(path: Path, props: Mapping[str, Any] | None = None) -> AssetManifest:
    if not path.exists():
        # Reading, diffing and removing do not need it; publishing reports it.
        return AssetManifest(path=path, files=(), missing=True)
    data = _load_json(path, "asset manifest")
    if not isinstance(data, Mapping):
        raise AssemblyError(f"asset manifest {path.name} is not a JSON object")
    files: list[FileAsset] = []
    for asset_id, entry in (data.get("files") or {}).items():
        if not isinstance(entry, Mapping):
            continue
        source = entry.get("source") or {}
        src_path = source.get("path")
        if not isinstance(src_path, str):
            # Executable sources (a command that prints a path) would run user code: unsupported.
            raise AssemblyError(
                f"Asset {asset_id} in {path.name} has no source path (executable assets are not supported)"
            )
        dests = tuple(
            AssetDestination(str(d.get("bucketName", "")), str(d.get("objectKey", "")))
            for d in (entry.get("destinations") or {}).values()
            if isinstance(d, Mapping)
        )
        files.append(
            FileAsset(
                asset_id=str(asset_id),
                source=(path.parent / src_path).resolve(),
                packaging=str(source.get("packaging") or "file"),
                destinations=dests,
                display_name=entry.get("displayName"),
            )
        )
    props = props or {}
    version = props.get("requiresBootstrapStackVersion")
    return AssetManifest(
        path=path,
        files=tuple(files),
        docker_images=tuple(str(k) for k in (data.get("dockerImages") or {})),
        bootstrap_parameter=props.get("bootstrapStackVersionSsmParameter"),
        required_bootstrap_version=int(version) if isinstance(version, int) else None,
    )


def _logical_ids(metadata: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if not isinstance(metadata, Mapping):
        return out
    for path, entries in metadata.items():
        for e in entries if isinstance(entries, list) else []:
            if (
                isinstance(e, Mapping)
                and e.get("type") == "aws:cdk:logicalId"
                and isinstance(e.get("data"), str)
            ):
                out[str(path)] = e["data"]
    return out


def read_assembly(directory: Path) -> CloudAssembly:
    """Read ``directory/manifest.json`` (raises ``AssemblyError`` with a clear message).

    SST v1 names the manifest ``{app}.manifest.json`` in some copies; when ``manifest.json`` is
    absent and exactly one ``*.manifest.json`` exists, that one is read.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise AssemblyError(f"Cloud assembly directory not found: {directory}")
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        candidates = sorted(directory.glob("*.manifest.json"))
        if len(candidates) == 1:
            manifest_path = candidates[0]
        else:
            raise AssemblyError(f"No manifest.json in {directory}: not a cloud assembly (run a synth first)")
    manifest = _load_json(manifest_path, "manifest")
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("artifacts", {}), Mapping):
        raise AssemblyError(f"{manifest_path.name} is not a cloud assembly manifest")
    artifacts: Mapping[str, Any] = manifest.get("artifacts") or {}
    asset_manifests: dict[str, AssetManifest] = {}
    for aid, art in artifacts.items():
        if isinstance(art, Mapping) and art.get("type") == "cdk:asset-manifest":
            props = art.get("properties") or {}
            file = props.get("file")
            if isinstance(file, str):
                asset_manifests[str(aid)] = read_asset_manifest(directory / file, props)
    stack_ids = {
        str(aid)
        for aid, art in artifacts.items()
        if isinstance(art, Mapping) and art.get("type") == "aws:cloudformation:stack"
    }
    stacks: list[StackArtifact] = []
    for aid, art in artifacts.items():
        if str(aid) not in stack_ids:
            continue
        props = art.get("properties") or {}
        template_file = props.get("templateFile")
        if not isinstance(template_file, str):
            raise AssemblyError(f"Stack {aid} in {manifest_path.name} has no templateFile")
        deps = [str(d) for d in art.get("dependencies") or []]
        metadata = art.get("metadata")
        extra = art.get("additionalMetadataFile")
        logical_ids = _logical_ids(metadata)
        if isinstance(extra, str) and (directory / extra).is_file():
            try:
                logical_ids.update(_logical_ids(json.loads((directory / extra).read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                pass  # Metadata only improves messages; a broken file must not stop a deploy.
        version = props.get("requiresBootstrapStackVersion")
        tags = props.get("tags") or {}
        stacks.append(
            StackArtifact(
                artifact_id=str(aid),
                stack_name=str(props.get("stackName") or aid),
                template_path=directory / template_file,
                tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
                depends_on=tuple(d for d in deps if d in stack_ids),
                asset_manifests=tuple(asset_manifests[d] for d in deps if d in asset_manifests),
                environment=str(art.get("environment") or "aws://unknown-account/unknown-region"),
                bootstrap_parameter=props.get("bootstrapStackVersionSsmParameter"),
                required_bootstrap_version=int(version) if isinstance(version, int) else None,
                termination_protection=bool(props.get("terminationProtection", False)),
                template_asset_url=props.get("stackTemplateAssetObjectUrl"),
                logical_ids=logical_ids,
            )
        )
    return CloudAssembly(directory=directory, version=str(manifest.get("version", "")), stacks=stacks)
