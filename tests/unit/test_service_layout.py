"""Every service folder has the one shape (docs/adding-a-service.md): the same modules,
and the queries only in ``store.py``, so the next service copies a shape that holds."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from avatarmesh.outbox import INBOX, OUTBOX

SERVICES = Path(__file__).resolve().parents[2] / "services"
GRPC_SERVICES = sorted(
    p.name for p in SERVICES.iterdir() if (p / "server.py").exists() or (p / "store.py").exists()
)
# What a module outside store.py and migrations/ may take from SQLAlchemy: the session
# it passes to store.py, and the error a retry loop catches.
ALLOWED_SQLALCHEMY = {"AsyncSession", "IntegrityError"}


def test_the_grpc_services_are_found() -> None:
    assert GRPC_SERVICES == ["avatar", "billing", "files", "pose", "video", "webhook"]


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_each_service_has_the_standard_modules(service: str) -> None:
    folder = SERVICES / service
    wanted = ["__main__.py", "server.py", "logic.py", "store.py", "events.py", "migrations"]
    assert [name for name in wanted if not (folder / name).exists()] == []


def test_the_worker_declares_what_it_consumes_and_publishes() -> None:
    assert (SERVICES / "worker" / "events.py").exists()


def _sqlalchemy_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names |= {alias.name for alias in node.names}
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("sqlalchemy")}
    return names


def test_queries_live_only_in_store_modules() -> None:
    offenders = {
        str(path.relative_to(SERVICES)): sorted(names - ALLOWED_SQLALCHEMY)
        for path in sorted(SERVICES.rglob("*.py"))
        if path.name != "store.py" and "migrations" not in path.parts
        for names in [_sqlalchemy_names(path)]
        if names - ALLOWED_SQLALCHEMY
    }
    assert offenders == {}


def _calls_in(path: Path, function: str) -> bool:
    """Whether the module calls ``function`` (by name or as an attribute)."""
    return any(
        isinstance(node, ast.Call)
        and function in (getattr(node.func, "id", None), getattr(node.func, "attr", None))
        for node in ast.walk(ast.parse(path.read_text()))
    )


def _calls(service: str, function: str) -> bool:
    """Whether a module of the service (outside store.py and migrations/) calls it."""
    return any(
        _calls_in(path, function)
        for path in sorted((SERVICES / service).rglob("*.py"))
        if path.name != "store.py" and "migrations" not in path.parts
    )


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_a_service_keeps_the_outbox_if_it_publishes_and_the_inbox_if_it_consumes(
    service: str,
) -> None:
    """pose (no bus traffic) had both tables, webhook an outbox and files an inbox that
    nothing wrote: the next service would copy them."""
    tables = set(importlib.import_module(f"services.{service}.store").metadata.tables)
    assert {
        "outbox": OUTBOX in tables,
        "inbox": INBOX in tables,
    } == {
        "outbox": _calls(service, "add_to_outbox"),
        "inbox": _calls(service, "first_time"),
    }


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_a_service_with_an_inbox_purges_it(service: str) -> None:
    """The inbox keeps every applied message id; unpurged it grows for ever (avatar and
    video did)."""
    tables = set(importlib.import_module(f"services.{service}.store").metadata.tables)
    assert _calls(service, "run_inbox_purge") == (INBOX in tables)


# Where protobuf may appear in a service: the servicer, the bus messages, other services'
# stubs, the wire-up, and billing's operator CLI (a gRPC client). Never the domain.
PROTOBUF_MODULES = {"server.py", "events.py", "upstreams.py", "__main__.py", "cli.py"}


def _imports_protobuf(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("avatarmesh.v1"):
            return True
        if isinstance(node, ast.Import) and any(
            a.name.startswith("avatarmesh.v1") for a in node.names
        ):
            return True
    return False


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_protobuf_stays_at_the_edge_and_messages_are_published_from_events(
    service: str,
) -> None:
    """studio.py built its StudioJob and wrote it to the outbox itself."""
    modules = [
        p
        for p in sorted((SERVICES / service).rglob("*.py"))
        if "migrations" not in p.parts and p.name not in PROTOBUF_MODULES
    ]
    assert [p.name for p in modules if _imports_protobuf(p)] == []
    publishers = [p.name for p in modules if p.name != "store.py" and _calls_in(p, "add_to_outbox")]
    assert publishers == []


def _imported_services(path: Path) -> set[str]:
    """The service packages (``services.<name>``) a module imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        modules = (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        names |= {m.split(".")[1] for m in modules if m.startswith("services.") and "." in m}
    return names


def test_no_service_imports_another_service() -> None:
    """They talk through protos/avatarmesh/v1; an import would tie their deployments."""
    crossing = {
        str(path.relative_to(SERVICES)): sorted(others)
        for path in sorted(SERVICES.rglob("*.py"))
        for others in [_imported_services(path) - {path.relative_to(SERVICES).parts[0]}]
        if others
    }
    assert crossing == {}
