"""Registry and packaging: ``server.json`` against the MCP registry schema, versions that agree, the
README's ``mcp-name`` marker, and a wheel that installs into a clean virtual environment and serves.

The registry schema (2025-12-11, draft-07) is vendored in ``tests/data/server.schema.json`` so this
test does not depend on a checkout beside the clone; when ``../shared/mcp`` exists the copy is
checked against it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import types
import typing
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import SecretStr
from support import TOOL_NAMES, clean_env

import glow_models_mcp
from glow_models_mcp.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO / "tests" / "data" / "server.schema.json"
SHARED_SCHEMA_PATH = REPO.parent / "shared" / "mcp" / "server.schema.json"
SERVER_NAME = "io.github.glow-academic/glow-models-mcp"
PACKAGE_DATA = ("glow_models_mcp/sandbox/seed_catalog.json", "glow_models_mcp/sandbox/models_openapi.json")

# Variables that the server cannot do its job without (unless GLOW_MCP_SANDBOX is true).
REQUIRED_VARS = {"GLOW_INSTANCE_URL", "GLOW_API_KEY", "GLOW_TOKEN"}


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _server_json() -> dict[str, Any]:
    return json.loads((REPO / "server.json").read_text(encoding="utf-8"))


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _validator() -> jsonschema.Draft7Validator:
    schema = _schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _pypi_package() -> dict[str, Any]:
    packages = _server_json()["packages"]
    assert len(packages) == 1, "server.json should describe exactly one package"
    return packages[0]


# ------------------------------------------------------------------------------------------------
# server.json
# ------------------------------------------------------------------------------------------------


def test_vendored_schema_matches_shared_copy() -> None:
    if not SHARED_SCHEMA_PATH.exists():
        pytest.skip("no ../shared/mcp beside the clone; the vendored copy is used alone")
    assert json.loads(SHARED_SCHEMA_PATH.read_text(encoding="utf-8")) == _schema()


def test_server_json_validates_against_registry_schema() -> None:
    errors = sorted(_validator().iter_errors(_server_json()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_validator_rejects_broken_documents() -> None:
    """The validation above is not vacuous: the schema rejects what the registry rejects."""
    validator = _validator()
    good = _server_json()
    for broken in (
        {**good, "name": "glow-models-mcp"},  # not reverse-DNS with one slash
        {**good, "description": "x" * 101},  # over 100 characters
        {k: v for k, v in good.items() if k != "version"},  # version is required
        {**good, "packages": [{**good["packages"][0], "transport": {"type": "carrier-pigeon"}}]},
    ):
        assert list(validator.iter_errors(broken)), broken


def test_server_json_identity_and_registry_rules() -> None:
    doc = _server_json()
    assert doc["$schema"] == _schema()["$id"]
    assert doc["name"] == SERVER_NAME
    assert 1 <= len(doc["description"]) <= 100, len(doc["description"])
    assert doc["repository"] == {"url": _pyproject()["project"]["urls"]["Repository"], "source": "github"}
    pkg = _pypi_package()
    assert pkg["registryType"] == "pypi"
    assert pkg["identifier"] == _pyproject()["project"]["name"] == "glow-models-mcp"
    assert pkg["runtimeHint"] == "uvx"
    assert pkg["transport"] == {"type": "stdio"}


def test_versions_agree() -> None:
    version = _pyproject()["project"]["version"]
    assert glow_models_mcp.__version__ == version
    assert _server_json()["version"] == version
    assert _pypi_package()["version"] == version


def _env_name(field: Any) -> str:
    alias = field.validation_alias
    assert isinstance(alias, str) and alias.startswith("GLOW_"), alias
    return alias


def _expected_format(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    base = args[0] if is_union and len(args) == 1 else annotation
    if base is bool:
        return "boolean"
    if base in (int, float):
        return "number"
    return "string"


def _render_default(value: Any) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_every_environment_variable_described_as_it_really_is() -> None:
    """Each GLOW_* variable of Settings is in server.json, with its real default, format and secrecy."""
    described = {v["name"]: v for v in _pypi_package()["environmentVariables"]}
    fields = {_env_name(f): (name, f) for name, f in Settings.model_fields.items()}
    assert set(described) == set(fields), {
        "missing from server.json": sorted(set(fields) - set(described)),
        "not read by the server": sorted(set(described) - set(fields)),
    }
    defaults = Settings.model_construct()
    for env, (name, field) in fields.items():
        var = described[env]
        assert var.get("description"), env
        secret = field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation)
        assert var.get("isSecret", False) is secret, env
        assert var.get("isRequired", False) is (env in REQUIRED_VARS), env
        assert var.get("format", "string") == _expected_format(field.annotation), env
        default = _render_default(getattr(defaults, name))
        if default is None:
            assert "default" not in var, env
        else:
            assert var.get("default") is not None, env
            if var.get("format") == "number":
                assert float(var["default"]) == float(default), env
            else:
                assert var["default"] == default, env
        literal = typing.get_args(field.annotation) if typing.get_origin(field.annotation) is typing.Literal else None
        if literal:
            assert var.get("choices") == list(literal), env
    # The sandbox switch is how a registry client runs without the three required variables.
    assert described["GLOW_MCP_SANDBOX"]["format"] == "boolean"
    for env in REQUIRED_VARS:
        assert "GLOW_MCP_SANDBOX" in described[env]["description"], env


def test_readme_has_registry_ownership_marker() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"mcp-name:\s*{re.escape(SERVER_NAME)}(\s|-->|$)", readme), (
        f"README.md must contain 'mcp-name: {SERVER_NAME}' (e.g. in an HTML comment) for the MCP registry"
    )


# ------------------------------------------------------------------------------------------------
# Build, install into a clean venv, start
# ------------------------------------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without GLOW_* and without anything that points Python at this checkout."""
    return clean_env(drop=("GLOW_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT", "CONDA_PREFIX"), **extra)


