"""ide layer."""
