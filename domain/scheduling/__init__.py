"""The scheduler's decisions as pure functions (a decider): state + one input -> messages to publish.

- `fire`: a fire as one value (`Fire`), the clock reading (`Now`: wall and monotonic time), execution ids;
- `state`: what the leader knows (`SchedulerState`) and `evolve`, which folds one message into it;
- `decide`: what one fire, one command or one maintenance tick becomes (`Decision`);
- `instants`: which scheduled instants a stall or a downtime left, and what each becomes.

Nothing here does I/O or reads a clock; `services/scheduler` receives, calls these, publishes, keeps time.
"""
