"""mhsafe.safeguard."""
