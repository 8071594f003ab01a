"""Bundle the Dockhand server into the extension: extension/bundled/libs holds `dockhand` and the pure-Python form
of every library it needs (plus PyYAML's optional libyaml binding for common platforms), at the versions of the venv this runs in (the versions the tests ran against), so the
.vsix runs on any Python >= 3.11 without a venv (the vscode-python-tools-extension-template way).

Run by scripts/build-extension with the project's .venv/bin/python; skips when the bundle is up to date (a hash of
the pins, the server's sources and this script). Usage: bundle_server.py [--force]
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server" / "dockhand"
LIBS = ROOT / "extension" / "bundled" / "libs"
STAMP = LIBS / ".bundle-hash"
SOURCE_SUFFIXES = {".py", ".pyi", ".typed"}
# Only a wheel built for one CPython exists for these; their Python files are the whole library without the
# C extension (PyYAML: `yaml/*.py`, the same files its sdist installs when built without libyaml).
PLATFORM_ONLY = {"pyyaml"}
PRUNED_DIRS = {"tests", "__pycache__"}
# Optional speed, the one compiled part: PyYAML's libyaml binding (35x faster than its pure-Python reader on a big
# file) for the CPython versions and platforms extension hosts mostly run on. Each file carries its ABI in its name
# (_yaml.cpython-312-x86_64-linux-gnu.so, _yaml.cp312-win_amd64.pyd), so they sit side by side in yaml/ and a Python
# loads the one built for it; any other Python (macOS, musl, PyPy) reads YAML in pure Python, with the same results.
LIBYAML_PYTHONS = ("3.11", "3.12", "3.13", "3.14")
LIBYAML_PLATFORMS = ("manylinux_2_17_x86_64", "manylinux_2_17_aarch64", "win_amd64")
LIBYAML_BINDING = re.compile(r"^yaml/_yaml\.[^/]+\.(so|pyd)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(root: str = "dockhand") -> dict[str, str]:
    """name -> version of every distribution `root` needs here (markers evaluated for this Python, no extras)."""
    found: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        for text in md.requires(name) or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            key = canonical(req.name)
            if key not in found:
                found[key] = md.version(req.name)
                todo.append(req.name)
    return dict(sorted(found.items()))


def fingerprint(pinned: dict[str, str]) -> str:
    digest = hashlib.sha256(repr(sorted(pinned.items())).encode())
    digest.update(Path(__file__).read_bytes())
    for path in sorted(SERVER.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(SERVER)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", "--disable-pip-version-check", *args], check=True)  # noqa: S603


def install_pure(pinned: dict[str, str], target: Path) -> None:
    """Pure wheels only (py3-none-any): pip refuses anything built for a platform."""
    wanted = [f"{name}=={version}" for name, version in pinned.items() if name not in PLATFORM_ONLY]
    pure = ["--implementation", "py", "--platform", "any", "--python-version", "3.11", "--only-binary=:all:"]
    pip("install", "--no-deps", "--no-compile", "--target", str(target), *pure, *wanted)


def install_python_files(name: str, version: str, target: Path) -> None:
    """The Python files (and metadata) of a library that only has platform wheels, without its extension."""
    with tempfile.TemporaryDirectory() as tmp:
        pip("download", "--no-deps", "--only-binary=:all:", "--dest", tmp, f"{name}=={version}")
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                top = member.split("/", 1)[0]
                if member.endswith((".py", ".pyi", "METADATA", "LICENSE")) and not top.startswith("_"):
                    archive.extract(member, target)


def add_libyaml_bindings(version: str, target: Path) -> None:
    """PyYAML's compiled binding, one file per (CPython, platform) that has a wheel; a missing one is skipped."""
    with tempfile.TemporaryDirectory() as tmp:
        for python in LIBYAML_PYTHONS:
            for platform in LIBYAML_PLATFORMS:
                abi = ["--implementation", "cp", "--python-version", python, "--platform", platform]
                try:
                    pip("download", "--no-deps", "--only-binary=:all:", *abi, "--dest", tmp, f"pyyaml=={version}")
                except subprocess.CalledProcessError:
                    print(f"bundle_server: no PyYAML wheel for CPython {python} on {platform}", file=sys.stderr)
        for wheel in Path(tmp).glob("*.whl"):
            with zipfile.ZipFile(wheel) as archive:
                for member in archive.namelist():
                    if LIBYAML_BINDING.match(member):
                        strip_symbols(Path(archive.extract(member, target)))


def strip_symbols(binary: Path) -> None:
    """Drop the symbol tables (2.8 MB -> 0.4 MB); binutils' strip reads only this machine's architecture, and a
    file it cannot read is kept as it is."""
    strip = shutil.which("strip")
    if strip and binary.suffix == ".so":
        subprocess.run([strip, "--strip-unneeded", str(binary)], capture_output=True, check=False)  # noqa: S603


def copy_server(target: Path) -> None:
    for path in SERVER.rglob("*"):
        if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts:
            dest = target / "dockhand" / path.relative_to(SERVER)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)


def prune(target: Path) -> None:
    """No test suites, bytecode or console scripts; and no compiled code may have slipped in."""
    shutil.rmtree(target / "bin", ignore_errors=True)
    for path in sorted(target.rglob("*"), reverse=True):
        if path.is_dir() and path.name in PRUNED_DIRS:
            shutil.rmtree(path)
    compiled = [
        p
        for p in target.rglob("*")
        if p.suffix in {".so", ".pyd", ".dylib"} and not LIBYAML_BINDING.match(p.relative_to(target).as_posix())
    ]
    if compiled:
        sys.exit(f"bundle_server: compiled files in the bundle: {compiled[:5]}")


def check(target: Path) -> None:
    """The bundle alone (-I -S: no site-packages) must import the whole server."""
    probe = f"import sys; sys.path.insert(0, {str(target)!r}); import dockhand.lsp.app, dockhand.lsp.server, dockhand.__main__, yaml"
    subprocess.run([sys.executable, "-I", "-S", "-c", probe], check=True, cwd=target)  # noqa: S603


def main() -> int:
    pinned = pins()
    stamp = fingerprint(pinned)
    if "--force" not in sys.argv and STAMP.exists() and STAMP.read_text() == stamp:
        print("bundle_server: bundled/libs is up to date", file=sys.stderr)
        return 0
    staging = LIBS.with_name("libs.new")
    shutil.rmtree(staging, ignore_errors=True)
    install_pure(pinned, staging)
    for name in PLATFORM_ONLY & pinned.keys():
        install_python_files(name, pinned[name], staging)
    add_libyaml_bindings(pinned["pyyaml"], staging)
    copy_server(staging)
    prune(staging)
    check(staging)
    shutil.rmtree(staging / "__pycache__", ignore_errors=True)
    for cache in staging.rglob("__pycache__"):
        shutil.rmtree(cache)
    (staging / STAMP.name).write_text(stamp)
    shutil.rmtree(LIBS, ignore_errors=True)
    staging.rename(LIBS)
    files = sum(1 for p in LIBS.rglob("*") if p.is_file())
    print(
        f"bundle_server: {len(pinned)} libraries + dockhand, {files} files in extension/bundled/libs", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
