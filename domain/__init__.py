"""Pure domain code: read-model records and the projections that build them. No I/O here."""
