"""What the pose service consumes and publishes on the bus: nothing. A pose renders
synchronously inside CreatePose, and the avatar service deletes an avatar's poses with
a gRPC call (``DeletePosesForAvatar``), so the service runs without the bus
(``uses_bus=False`` in ``__main__``)."""

from __future__ import annotations

from avatarmesh.subscriptions import Background


def consumers() -> list[Background]:
    return []
