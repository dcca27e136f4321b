"""The worker service: claims runs from its pool's queue, runs the catalogue's jobs, reports events."""
