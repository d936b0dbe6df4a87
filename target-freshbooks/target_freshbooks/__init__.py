"""Singer target for FreshBooks."""
