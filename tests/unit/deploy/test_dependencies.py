"""Every third-party package the code imports is a pinned runtime dependency, so the
production image (which installs only those) has it: ``cryptography`` once arrived
only through the test server ``moto``."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from avatarmesh.settings import REPO_ROOT

FIRST_PARTY = {"avatarmesh", "avatarmedia", "services", "gateway", "deploy", "tests"}
# Imported only by development commands, from the `dev` group.
DEVELOPMENT_ONLY = {"grpc_tools": "libs/avatarmesh/protogen.py (make protos)"}


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0]).lower()


def _imported_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in ("libs", "services", "gateway", "deploy"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if "/v1/" in path.as_posix():
                continue  # generated stubs
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], path.relative_to(REPO_ROOT))
    return found


def test_every_imported_package_is_a_pinned_runtime_dependency() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    assert all("==" in r for r in project["dependencies"])
    distributions = packages_distributions()
    missing = {
        module: str(path)
        for module, path in _imported_modules().items()
        if module not in sys.stdlib_module_names
        and module not in FIRST_PARTY
        and module not in DEVELOPMENT_ONLY
        and not {_name(d) for d in distributions.get(module, [])} & runtime
    }
    assert missing == {}


def test_every_group_is_pinned_exactly() -> None:
    groups = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert {"local", "test", "dev"} <= set(groups)
    assert all("==" in r for requirements in groups.values() for r in requirements)
