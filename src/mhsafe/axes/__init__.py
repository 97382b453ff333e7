"""mhsafe.axes."""
