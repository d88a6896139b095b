"""Wire-up: ``python -m services.files`` serves FileService, relays its outbox
(``events.file.archived``), records completed videos' outputs as files and runs the
sweeper that archives expired temporary files."""

from __future__ import annotations

from pathlib import Path

from avatarmesh.outbox import OutboxRelay
from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from services.files import events
from services.files.config import FilesSettings
from services.files.files import Files
from services.files.server import servicer
from services.files.store import outbox


def wire(rt: Runtime[FilesSettings]) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    relay = OutboxRelay(rt.db, rt.bus, outbox)
    files = Files(rt.db, Storage(rt.settings), relay)
    every = rt.settings.files_sweep_interval_seconds
    outputs = events.consumers(rt.bus, files, rt.settings.files_output_ttl_seconds)
    return Wiring(
        servicers=[servicer(files)],
        background=[*outputs, relay.run, lambda: files.run_sweeper(every)],
    )


SPEC = ServiceSpec(
    name="files",
    settings_class=FilesSettings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
