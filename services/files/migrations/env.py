from avatarmesh.db import run_migrations_in_env
from services.files.store import metadata

run_migrations_in_env(metadata)
