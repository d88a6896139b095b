from avatarmesh.db import run_migrations_in_env
from services.avatar.store import metadata

run_migrations_in_env(metadata)
