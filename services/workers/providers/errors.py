"""How provider failures are told apart: wait, retry, or give up.

Every adapter turns what its library raises (or, for baostock, returns as an `error_code`) into one of these,
so the shared call policy (`pacing.ProviderCaller`) can decide without knowing the library:

- `RateLimited`: the provider said "too many calls"; wait `retry_after` seconds and call again (no failure);
- `TransientNetworkError`: connection refused/reset, DNS failure, timeout; retry with backoff, then give up;
- `ProviderError`: anything else (bad token, no permission, malformed answer); give up at once.
"""

from __future__ import annotations


class ProviderError(RuntimeError):
    """A provider call failed for good; the message says which provider, which call and why."""

    def __init__(self, provider: str, call: str, reason: str) -> None:
        super().__init__(f"{provider}.{call}: {reason}")
        self.provider = provider
        self.call = call
        self.reason = reason


class TransientNetworkError(ProviderError):
    """The provider could not be reached or did not answer in time; worth retrying."""


class RateLimited(ProviderError):
    """The provider's quota answer: wait `retry_after` seconds, then continue."""

    def __init__(self, provider: str, call: str, reason: str, retry_after: float) -> None:
        super().__init__(provider, call, reason)
        self.retry_after = retry_after


class DataShapeError(ProviderError):
    """The provider answered with a frame we cannot read (missing columns): a failure of that item."""
