"""Singer mapper: ServiceTitan records to FreshBooks-shaped records."""
