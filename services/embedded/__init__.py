"""The embedded mode: the four services in one process, on the in-process bus and the SQLite store."""
