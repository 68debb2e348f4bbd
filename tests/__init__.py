"""Test package root: makes top-level test modules importable as `tests.*` (unique names)."""
