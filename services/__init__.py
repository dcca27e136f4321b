"""The four services (api, scheduler, workers, projector) and the embedded mode that runs them together."""
