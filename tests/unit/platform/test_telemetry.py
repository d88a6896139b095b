"""Trace context crosses process boundaries through carriers (gRPC metadata, NATS headers)."""

from __future__ import annotations

import json
from pathlib import Path

from opentelemetry import trace

from avatarmesh import telemetry
from avatarmesh.settings import Settings


def test_context_injected_on_one_side_continues_the_trace_on_the_other(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    provider = telemetry.setup_tracing("test", Settings(traces_file=spans_file))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("publisher"):
        carrier = telemetry.inject({})
    assert "traceparent" in carrier
    with tracer.start_as_current_span(
        "consumer", context=telemetry.extract(carrier), kind=trace.SpanKind.CONSUMER
    ):
        pass
    provider.force_flush()
    spans = [json.loads(line) for line in spans_file.read_text().splitlines()]
    by_name = {s["name"]: s for s in spans}
    assert by_name["consumer"]["trace_id"] == by_name["publisher"]["trace_id"]
    assert by_name["consumer"]["parent_id"] == by_name["publisher"]["span_id"]
    assert by_name["consumer"]["service"] == "avatarmesh-test"
