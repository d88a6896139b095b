"""Trace context crosses process boundaries through carriers (gRPC metadata, NATS headers)."""

from __future__ import annotations

import json
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc

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


class _Collector(otlp_grpc.TraceServiceServicer):  # type: ignore[misc]
    """An OTLP/gRPC trace collector that keeps the span names it receives."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str]] = []

    def Export(self, request: Any, context: Any) -> Any:
        for resource_spans in request.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope in resource_spans.scope_spans:
                self.spans += [(service, span.name) for span in scope.spans]
        return otlp.ExportTraceServiceResponse()


def test_spans_are_exported_over_otlp_when_the_endpoint_is_set() -> None:
    collector = _Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    otlp_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        settings = Settings(otel_exporter_otlp_endpoint=f"http://127.0.0.1:{port}")
        provider = telemetry.setup_tracing("otlp-test", settings)
        with provider.get_tracer("t").start_as_current_span("exported-span"):
            pass
        assert provider.force_flush(timeout_millis=10_000)
        provider.shutdown()
    finally:
        server.stop(None)
    assert ("avatarmesh-otlp-test", "exported-span") in collector.spans
