"""Data providers: one Protocol per capability (`ports`), adapters for tushare, akshare and baostock."""
