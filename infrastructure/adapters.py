"""Builds the configured bus and store adapters. Called only from composition roots (`bootstrap`)."""

from __future__ import annotations

from contracts.topology import LEADER_LOCK_QUEUE
from infrastructure.bus.leadership import InProcessElection
from infrastructure.bus.leadership import LeaderElection
from infrastructure.bus.leadership import RabbitMQElection
from infrastructure.bus.port import Bus
from infrastructure.settings import CommonSettings
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.claims_port import RunClaims
from infrastructure.store.platform_users_port import PlatformUserDirectory
from infrastructure.store.port import Store
from infrastructure.store.run_logs_port import RunLogStore
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from infrastructure.store.users_port import UserStore


def make_store(settings: CommonSettings) -> Store:
    """The event store and read models the settings name: MongoDB, else the SQLite file (not opened yet)."""
    if settings.store == "mongodb":
        from infrastructure.store.mongo_store import MongoStore

        return MongoStore.from_url(settings.mongodb_url.get_secret_value(), settings.mongodb_database)
    from infrastructure.store.sqlite_store import SQLiteStore

    return SQLiteStore(settings.sqlite_file)


def make_bus(settings: CommonSettings, *, connection_name: str) -> Bus:
    """The bus the settings name: RabbitMQ (with the process's broker role), else in memory; not started."""
    if settings.bus == "rabbitmq":
        from contracts.broker_access import ACCESS
        from infrastructure.bus.rabbitmq_bus import RabbitMQBus

        access = None if settings.broker_role is None else ACCESS[settings.broker_role]
        return RabbitMQBus(
            settings.rabbitmq_urls(),
            connection_name=connection_name,
            reconnect_interval=settings.rabbitmq_reconnect_interval_s,
            access=access,
            quorum=settings.rabbitmq_queue_type == "quorum",
        )
    from infrastructure.bus.memory_bus import InMemoryBus

    return InMemoryBus()


def make_user_store(settings: CommonSettings) -> UserStore:
    """The user accounts store the settings name: MongoDB, else the SQLite file (not opened yet)."""
    if settings.store == "mongodb":
        from infrastructure.store.mongo_users import MongoUserStore

        return MongoUserStore.from_url(settings.mongodb_url.get_secret_value(), settings.mongodb_database)
    from infrastructure.store.sqlite_users import SQLiteUserStore

    return SQLiteUserStore(settings.sqlite_file)


def make_platform_users(url: str, database: str) -> PlatformUserDirectory:
    """The platform's `users` collection (API in platform mode)."""
    from infrastructure.store.mongo_platform_users import MongoPlatformUsers

    return MongoPlatformUsers.from_url(url, database)


def make_election(settings: CommonSettings, *, connection_name: str) -> LeaderElection:
    """The scheduler's leader election: on the broker when distributed, in-process when embedded."""
    if settings.bus == "rabbitmq":
        return RabbitMQElection(settings.rabbitmq_urls(), LEADER_LOCK_QUEUE, connection_name=connection_name)
    return InProcessElection(LEADER_LOCK_QUEUE)


def make_run_claims(settings: CommonSettings) -> RunClaims:
    """The run claims store the settings name: MongoDB, else an SQLite file beside the store's (not opened).

    A file of its own: a claim, written before each run starts, does not wait for the projector's writes.
    """
    if settings.store == "mongodb":
        from infrastructure.store.mongo_claims import MongoRunClaims

        return MongoRunClaims.from_url(settings.mongodb_url.get_secret_value(), settings.mongodb_database)
    from infrastructure.store.sqlite_claims import SQLiteRunClaims
    from infrastructure.store.sqlite_claims import claims_file

    return SQLiteRunClaims(claims_file(settings.sqlite_file), earlier=settings.sqlite_file)


def make_run_logs(settings: CommonSettings) -> RunLogStore:
    """Where the lines jobs log are kept: beside the event log, in the same database."""
    if settings.store == "mongodb":
        from infrastructure.store.mongo_run_logs import MongoRunLogs

        return MongoRunLogs.from_url(settings.mongodb_url.get_secret_value(), settings.mongodb_database)
    from infrastructure.store.sqlite_run_logs import SQLiteRunLogs

    return SQLiteRunLogs(settings.sqlite_file)


def make_trade_calendars(settings: CommonSettings) -> TradeCalendarStore:
    """Where the trading-day calendars are kept: beside the event log, in the same database."""
    if settings.store == "mongodb":
        from infrastructure.store.mongo_trade_calendar import MongoTradeCalendars

        return MongoTradeCalendars.from_url(
            settings.mongodb_url.get_secret_value(), settings.mongodb_database
        )
    from infrastructure.store.sqlite_trade_calendar import SQLiteTradeCalendars

    return SQLiteTradeCalendars(settings.sqlite_file)


def make_bulk_actions(settings: CommonSettings) -> BulkActionStore:
    """Where the API keeps its bulk operations' plans and progress: in the same database."""
    if settings.store == "mongodb":
        from infrastructure.store.mongo_bulk_actions import MongoBulkActions

        return MongoBulkActions.from_url(settings.mongodb_url.get_secret_value(), settings.mongodb_database)
    from infrastructure.store.sqlite_bulk_actions import SQLiteBulkActions

    return SQLiteBulkActions(settings.sqlite_file)
