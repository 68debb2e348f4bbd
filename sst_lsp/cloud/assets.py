"""Publishing file assets (cloud layer): deterministic zips of asset folders, uploads to S3.

The zip of a folder is a pure function of its files' relative paths, contents and executable
bits: entries sorted, timestamps fixed at 1980-01-01, permissions normalised to 0644/0755, no
directory entries, no extra fields. The S3 key comes from the asset manifest (CDK's source
hash), and an object already at that key is not uploaded again.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import botocore.exceptions

from sst_lsp.cloud.assembly import AssetManifest, FileAsset
from sst_lsp.cloud.aws import CloudError, CloudSession, describe_error
from sst_lsp.cloud.reporter import Reporter

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _files(root: Path) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_file():  # A broken symlink or a socket: nothing to publish.
                continue
            out.append((path.relative_to(root).as_posix(), path))
    out.sort(key=lambda item: item[0])
    return out


def zip_directory(root: Path) -> bytes:
    """A deterministic zip of the files below ``root`` (same bytes for the same files)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, path in _files(root):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # Unix, so that external_attr carries the mode bits.
            mode = path.stat().st_mode
            perm = 0o755 if mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | perm) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def asset_bytes(asset: FileAsset) -> bytes:
    """The bytes to upload for ``asset`` (raises ``CloudError`` when the source is missing)."""
    src = asset.source
    if asset.packaging == "zip":
        if src.is_dir():
            return zip_directory(src)
        if src.is_file() and src.suffix in (".zip", ".jar"):
            return src.read_bytes()
        raise CloudError(f"Asset folder not found: {src.name} ({asset.display_name or asset.asset_id})")
    if asset.packaging == "file":
        if src.is_file():
            return src.read_bytes()
        raise CloudError(f"Asset file not found: {src.name} ({asset.display_name or asset.asset_id})")
    raise CloudError(f"Asset {asset.asset_id}: packaging '{asset.packaging}' is not supported")


def substitute(text: str, account: str, region: str, partition: str) -> str:
    """Resolve the placeholders asset manifests use in bucket names and keys."""
    return (
        text.replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
        .replace("${AWS::Partition}", partition)
    )


@dataclass(frozen=True, slots=True)
class PublishedAsset:
    asset_id: str
    bucket: str
    key: str
    #: "uploaded" or "exists" (skipped).
    state: str
    size: int = 0


def _exists(s3: object, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
        return True
    except botocore.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def publish_assets(
    session: CloudSession, manifests: Iterable[AssetManifest], reporter: Reporter
) -> list[PublishedAsset]:
    """Upload every file asset of ``manifests`` that is not already in its bucket.

    Raises ``CloudError`` (container image assets, missing sources, S3 failures)."""
    s3 = session.client("s3")
    account, region, partition = session.account, session.region, session.partition
    done: list[PublishedAsset] = []
    seen: set[tuple[str, str]] = set()
    for manifest in manifests:
        if manifest.missing:
            raise CloudError(f"The asset manifest {manifest.path.name} is missing from the cloud assembly")
        if manifest.docker_images:
            raise CloudError(
                f"{manifest.path.name} has container image assets ({len(manifest.docker_images)}): "
                "sst-lsp publishes file assets only; deploy this app with the CDK/SST CLI"
            )
        for asset in manifest.files:
            payload: bytes | None = None
            for dest in asset.destinations:
                bucket = substitute(dest.bucket_name, account, region, partition)
                key = substitute(dest.object_key, account, region, partition)
                if (bucket, key) in seen:
                    continue
                seen.add((bucket, key))
                try:
                    if _exists(s3, bucket, key):
                        reporter.log(
                            f"asset {asset.display_name or asset.asset_id}: already in s3://{bucket}/{key}"
                        )
                        done.append(PublishedAsset(asset.asset_id, bucket, key, "exists"))
                        continue
                    if payload is None:
                        payload = asset_bytes(asset)
                    s3.put_object(Bucket=bucket, Key=key, Body=payload)
                except CloudError:
                    raise
                except Exception as exc:
                    raise CloudError(
                        f"Publishing asset {asset.display_name or asset.asset_id} failed: {describe_error(exc)}"
                    ) from exc
                reporter.log(
                    f"asset {asset.display_name or asset.asset_id}: uploaded s3://{bucket}/{key} ({len(payload)} bytes)"
                )
                done.append(PublishedAsset(asset.asset_id, bucket, key, "uploaded", len(payload)))
    return done
