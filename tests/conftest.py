"""Fixture plugins shared by the whole suite (real servers on free ports)."""

pytest_plugins = [
    "tests.support.nats",
    "tests.support.s3",
    "tests.support.postgres",
]
