"""Developer tools run with `python -m tools.<name>`: the dependency locks and the trading-calendar seed."""