def _run(cmd: list[str], *, cwd: Path, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_clean_env(), **kwargs)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist and wheel built from a copy-free checkout (the wheel built from the sdist, like a user would)."""
    out = tmp_path_factory.mktemp("dist")
    uv = shutil.which("uv")
    if uv:
        # uv builds the sdist, then the wheel from the unpacked sdist: proof the sdist is complete.
        _run([uv, "build", "--quiet", "--out-dir", str(out), str(REPO)], cwd=out)
    elif importlib.util.find_spec("build") is not None:
        _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=out, timeout=300)
    else:
        pytest.skip("neither uv nor the 'build' package is available to build the distributions")
    wheels = list(out.glob("glow_models_mcp-*.whl"))
    sdists = list(out.glob("glow_models_mcp-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.mark.process
def test_wheel_contents_and_metadata(dists: dict[str, Path]) -> None:
    version = _pyproject()["project"]["version"]
    assert dists["wheel"].name == f"glow_models_mcp-{version}-py3-none-any.whl"
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        for data in PACKAGE_DATA:
            assert data in names, f"{data} missing from the wheel"
        assert "glow_models_mcp/sandbox/__init__.py" in names
        assert "glow_models_mcp/__main__.py" in names
        assert not [n for n in names if "/tests/" in n or n.startswith("tests/")]
        dist_info = f"glow_models_mcp-{version}.dist-info"
        metadata_text = wheel.read(f"{dist_info}/METADATA").decode()
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
        assert f"{dist_info}/licenses/LICENSE" in names
    metadata = HeaderParser().parsestr(metadata_text)
    assert metadata["Name"] == "glow-models-mcp"
    assert metadata["Version"] == version
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Description-Content-Type"] == "text/markdown"
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL", []))
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(urls), urls
    assert metadata.get_all("Classifier")
    # The PyPI page (the README as long description) carries the registry's ownership marker.
    assert f"mcp-name: {SERVER_NAME}" in metadata_text
    assert "glow-models-mcp = glow_models_mcp.cli:main" in entry_points


@pytest.mark.process
def test_sdist_contents(dists: dict[str, Path]) -> None:
    version = _pyproject()["project"]["version"]
    root = f"glow_models_mcp-{version}"
    with tarfile.open(dists["sdist"]) as sdist:
        names = {n.removeprefix(root + "/") for n in sdist.getnames()}
    for path in (
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "server.json",
        "src/glow_models_mcp/__init__.py",
        "tests/data/server.schema.json",
        *(f"src/{p}" for p in PACKAGE_DATA),
    ):
        assert path in names, f"{path} missing from the sdist"
    assert not [n for n in names if "node_modules" in n or ".venv" in n or "__pycache__" in n]


def _mcp_session(command: list[str], cwd: Path, env: dict[str, str]) -> dict[int, dict[str, Any]]:
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "packaging-test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    stdin = "".join(json.dumps(m) + "\n" for m in messages)
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]  # stdout carries only JSON-RPC
    return {r["id"]: r for r in replies if "id" in r}


@pytest.mark.process
def test_wheel_installs_into_clean_venv_and_serves(dists: dict[str, Path], tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # A clean stdlib venv (no pip: uv installs into it, reusing its cache, in a second or two).
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    uv = shutil.which("uv")
    if uv:
        _run([uv, "pip", "install", "--quiet", "--python", str(python), str(dists["wheel"])], cwd=tmp_path)
    elif importlib.util.find_spec("pip") is not None:
        _run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(dists["wheel"])],
            cwd=tmp_path,
            timeout=300,
        )
    else:
        pytest.skip("neither uv nor pip is available to install the wheel")

    # The package comes from the venv's site-packages, not from this checkout.
    where = _run([str(python), "-c", "import glow_models_mcp, sys; print(glow_models_mcp.__file__)"], cwd=tmp_path)
    installed = Path(where.stdout.strip()).resolve()
    assert venv.resolve() in installed.parents, installed
    data = _run(
        [
            str(python),
            "-c",
            "import importlib.resources as r; "
            "p = r.files('glow_models_mcp') / 'sandbox'; "
            "print((p / 'seed_catalog.json').is_file(), (p / 'models_openapi.json').is_file())",
        ],
        cwd=tmp_path,
    )
    assert data.stdout.split() == ["True", "True"]

    version = _run([str(bindir / "glow-models-mcp"), "--version"], cwd=tmp_path)
    assert version.stdout.strip() == f"glow-models-mcp {glow_models_mcp.__version__}"

    replies = _mcp_session([str(python), "-m", "glow_models_mcp", "--sandbox"], tmp_path, _clean_env())
    init = replies[1]["result"]
    assert init["serverInfo"]["name"] == "glow-models-mcp"
    assert init["serverInfo"]["version"] == glow_models_mcp.__version__
    tools = replies[2]["result"]["tools"]
    assert [t["name"] for t in tools] == list(TOOL_NAMES)
