"""Market data written by the sync jobs: a port (`port.MarketStore`) and its SQLite and MongoDB adapters."""
