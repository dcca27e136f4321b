"""The scheduler service: one leader fires jobs and handles commands, the other processes stand by."""
