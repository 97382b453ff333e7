"""mhsafe: evidence that a mental-health chatbot is safe *and* clinically useful."""

__version__ = "0.1.0"
