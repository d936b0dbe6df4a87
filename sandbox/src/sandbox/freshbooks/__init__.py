"""The freshbooks simulator."""
