"""The check cache (`sst_lsp/cache.py`): a cached check reports exactly what a `--no-cache` check
reports, after any edit; broken, foreign and concurrent cache files never change a result;
`--no-cache` and `sst-lsp cache clean`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sst_lsp import cache
from sst_lsp.cli import main
from tests.conftest import FIXTURE_APPS

REPO = Path(__file__).resolve().parent.parent
#: Every fixture app, plus the bundled example.
APPS = sorted(p for p in FIXTURE_APPS.iterdir() if p.is_dir()) + [REPO / "examples" / "notes-app"]
SOURCE_SUFFIXES = (".ts", ".tsx", ".js", ".mjs", ".py")


def copy_app(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".sst-lsp", "expected_model.json"))
    return dest


def check(root: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, list[object], str]:
    """Exit code, JSON findings and the stats line of `sst-lsp check ROOT`."""
    code = main(["check", str(root), "--format", "json", "--stats", *flags])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def cache_files(root: Path) -> list[Path]:
    return sorted((root / cache.CACHE_DIR).glob("*.pickle"))


def sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SOURCE_SUFFIXES
                  and ".sst-lsp" not in p.parts)


def random_edit(rng: random.Random, root: Path) -> str:
    """One edit of the kinds users make: rename an export, break or fix a handler string (same
    size), add or delete a file, rename a folder."""
    files = sources(root)
    p = rng.choice(files)
    text = p.read_text(encoding="utf-8")
    kind = rng.choice(["same-size", "append-export", "delete", "add-file", "rename-dir", "swap-word"])
    if kind == "same-size" and len(text) > 2:
        # Same length: only the content digest (not the size) can tell.
        i = rng.randrange(len(text) - 1)
        while not text[i].isalnum() and i < len(text) - 1:
            i += 1
        repl = "x" if text[i] != "x" else "y"
        p.write_text(text[:i] + repl + text[i + 1:], encoding="utf-8")
    elif kind == "append-export":
        line = "\ndef extra_handler(event, context):\n    return 1\n" if p.suffix == ".py" else (
            "\nexport const extraHandler = async () => 1;\n")
        p.write_text(text + line, encoding="utf-8")
    elif kind == "delete":
        p.unlink()
    elif kind == "add-file":
        ext = ".py" if p.suffix == ".py" else ".ts"
        (p.parent / f"added{rng.randrange(1000)}{ext}").write_text(
            "def main(event, context):\n    return 1\n" if ext == ".py" else "export async function main() {}\n",
            encoding="utf-8")
    elif kind == "rename-dir" and p.parent != root:
        p.parent.rename(p.parent.with_name(p.parent.name + "_moved"))
    else:
        for a, b in (("main", "mian"), ("handler", "handlr"), ("Api", "API"), ("export", "const")):
            if a in text:
                p.write_text(text.replace(a, b, 1), encoding="utf-8")
                break
    return f"{kind} {p.relative_to(root)}"


@pytest.mark.parametrize("src", APPS, ids=lambda p: p.name)
def test_cached_results_equal_cold_ones_after_random_edits(
        src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(src, tmp_path / src.name)
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"sst-lsp-cache-{src.name}")
    cold = check(root, capsys, "--no-cache")
    assert check(root, capsys) == cold  # Fills the cache.
    assert cache_files(root), "the cached run wrote no cache"
    assert check(root, capsys) == cold  # Reads it.
    for step in range(8):
        what = random_edit(rng, root)
        cold = check(root, capsys, "--no-cache")
        assert check(root, capsys) == cold, f"after edit {step}: {what}"
        assert check(root, capsys) == cold, f"second cached run after edit {step}: {what}"


def test_unchanged_apps_come_from_the_cache_and_edited_ones_are_rebuilt(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    a = copy_app(FIXTURE_APPS / "v1-functional-ts", tmp_path / "a")
    b = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "b")
    monkeypatch.chdir(tmp_path)
    check(tmp_path, capsys)
    stack = b / "stacks" / "Database.ts"
    stack.write_text(stack.read_text(encoding="utf-8") + "\nexport const more = 1;\n", encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="sst_lsp.check"):
        got = check(tmp_path, capsys)
    said = {r.getMessage() for r in caplog.records}
    assert f"{a}: result from the cache" in said
    assert f"{b}: checking" in said
    assert got == check(tmp_path, capsys, "--no-cache")


def test_no_cache_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    check(root, capsys, "--no-cache")
    assert not (root / ".sst-lsp").exists()


def test_cache_folder_is_ignored_by_git(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    check(root, capsys)
    assert (root / cache.CACHE_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert not list((root / cache.CACHE_DIR).glob("*.tmp")), "a temporary file was left behind"


# ----------------------------------------------------------------------------------------------
# Broken and foreign cache files.
# ----------------------------------------------------------------------------------------------


class _Boom:
    """Pickles to a call of `os.system`: what a hostile or foreign file could hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _signed(payload: bytes) -> bytes:
    """A cache file whose digest matches its (hostile) payload."""
    return cache.MAGIC + hashlib.blake2b(payload, digest_size=32).digest() + payload


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "hostile", "wrong-format"])
def test_a_broken_cache_file_is_ignored_and_rewritten(
        damage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v1-functional-ts", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    cold = check(root, capsys, "--no-cache")
    check(root, capsys)
    files = cache_files(root)
    assert len(files) == 2  # Entries and results.
    marker = tmp_path / "executed"
    for f in files:
        data = f.read_bytes()
        if damage == "garbage":
            f.write_bytes(os.urandom(len(data)))
        elif damage == "truncated":
            f.write_bytes(data[: len(data) // 2])
        elif damage == "empty":
            f.write_bytes(b"")
        elif damage == "hostile":
            f.write_bytes(_signed(pickle.dumps({"format": cache.FORMAT, "results": _Boom(marker)})))
        else:
            f.write_bytes(_signed(pickle.dumps({"format": cache.FORMAT + 1000})))
    assert check(root, capsys) == cold
    assert not marker.exists(), "a cache file ran code"
    for f in cache_files(root):
        assert cache.decode(f.read_bytes()) is not None, f"{f.name} was not rewritten"
    assert check(root, capsys) == cold


def test_a_broken_entry_is_recomputed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    cold = check(root, capsys, "--no-cache")
    check(root, capsys)
    entries = next(f for f in cache_files(root) if f.name.startswith("check-"))
    payload = cache.decode(entries.read_bytes())
    assert payload is not None and payload["facts"] and payload["resolutions"]
    marker = tmp_path / "executed"
    # Every entry's value replaced by garbage or by a hostile pickle, under a valid file digest.
    for kind in ("facts", "exports"):
        payload[kind] = {k: (d, b"\x80\x05garbage") for k, (d, _blob) in payload[kind].items()}
    payload["resolutions"] = {k: (deps, pickle.dumps(_Boom(marker))) for k, (deps, _b) in payload["resolutions"].items()}
    entries.write_bytes(cache.encode(payload))
    for f in cache_files(root):
        if f.name.startswith("result-"):
            f.unlink()
    assert check(root, capsys) == cold
    assert not marker.exists()


def test_the_unpickler_resolves_only_our_dataclasses_and_paths() -> None:
    from sst_lsp.syntax.text import Pos, TextRange

    r = TextRange(Pos(1, 2), Pos(3, 4))
    value = {"r": r, "p": Path("/a/b")}
    assert cache._loads(pickle.dumps(value)) == value
    for hostile in (pickle.dumps(_Boom(Path("/nonexistent/x"))), pickle.dumps(shutil.rmtree),
                    pickle.dumps(logging.getLogger), pickle.dumps(cache.CheckCache)):
        assert cache._loads(hostile) is None


def test_a_new_version_starts_a_new_cache_and_removes_the_old(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    cold = check(root, capsys)
    old = cache_files(root)
    monkeypatch.setattr(cache, "tool_fingerprint", lambda: "0123456789abcdef")
    assert check(root, capsys) == cold
    assert [f.name for f in cache_files(root)] == ["check-0123456789abcdef.pickle", "result-0123456789abcdef.pickle"]
    assert not any(f.exists() for f in old)


def test_the_tool_fingerprint_follows_the_package_sources() -> None:
    fp = cache.tool_fingerprint()
    assert len(fp) == 16 and fp == cache.tool_fingerprint()
    mod = Path(cache.__file__)
    st = mod.stat()
    try:
        os.utime(mod, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        cache.tool_fingerprint.cache_clear()
        assert cache.tool_fingerprint() != fp
    finally:
        os.utime(mod, ns=(st.st_atime_ns, st.st_mtime_ns))
        cache.tool_fingerprint.cache_clear()
    assert cache.tool_fingerprint() == fp


# ----------------------------------------------------------------------------------------------
# Stat signatures.
# ----------------------------------------------------------------------------------------------


def test_a_fresh_file_is_read_not_trusted_by_its_stamps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Files changed within the margin get no signature: an edit in the same timestamp tick
    # would otherwise go unseen.
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    check(root, capsys)
    entries = next(f for f in cache_files(root) if f.name.startswith("check-"))
    payload = cache.decode(entries.read_bytes())
    assert payload is not None and payload["facts"] and payload["stats"] == {}
    results = next(f for f in cache_files(root) if f.name.startswith("result-"))
    rows = next(iter(cache.decode(results.read_bytes())["results"].values()))[0]  # type: ignore[index]
    assert rows and all(sig is None for _path, _fp, sig in rows)


def test_a_same_size_edit_with_its_mtime_restored_is_seen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Trust every signature at once (as if the files were old), then edit a handler keeping its
    # size and putting its modification time back: the change time still tells.
    monkeypatch.setattr(cache, "STAT_MARGIN_NS", -(10**18))
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    check(root, capsys)
    results = next(f for f in cache_files(root) if f.name.startswith("result-"))
    rows = next(iter(cache.decode(results.read_bytes())["results"].values()))[0]  # type: ignore[index]
    assert any(sig is not None for _path, _fp, sig in rows)
    target = next(p for p in sources(root) if p.name == "list.ts")
    st = target.stat()
    text = target.read_text(encoding="utf-8")
    assert "export" in text
    target.write_text(text.replace("export", "expert", 1), encoding="utf-8")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert check(root, capsys) == check(root, capsys, "--no-cache")


def test_after_a_checkout_contents_are_hashed_once_and_stamps_renewed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "STAT_MARGIN_NS", -(10**18))  # Every file counts as settled.
    root = copy_app(FIXTURE_APPS / "v1-functional-ts", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    cold = check(root, capsys, "--no-cache")
    check(root, capsys)
    reads: list[str] = []
    real = cache.CheckCache._read_digest

    def counting(self: cache.CheckCache, key: str) -> bytes | None:
        reads.append(key)
        return real(self, key)

    monkeypatch.setattr(cache.CheckCache, "_read_digest", counting)
    assert check(root, capsys) == cold
    assert reads == [], "a warm run read files whose stamps it knew"
    for p in root.rglob("*"):  # New stamps, same contents.
        if p.is_file() and ".sst-lsp" not in p.parts:
            os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 5_000_000_000))
    assert check(root, capsys) == cold
    assert reads, "new stamps did not make the run read the files"
    reads.clear()
    assert check(root, capsys) == cold
    assert reads == [], "the new stamps were not recorded"


# ----------------------------------------------------------------------------------------------
# Concurrent runs.
# ----------------------------------------------------------------------------------------------


def test_concurrent_runs_see_complete_cache_files(tmp_path: Path) -> None:
    root = copy_app(FIXTURE_APPS / "v1-functional-ts", tmp_path / "app")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    argv = [sys.executable, "-m", "sst_lsp", "check", str(root), "--format", "json"]
    expected = subprocess.run([*argv, "--no-cache"], capture_output=True, text=True, env=env, check=False)
    for _round in range(2):
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(4)]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert (p.returncode, out) == (expected.returncode, expected.stdout), err
        for f in cache_files(root):
            assert cache.decode(f.read_bytes()) is not None
        assert not list((root / cache.CACHE_DIR).glob("*.tmp"))


# ----------------------------------------------------------------------------------------------
# sst-lsp cache clean
# ----------------------------------------------------------------------------------------------


def test_cache_clean_removes_each_apps_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    a = copy_app(FIXTURE_APPS / "v1-functional-ts", tmp_path / "a")
    b = copy_app(FIXTURE_APPS / "v3-run", tmp_path / "b")
    monkeypatch.chdir(tmp_path)
    check(tmp_path, capsys)
    assert cache_files(a) and cache_files(b)
    assert main(["cache", "clean", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"removed {a / cache.CACHE_DIR}" in out and f"removed {b / cache.CACHE_DIR}" in out
    assert not (a / cache.CACHE_DIR).exists() and not (b / cache.CACHE_DIR).exists()
    assert main(["cache", "clean", str(tmp_path)]) == 0
    assert "no cache to remove" in capsys.readouterr().out


def test_cache_clean_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "clean", str(tmp_path / "missing")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["cache"]) == 2
    assert "cache clean" in capsys.readouterr().err
    assert main(["cache", "clean", str(tmp_path)]) == 0
    assert "no SST app found" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------
# Other shapes of a check.
# ----------------------------------------------------------------------------------------------


def test_nested_apps_and_single_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "outer")
    copy_app(FIXTURE_APPS / "v3-run", root / "packages" / "nested")
    copy_app(FIXTURE_APPS / "v1-functional-ts", root / "stacks" / "v1")
    monkeypatch.chdir(tmp_path)
    cold = check(root, capsys, "--no-cache")
    assert "apps=3" in cold[2]
    assert check(root, capsys) == cold
    assert check(root, capsys) == cold
    one = root / "stacks" / "api" / "Api.ts"
    assert check(one, capsys) == check(one, capsys, "--no-cache")


def test_with_a_git_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v1-functional-ts", tmp_path / "app")
    git = shutil.which("git")
    assert git is not None
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run([git, *argv], cwd=root, env=env, check=True)
    stack = next(p for p in sources(root / "stacks"))
    stack.write_text(stack.read_text(encoding="utf-8").replace("Table", "Bucket", 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cold = check(root, capsys, "--no-cache", "--baseline", "git:HEAD")
    assert check(root, capsys, "--baseline", "git:HEAD") == cold
    assert check(root, capsys, "--baseline", "git:HEAD") == cold


def test_temporary_files_of_killed_runs_are_removed_once_old(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v3-run", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    check(root, capsys)
    folder = root / cache.CACHE_DIR
    old, fresh = folder / "result-x.pickle.a1.tmp", folder / "result-x.pickle.b2.tmp"
    for p in (old, fresh):
        p.write_bytes(b"partial")
    os.utime(old, (os.path.getatime(old) - 7200, os.path.getmtime(old) - 7200))
    (root / "infra" / "api.ts").write_text((root / "infra" / "api.ts").read_text(encoding="utf-8") + "\n// more\n",
                                           encoding="utf-8")
    check(root, capsys)  # Writes the cache again.
    assert not old.exists() and fresh.exists()


def test_a_huge_file_keeps_no_facts_entry_and_results_stay_equal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Facts of a file over the limit are not pickled (as costly as extracting them again); the
    # app's result is still cached, and an edit elsewhere re-extracts the file: same findings.
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    sizes = sorted((len(p.read_text(encoding="utf-8")), p) for p in sources(root) if "stacks" in p.parts)
    limit = sizes[-1][0] - 1  # Only the largest stack file is over it.
    monkeypatch.setattr(cache, "MAX_CACHED_FACTS_TEXT", limit)
    stored: list[str] = []
    real_put = cache.CheckCache._put

    def put(self: cache.CheckCache, kind: str, path: Path, text: str, value: object) -> None:
        if kind == "facts":
            stored.append(str(path))
        real_put(self, kind, path, text, value)

    monkeypatch.setattr(cache.CheckCache, "_put", put)
    cold = check(root, capsys, "--no-cache")
    assert check(root, capsys) == cold
    assert str(sizes[-1][1]) not in stored and str(sizes[0][1]) in stored
    assert check(root, capsys) == cold
    other = sizes[0][1]
    other.write_text(other.read_text(encoding="utf-8") + "\nexport const more = 1;\n", encoding="utf-8")
    assert check(root, capsys) == check(root, capsys, "--no-cache")


def test_a_cached_check_loads_neither_the_parser_nor_the_model(tmp_path: Path) -> None:
    """Start-up is most of a cached check: with every app's result in the cache it imports no
    tree-sitter, analyzer, index, settings (attrs/cattrs), logging or pickle module."""
    root = copy_app(REPO / "examples" / "notes-app", tmp_path / "notes-app")
    probe = ("import sys, json\nfrom sst_lsp.cli import main\n"
             "code = main(['check', sys.argv[1], '--format', 'json'])\n"
             "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def loaded() -> set[str]:
        proc = subprocess.run([sys.executable, "-c", probe, str(root)], capture_output=True, text=True, env=env,
                              cwd=tmp_path, check=False)
        assert proc.returncode in (0, 1), proc.stderr
        return set(json.loads(proc.stderr.strip().splitlines()[-1]))

    first = loaded()  # Fills the cache.
    assert "tree_sitter" in first and "sst_lsp.analyzers" in first
    warm = loaded()
    heavy = {"tree_sitter", "sst_lsp.analyzers", "sst_lsp.model.index", "sst_lsp.model.types", "sst_lsp.settings",
             "sst_lsp.host.host", "attrs", "cattrs", "logging", "pickle"}
    assert not heavy & warm, sorted(heavy & warm)


def unsaved_edit(text: str) -> str:
    """An edit of an open buffer that the disk (and so the cache) does not have."""
    for a, b in (("main", "mian"), ("handler", "handlr"), ("export", "const")):
        if a in text:
            return text.replace(a, b, 1)
    return text + "\nexport const unsaved = 1;\n"


def first_index(root: Path, store: cache.CheckCache | None, open_file: Path | None = None) -> list[object]:
    """The findings of a host indexed the way the language server's first index goes (the apps
    warmed one by one, then one analysis), with `store` lent for it and an unsaved edit in an
    open buffer at `open_file`."""
    from sst_lsp.host.host import AnalysisHost
    from sst_lsp.model.files import FileSource

    host = AnalysisHost([root], fs=FileSource())
    if open_file is not None:
        host.apply_change(open_file, unsaved_edit(open_file.read_text(encoding="utf-8")), 1)
    host.use_store(store)
    for ar in host.app_roots():
        host.warm(ar)
    got: list[object] = sorted(host.analysis().findings(), key=lambda f: f.sort_key())
    host.use_store(None)
    return got


def disk_state(root: Path) -> dict[Path, bytes | None]:
    """Every file and folder below `root` (folders as None), the cache left out."""
    return {p: None if p.is_dir() else p.read_bytes() for p in root.rglob("*") if ".sst-lsp" not in p.parts}


@pytest.mark.parametrize("src", APPS, ids=lambda p: p.name)
def test_the_servers_first_index_through_the_cache_finds_what_a_cold_one_does(
        src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(src, tmp_path / src.name)
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"sst-lsp-first-index-{src.name}")
    hits = 0
    for step in range(5):
        check(root, capsys)  # What the cache holds: the files as they were before this edit.
        what = random_edit(rng, root) if step else "none"
        files = sources(root)
        open_file = rng.choice(files) if files and step % 2 else None
        store = cache.CheckCache([root], read_only=True)
        cold = first_index(root, None, open_file)
        assert first_index(root, store, open_file) == cold, f"after edit {step}: {what}"
        hits += store.hits
        assert not any(f.name.endswith(".tmp") for f in (root / cache.CACHE_DIR).iterdir())
    assert hits, "the first index took nothing from the cache"


def test_the_first_index_ignores_a_corrupt_entry_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_app(FIXTURE_APPS / "v2-monorepo", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    check(root, capsys)
    cold = first_index(root, None)
    entries = next(f for f in cache_files(root) if f.name.startswith("check-"))
    payload = cache.decode(entries.read_bytes())
    assert payload is not None and payload["facts"] and payload["exports"]
    marker = tmp_path / "executed"
    # One entry of each kind broken (garbage, a hostile pickle), under a valid file digest.
    for kind in ("facts", "exports"):
        k, (d, _blob) = next(iter(payload[kind].items()))
        payload[kind][k] = (d, b"\x80\x05garbage")
    k, (deps, _b) = next(iter(payload["resolutions"].items()))
    payload["resolutions"][k] = (deps, pickle.dumps(_Boom(marker)))
    entries.write_bytes(cache.encode(payload))
    before = {f.name: f.read_bytes() for f in cache_files(root)}
    store = cache.CheckCache([root], read_only=True)
    assert first_index(root, store) == cold
    assert store.hits and not marker.exists()
    store.save()
    assert {f.name: f.read_bytes() for f in cache_files(root)} == before  # Read-only.
    # A cache file broken as a whole is ignored too.
    entries.write_bytes(entries.read_bytes()[:100])
    assert first_index(root, cache.CheckCache([root], read_only=True)) == cold


@pytest.mark.parametrize("resolutions", [True, False], ids=["resolutions", "exports-only"])
@pytest.mark.parametrize("src", APPS, ids=lambda p: p.name)
def test_after_the_first_index_disk_edits_are_seen_as_without_the_cache(
        src: Path, resolutions: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the first index took from the cache stays once the store is taken back, until the
    watcher says its file (or folder) changed: a host that had the store and one that never had
    it, told of the same edits, find the same."""
    from sst_lsp.host.host import AnalysisHost
    from sst_lsp.model.files import FileSource

    root = copy_app(src, tmp_path / src.name)
    monkeypatch.chdir(tmp_path)
    check(root, capsys)
    if not resolutions:
        # Without them the resolver resolves anew, reading the export tables from the cache.
        entries = next(f for f in cache_files(root) if f.name.startswith("check-"))
        payload = cache.decode(entries.read_bytes())
        assert payload is not None
        payload["resolutions"] = {}
        entries.write_bytes(cache.encode(payload))
    rng = random.Random(f"sst-lsp-after-first-index-{src.name}")
    store = cache.CheckCache([root], read_only=True)
    hosts = [AnalysisHost([root], fs=FileSource()) for _ in range(2)]
    hosts[0].use_store(store)
    for host in hosts:
        for ar in host.app_roots():
            host.warm(ar)
        host.analysis().findings()
    hosts[0].use_store(None)
    assert store.hits
    # First a handler file whose export a handler names: that export renamed.
    snap = hosts[1].analysis().snapshot
    named = [(r.file, r.export) for app in snap.apps for h in app.handlers
             if (r := hosts[1].resolver.resolve(app, h)).status == "ok" and r.file and r.export
             and r.file.suffix in SOURCE_SUFFIXES]
    for step in range(10):
        before = disk_state(root)
        if step == 0 and named:
            file, export = named[0]
            file.write_text(file.read_text(encoding="utf-8").replace(export, export + "Renamed"), encoding="utf-8")
            what = f"renamed {export} in {file}"
        else:
            what = random_edit(rng, root)
        after = disk_state(root)
        changed = [p for p in sorted(set(before) | set(after)) if before.get(p, b"") != after.get(p, b"")]
        found = []
        for host in hosts:
            for p in changed:
                host.file_changed(p)  # What a file watcher reports.
            found.append(sorted(host.analysis().findings(), key=lambda f: f.sort_key()))
        assert found[0] == found[1], f"after edit {step}: {what}"
