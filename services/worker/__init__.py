"""Worker: consumes jobs.* from JetStream and runs the media engine (CPU or GPU)."""
