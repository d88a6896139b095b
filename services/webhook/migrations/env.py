from avatarmesh.db import run_migrations_in_env
from services.webhook.store import metadata

run_migrations_in_env(metadata)
