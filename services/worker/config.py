"""Worker settings: which jobs this worker takes, on which device, and how long a
job may go without a heartbeat before JetStream hands it to another worker.

Variables are ``AVATARMESH_WORKER_<FIELD>`` (the k8s manifests set the first two).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from avatarmesh.settings import Settings


def subject_matches(subject: str, pattern: str) -> bool:
    """NATS matching of a subject (or a consumer's filter, read as literal tokens)
    against a pattern with ``*`` (one token) and ``>`` (the rest)."""
    tokens, wanted = subject.split("."), pattern.split(".")
    for i, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > i
        if i >= len(tokens) or (token != "*" and token != tokens[i]):
            return False
    return len(tokens) == len(wanted)


class WorkerSettings(Settings):
    # Comma-separated subject patterns this worker consumes: "jobs.>" (all, the
    # default), "jobs.avatar.>" (CPU pool beside GPUs), "jobs.lipsync.>" (GPU pool).
    worker_subjects: str = "jobs.>"
    # Informational: where the media engine runs (logged, reported in events).
    worker_device: Literal["cpu", "cuda"] = "cpu"
    # Seconds JetStream waits for an ack or a heartbeat before redelivering a render
    # job; the worker beats every third of it while rendering.
    worker_lipsync_ack_wait_seconds: float = Field(default=30.0, gt=0)
    # Deliveries of one render job before it is dead-lettered and the video fails.
    worker_lipsync_max_deliver: int = Field(default=3, ge=1)
    # Render jobs this process runs at once (each render uses the CPU cores fully).
    worker_lipsync_concurrency: int = Field(default=1, ge=1)
    # Longest bring-your-own audio a job may carry (the video service checks first).
    worker_max_audio_seconds: float = Field(default=35.0, gt=0)

    def takes(self, filter_subject: str) -> bool:
        """True when ``filter_subject`` is within one of ``worker_subjects``."""
        patterns = [p.strip() for p in self.worker_subjects.split(",") if p.strip()]
        return any(subject_matches(filter_subject, p) for p in patterns)
