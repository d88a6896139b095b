"""Poses: the base portrait plus i2i variations."""
