"""The job catalogue of `../shared/spec/jobs.md` (17 data syncs, the daily market review) and what they share.

The jobs themselves (ids, names, triggers, policies) are data in `domain/catalogue.py`; here is their code.
How a worker's composition root uses it:

    settings = CatalogueSettings()                     # SCHEDULER_* variables, once per process
    environment = JobEnvironment.from_settings(settings)
    jobs = bound_jobs(environment)                     # dict[job kind, JobFunction]
    result = await jobs[job_kind](context)             # context: services.workers.job_api.JobContext
    ...
    await environment.aclose()                         # at shutdown: closes the market-data store

A job raises on failure
(`SyncFailed`, a `ProviderError`, `ValueError` for bad kwargs, `RunCancelled` when cancelled). A run that did
only part of its work (rows refused by an invariant or unusable as sent, symbols failed, no data where some
was due) returns `PartialResult(result, reason)` (`services.workers.job_api`) whose result has `status:
partial`; otherwise a JSON dict whose `status` is `success`, `empty` (nothing new) or `skipped` (outside
trading time, holiday: nothing to do by design, with the reason), with the counts.
Modules: `registry` (job kind -> code), `settings`, `environment`, `loop` (counting, progress, the
per-symbol loop), `calendar`, `selection`, `invariants` (checked before every bar and quote is written),
`adjusted` (daily bars on one basis), `migration` (the command for data stored by earlier versions), and the
jobs: `basics`, `quotes`, `history`, `financial`, `status`, `news`.
"""
