"""`reconcile`: read ServiceTitan and FreshBooks live and say where the books differ (never from the ledger)."""
