"""Files settings. Variables are ``AVATARMESH_FILES_<FIELD>``."""

from __future__ import annotations

from pydantic import Field

from avatarmesh.settings import Settings


class FilesSettings(Settings):
    # How often the sweeper looks for temporary files past their expiry.
    files_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    # A temporary job output (is_output_temporary) is archived this long after the files
    # service records it (docs/files.md, "Outputs are files").
    files_output_ttl_seconds: float = Field(default=24 * 3600.0, gt=0)
