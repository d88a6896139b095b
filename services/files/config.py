"""Files settings. Variables are ``AVATARMESH_FILES_<FIELD>``."""

from __future__ import annotations

from pydantic import Field

from avatarmesh.settings import Settings


class FilesSettings(Settings):
    # How often the sweeper looks for temporary files past their expiry.
    files_sweep_interval_seconds: float = Field(default=60.0, gt=0)
