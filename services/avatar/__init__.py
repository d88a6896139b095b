"""Avatars: CRUD, system avatars and the creation saga."""
