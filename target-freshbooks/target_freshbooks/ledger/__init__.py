"""The ledger: id map, audit, dead letters, review queue, parked records, tokens, run lock."""
