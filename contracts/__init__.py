"""Messages exchanged between the services, their codec and the broker topology.

Nothing here performs I/O: it is the shared vocabulary of the API, the scheduler, the workers and the
projector.
"""
