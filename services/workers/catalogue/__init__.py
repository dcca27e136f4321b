"""The data-sync job catalogue of `../shared/spec/jobs.md` (17 jobs) and what they share.

How a runtime uses it (composition root of a worker or scheduler process):

    settings = CatalogueSettings()                     # SCHEDULER_* variables, once per process
    environment = JobEnvironment.from_settings(settings)
    catalogue = configured_catalogue(settings, environment)   # dict[job_id, JobSpec]
    result = await catalogue[job_id].function(context)        # context: services.workers.job_api.JobContext
    ...
    await environment.aclose()                         # at shutdown: closes the market-data store

`JobSpec.enabled` is false (with `disabled_reason`) for the tushare jobs without a token and for jobs
disabled by `SCHEDULER_JOBS__<JOB_ID>__ENABLED=false`: register those paused. A job raises on failure
(`SyncFailed`, a `ProviderError`, `ValueError` for bad kwargs, `RunCancelled` when cancelled). A run that did
only part of its work (rows refused by an invariant or unusable as sent, symbols failed, no data where some
was due) returns `PartialResult(result, reason)` (`services.workers.job_api`) whose result has `status:
partial`; otherwise a JSON dict whose `status` is `success`, `empty` (nothing new) or `skipped` (outside
trading time, holiday: nothing to do by design, with the reason), with the counts.
Modules: `registry` (JobSpec, CATALOGUE), `settings`, `environment`, `loop` (counting, progress, the
per-symbol loop), `calendar`, `selection`, `invariants` (checked before every bar and quote is written),
`adjusted` (daily bars on one basis), `migration` (the command for data stored by earlier versions), and the
jobs: `basics`, `quotes`, `history`, `financial`, `status`, `news`.
"""
