"""The parameters (`kwargs`) each job kind accepts: names, types, ranges.

A pure declaration module (pydantic only): the API checks a manual trigger's kwargs against it and
publishes each job kind's JSON schema (clients build a form from it), the scheduler checks the kwargs of
its settings, and the workers read the same names (a test checks the workers' catalogue against this
module). It must never import the workers' catalogue (pandas, market libraries).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StrictBool
from pydantic import StrictInt
from pydantic import ValidationError
from pydantic import model_validator

SYMBOLS_MAX = 6000  # more than every A-share listed today
# A code as the workers read it: `600000`, `600000.SH`, `sh600000`, `sh.600000`.
SymbolCode = Annotated[str, Field(pattern=r"^[A-Za-z.]{0,3}\d{6}(\.[A-Za-z]{2})?$", max_length=12)]
# The same as one text, separated by commas or spaces (what a settings file writes most easily).
SymbolText = Annotated[str, Field(pattern=r"^[A-Za-z0-9., ]*$", max_length=SYMBOLS_MAX * 13)]


def _iso_date(value: str) -> str:
    date.fromisoformat(value)  # ValueError: pydantic reports it as a validation error of the field
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date), Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class JobParameters(BaseModel):
    """Base of every declaration: unknown parameters are refused, numbers must be finite.

    Every job kind accepts `log_level`: the lowest level of the lines its run's log keeps (the worker reads
    it).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = Field(
        default=None, description="lowest level kept in this run's log (default INFO)"
    )


class NoParameters(JobParameters):
    """A job that takes no kwargs."""


class CanaryParameters(JobParameters):
    """Parameters of the pipeline canary: how long it runs, how often it reports progress, how it ends."""

    duration_s: float = Field(default=2, ge=0, le=3600, strict=True, description="seconds the run lasts")
    steps: StrictInt = Field(default=4, ge=1, le=10_000, description="progress reports, evenly spread")
    fail: StrictBool = Field(default=False, description="fail on purpose at the end")
    partial: StrictBool = Field(
        default=False, description="end `partial` on purpose, as a sync that did part of its work"
    )
    log_lines: StrictInt = Field(
        default=0, ge=0, le=100_000, description="more lines logged at once at the start of the run"
    )
    trade_date: IsoDate | None = Field(
        default=None, description="YYYY-MM-DD: the day a backfill gives this run (echoed in its result)"
    )


class SymbolParameters(JobParameters):
    """Parameters of a per-stock sync: which stock codes to read (default: every one) and how many."""

    symbols: list[SymbolCode] | SymbolText | None = Field(
        default=None,
        max_length=SYMBOLS_MAX,
        description="only these stock codes (default: every stored or listed stock)",
    )
    limit: StrictInt | None = Field(default=None, ge=1, le=100_000, description="the first N symbols only")


class HistoryParameters(SymbolParameters):
    """Parameters of a historical bars sync: the stocks, and the day from which bars are read again."""

    start_date: Annotated[str, AfterValidator(_iso_date)] | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="YYYY-MM-DD: re-read every symbol's bars from that day on",
        json_schema_extra={"format": "date"},
    )
    end_date: IsoDate | None = Field(
        default=None,
        description="YYYY-MM-DD: with start_date, read only up to that day (a backfill's one day)",
        json_schema_extra={"format": "date"},
    )

    @model_validator(mode="after")
    def _range_in_order(self) -> HistoryParameters:
        """An `end_date` closes a range that `start_date` opens, never before it."""
        if self.end_date is None:
            return self
        if self.start_date is None:
            raise ValueError("end_date needs a start_date")
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        return self


class BasicInfoParameters(SymbolParameters):
    """Parameters of the stock basic-info sync: the stocks, and whether per-stock details are read."""

    details: StrictBool = Field(default=True, description="false: the code list only, no per-stock details")


class MarketReviewParameters(JobParameters):
    """Parameters of the daily market review: one trading day, or a backfill between two days."""

    trade_date: IsoDate | None = Field(
        default=None, description="YYYY-MM-DD: review this day (default: the latest day with stored bars)"
    )
    start_date: IsoDate | None = Field(default=None, description="YYYY-MM-DD: first day of a backfill")
    end_date: IsoDate | None = Field(default=None, description="YYYY-MM-DD: last day of a backfill (today)")


JOB_PARAMETERS: dict[str, type[JobParameters]] = {
    "pipeline_canary": CanaryParameters,
    "basics_sync_service": NoParameters,
    "quotes_ingestion_service": NoParameters,
    "tushare_basic_info_sync": NoParameters,
    "tushare_quotes_sync": NoParameters,
    "tushare_historical_sync": HistoryParameters,
    "tushare_financial_sync": SymbolParameters,
    "tushare_status_check": NoParameters,
    "akshare_basic_info_sync": BasicInfoParameters,
    "akshare_quotes_sync": NoParameters,
    "akshare_historical_sync": HistoryParameters,
    "akshare_financial_sync": SymbolParameters,
    "akshare_status_check": NoParameters,
    "baostock_basic_info_sync": NoParameters,
    "baostock_daily_quotes_sync": SymbolParameters,
    "baostock_historical_sync": HistoryParameters,
    "baostock_status_check": NoParameters,
    "news_sync": SymbolParameters,
    "market_daily_review": MarketReviewParameters,
    "trade_calendar_sync": NoParameters,
}


class InvalidParameters(ValueError):
    """kwargs a job kind does not accept; the message names each problem and the accepted parameters."""

    def __init__(self, job_kind: str, problems: list[str], accepted: list[str]) -> None:
        names = ", ".join(accepted) or "none"
        super().__init__(f"{job_kind}: {'; '.join(problems)} (accepted parameters: {names})")
        self.problems = problems
        self.accepted = accepted


def accepted_parameters(job_kind: str) -> list[str]:
    """The names a job kind accepts, its own first (`log_level`, which every kind accepts, last)."""
    names = list(JOB_PARAMETERS.get(job_kind, NoParameters).model_fields)
    return [name for name in names if name != "log_level"] + ["log_level"]


def check_parameters(job_kind: str, kwargs: dict[str, Any]) -> None:
    """InvalidParameters unless `kwargs` are what `job_kind` accepts (an unknown kind accepts none)."""
    declaration = JOB_PARAMETERS.get(job_kind, NoParameters)
    try:
        declaration.model_validate(kwargs)
    except ValidationError as error:
        problems = [_problem(item) for item in error.errors(include_url=False, include_input=False)]
        raise InvalidParameters(job_kind, problems, accepted_parameters(job_kind)) from None


def _problem(item: Any) -> str:
    name = ".".join(str(part) for part in item["loc"]) or "kwargs"
    if item["type"] == "extra_forbidden":
        return f"unknown parameter {name}"
    return f"{name}: {item['msg']}"


def parameters_schema(job_kind: str) -> dict[str, Any]:
    """The JSON schema of the kwargs `job_kind` accepts (an object; no other property allowed)."""
    schema: dict[str, Any] = JOB_PARAMETERS.get(job_kind, NoParameters).model_json_schema()
    return schema
