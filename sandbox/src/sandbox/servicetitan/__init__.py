"""The servicetitan simulator."""
