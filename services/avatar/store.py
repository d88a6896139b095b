"""The avatar service's tables: the outbox and the inbox so far."""

from __future__ import annotations

from avatarmesh.db import service_metadata
from avatarmesh.outbox import inbox_table, outbox_table

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
