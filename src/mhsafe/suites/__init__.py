"""mhsafe.suites."""
