"""The projector service: event log, read models and run logs from the bus, and the replay command."""
