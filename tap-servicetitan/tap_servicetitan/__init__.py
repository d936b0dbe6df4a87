"""Singer tap for ServiceTitan."""
