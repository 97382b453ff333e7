"""Entry point for Inspect AI: importing this registers mhsafe's model provider and tasks."""
