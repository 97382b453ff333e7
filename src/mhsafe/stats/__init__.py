"""mhsafe.stats."""
