"""Dialect-specific SQL written once: INSERT ... ON CONFLICT for PostgreSQL and SQLite, and the
read-only default that safe requests leave on pooled PostgreSQL connections."""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import keyword
import re
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import psycopg
from flask import current_app
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import instance_state, manager_of_class, set_committed_value

from planet.extensions import db


def dialect_insert(model, session=None):
    """An INSERT construct with `on_conflict_do_*` for the session's database."""
    bind = (session or db.session).get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    return insert(model)


def upsert_add(model, keys: dict, increments: dict, session=None) -> None:
    """INSERT the row with `increments` as values, or add them to the existing row (atomic)."""
    session = session or db.session
    statement = dialect_insert(model, session).values(**keys, **increments)
    table = model.__table__
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in increments},
    )
    session.execute(statement)


def insert_ignore(model, values: dict, conflict: list[str], session=None) -> bool:
    """INSERT unless the unique key `conflict` exists; True when a row was written."""
    session = session or db.session
    statement = (
        dialect_insert(model, session)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(*model.__table__.primary_key.columns)
    )
    # RETURNING, not rowcount: with PostgreSQL's implicit RETURNING the rowcount is unreliable.
    return session.execute(statement).first() is not None


_READ_ONLY_FLAG = "planet_read_only_default"
READ_ONLY_DEFAULT = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
READ_WRITE_DEFAULT = "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"


def among_ids(column, name: str, dialect: str):
    """`column IN (:name)` for a list of integer ids, with one SQL text for any number of them
    on PostgreSQL (`= ANY(:name)`, an integer array), so the statement is compiled and
    prepared once; an expanding IN elsewhere (SQLite has no arrays)."""
    if dialect == "postgresql":
        ids = bindparam(name, type_=_IdsLiteral())
        return column == any_(cast(ids, postgresql.ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


class _IdsLiteral(TypeDecorator):
    """A list of integer ids sent as one array literal (`{1,2,3}`) that the SQL casts: the
    driver otherwise adapts a list element by element, which on a page cache hit cost as
    much as the rest of its statement's parameters together."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect) -> str:
        return "{" + ",".join(str(int(v)) for v in value) + "}"


_UTC_OPTION = "-c TimeZone=UTC"


@event.listens_for(Engine, "do_connect")
def _sessions_in_utc(dialect, _record, _args, params) -> None:
    """Every PostgreSQL session speaks UTC, whatever the server's default: psycopg then
    gives each timestamptz with `datetime.UTC` already, and UTCDateTime has nothing to do."""
    options = params.get("options", "")
    # `params` is the engine's own dict, passed again for each new connection.
    if dialect.name == "postgresql" and _UTC_OPTION not in options:
        params["options"] = f"{options} {_UTC_OPTION}".strip()


def make_read_only_by_default(connection) -> None:
    """Make this pooled PostgreSQL connection's transactions read only unless begun otherwise
    (once per connection; remembered in its info). psycopg is told at the same moment to begin
    its own transactions with BEGIN READ WRITE, so only autocommitted statements are affected:
    a GET's, or a writer's that calls `writable_autocommit` first."""
    pooled = connection.connection
    if pooled.info.get(_READ_ONLY_FLAG):
        return
    connection.exec_driver_sql(READ_ONLY_DEFAULT)
    pooled.dbapi_connection.read_only = False
    pooled.info[_READ_ONLY_FLAG] = True


@contextlib.contextmanager
def read_only_connection() -> Iterator[Connection]:
    """A connection for a few reads outside the ORM session (the member page front): on
    PostgreSQL in autocommit with the read-only default, so no BEGIN/COMMIT and no write.

    On PostgreSQL each thread keeps its connection from one request to the next (a persistent
    connection, as Django's CONN_MAX_AGE): checking one out of the pool and back in for a
    single statement cost a tenth of a page cache hit. It is given back after an error, when
    the app's engine changes and after the pool's recycle time; when the thread ends, the
    pool takes it back as it does any connection collected unreturned."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            yield connection
        return
    connection = kept_read_only_connection(engine)
    try:
        yield connection
    except BaseException:
        give_back_kept_connection()
        raise


@dataclass(eq=False)
class _KeptConnection:
    engine: Engine | None = None
    connection: Connection | None = None
    since: float = 0.0

    def give_back(self) -> None:
        connection, self.connection, self.engine = self.connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken one is discarded by the pool
                connection.close()


class _PerThread(threading.local):
    kept: _KeptConnection | None = None


_per_thread = _PerThread()
_every_kept: weakref.WeakSet[_KeptConnection] = weakref.WeakSet()


@atexit.register
def _give_all_back() -> None:
    """Before the interpreter's teardown, when the driver could no longer close them."""
    for kept in list(_every_kept):
        kept.give_back()


def kept_read_only_connection(engine: Engine) -> Connection:
    """This thread's kept PostgreSQL connection (see `read_only_connection`), in autocommit,
    its transactions read only by default (set again if a writer lifted it). A safe request's
    ORM session joins it too (planet/web/lifecycle.py), so a rendered page checks nothing out
    of the pool either."""
    connection = _kept_connection(engine)
    make_read_only_by_default(connection)
    return connection


def _kept_connection(engine: Engine) -> Connection:
    kept = _per_thread.kept
    if kept is None:
        kept = _per_thread.kept = _KeptConnection()
        _every_kept.add(kept)
    connection = kept.connection
    recycle = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_recycle", -1)
    if (
        connection is None
        or kept.engine is not engine
        or connection.invalidated
        or connection.closed
        or (recycle >= 0 and time.monotonic() - kept.since > recycle)
    ):
        kept.give_back()
        # On the engine itself (not an AUTOCOMMIT face of it), so that an ORM session finds
        # it under its engine and runs its statements on it.
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        kept.engine, kept.connection, kept.since = engine, connection, time.monotonic()
    return connection


def give_back_kept_connection() -> None:
    """After an error: the next request draws a fresh connection rather than one an
    interrupted statement may have left in an unknown state."""
    if _per_thread.kept is not None:
        _per_thread.kept.give_back()


def first_row(connection: Connection, statement, params: Mapping[str, object]) -> tuple | None:
    """The first row of a Core `select` built once by its caller, as `execute().first()`
    gives it, for a statement run on every request: on PostgreSQL straight through the
    driver (prepared, no result metadata built), the parameters and values through the
    columns' own processors (arrays, enums, type decorators)."""
    driver = _driver_path(connection, statement, params)
    if driver is None:
        row = connection.execute(statement, params).first()
        return None if row is None else tuple(row)
    rows = _driver_rows(connection, driver, params, one=True)
    return rows[0] if rows else None


def all_rows(connection: Connection, statement, params: Mapping[str, object]) -> list:
    """Every row of a Core `select` built once by its caller, as `execute().all()` gives them
    (read by name or position), for a page's lists: on PostgreSQL straight through the
    driver as `first_row` does, each row a named tuple of the select's column names."""
    driver = _driver_path(connection, statement, params)
    if driver is None or driver.row is None:
        return connection.execute(statement, params).all()
    return [driver.row._make(values) for values in _driver_rows(connection, driver, params)]


def _driver_rows(connection: Connection, driver: _DriverForm, params, one=False) -> list:
    bound = {
        name: value if (process := driver.binds.get(name)) is None else process(value)
        for name, value in params.items()
        if name not in driver.literals
    }
    if driver.defaults:
        bound = driver.defaults | bound
    values = [bound[name] for name in driver.order]
    cursor = psycopg.RawCursor(connection.connection.dbapi_connection)
    events = connection.dispatch  # whoever watches the engine's statements still sees it
    try:
        events.before_cursor_execute(connection, cursor, driver.sql, values, None, False)
        cursor.execute(driver.sql, values, prepare=True)
        events.after_cursor_execute(connection, cursor, driver.sql, values, None, False)
        rows = cursor.fetchmany(1) if one else cursor.fetchall()
    finally:
        cursor.close()
    if not driver.results:
        return rows
    processed = []
    for row in rows:
        values = list(row)
        for index, process in driver.results:
            values[index] = process(values[index])
        processed.append(tuple(values))
    return processed


@dataclass(frozen=True)
class _DriverForm:
    sql: str
    """The SQL with PostgreSQL's own `$1` placeholders, sent through psycopg's raw cursor:
    psycopg parses a named-parameter query on each execution once it is over 4 kB."""
    order: tuple[str, ...]
    """The parameters' names in the order of their placeholders."""
    binds: Mapping[str, object]
    """The bind processors by parameter name."""
    results: tuple
    """(index, processor) of the columns that have one."""
    literals: frozenset[str]
    """The parameters rendered into the SQL (a LIMIT), not sent."""
    defaults: Mapping[str, object]
    """The values the statement binds itself (`.limit(5)`, `> 0`), processed."""
    row: type | None
    """A named tuple of the columns' names, or None when they do not make one."""


def _driver_path(connection: Connection, statement, params) -> _DriverForm | None:
    if connection.dialect.name != "postgresql":
        return None
    dialect = connection.dialect
    return _driver_form(statement, dialect, _literals(statement, dialect, params))


def _literals(statement, dialect, params: Mapping[str, object]) -> tuple:
    """The values of the statement's literal-execute parameters (rendered into its SQL)."""
    names = _literal_names(statement, dialect)
    return tuple((name, params.get(name)) for name in names) if names else ()


@functools.lru_cache(maxsize=256)
def _literal_names(statement, dialect) -> tuple[str, ...]:
    compiled = statement.compile(dialect=dialect)
    return tuple(sorted(bind.key for bind in compiled.literal_execute_params))


@functools.lru_cache(maxsize=256)
def _driver_form(statement, dialect, literals: tuple = ()) -> _DriverForm | None:
    """The statement as the driver runs it, or None where the driver path does not apply
    (not PostgreSQL, or parameters SQLAlchemy expands itself). `literals` are the values of
    its literal-execute parameters, rendered into the SQL (one form per value)."""
    if dialect.name != "postgresql":
        return None
    compiled = statement.compile(dialect=dialect)
    sql = compiled.string
    literal_names = {bind.key for bind in compiled.literal_execute_params}
    if literal_names != set(dict(literals)):
        return None
    for name, value in literals:
        if type(value) is not int:  # an integer renders as itself, as SQLAlchemy would
            return None
        sql = sql.replace(f"__[POSTCOMPILE_{name}]", str(value))
    if compiled.positional or compiled.post_compile_params - compiled.literal_execute_params:
        return None
    binds = {
        name: process
        for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    results = tuple(
        (index, process)
        for index, column in enumerate(statement.selected_columns)
        if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
        is not None
    )
    defaults = {
        name: value if (process := binds.get(name)) is None else process(value)
        for name, bind in compiled.binds.items()
        if not bind.required and bind.callable is None and name not in literal_names
        for value in (bind.value,)
    }
    literal_keys = frozenset(dict(literals))
    sql, order = _numbered_placeholders(sql)
    return _DriverForm(sql, order, binds, results, literal_keys, defaults, _row_type(statement))


_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s|%%")


def _numbered_placeholders(sql: str) -> tuple[str, tuple[str, ...]]:
    """A pyformat SQL text (`%(name)s`, `%%`) with `$1`-style placeholders instead, one
    number per name, and the names in number order."""
    order: dict[str, int] = {}

    def number(match: re.Match) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        return f"${order.setdefault(name, len(order) + 1)}"

    return _PLACEHOLDER.sub(number, sql), tuple(order)


def _row_type(statement) -> type | None:
    names = list(statement.selected_columns.keys())
    valid = all(
        name.isidentifier() and not name.startswith("_") and not keyword.iskeyword(name)
        for name in names
    )
    if not valid or len(set(names)) != len(names):
        return None
    return collections.namedtuple("Row", names)


def detached(model, values: Mapping[str, object]):
    """An instance of `model` as if a query had loaded `values` and its session had closed:
    reading any attribute not in `values` (a column or a relationship) raises
    DetachedInstanceError instead of quietly giving None."""
    manager = manager_of_class(model)
    if not manager.mapper.configured:  # a process whose first row is built here
        configure_mappers()
    instance = manager.new_instance()
    instance.__dict__.update(values)  # as a query's loader fills it
    # What make_transient_to_detached does, with the columns to expire worked out once per
    # model and set of loaded keys instead of attribute by attribute on every request.
    state = instance_state(instance)
    state.key = state.mapper._identity_key_from_state(state)
    state.expired_attributes.update(_unloaded_columns(model, frozenset(values)))
    return instance


def loaded_into(session, model, values: Mapping[str, object]):
    """The instance of `model` whose columns are `values` (its primary key `id` among them),
    as a query would leave it in `session`: the one already in its identity map, with its
    unloaded or expired columns filled from `values`, else a new persistent one."""
    mapper = manager_of_class(model).mapper
    present = session.identity_map.get(mapper.identity_key_from_primary_key((values["id"],)))
    if present is None:
        instance = detached(model, values)
        session.add(instance)
        return instance
    state = instance_state(present)
    for key, value in values.items():
        if key not in state.dict or key in state.expired_attributes:
            set_committed_value(present, key, value)
    return present


@functools.cache
def _unloaded_columns(model, loaded: frozenset[str]) -> frozenset[str]:
    """The attributes a detached `model` loaded with `loaded` reads as expired (so reading
    one raises): every column-like one not loaded. Relationships raise on their own."""
    manager = manager_of_class(model)
    return frozenset(
        key for key in manager if key not in loaded and manager[key].impl.accepts_scalar_loader
    )


def writable_autocommit(connection):
    """This connection in AUTOCOMMIT, able to write: the read-only default a safe request may
    have left on it is lifted (and set again by the next safe request that draws it)."""
    connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    if connection.connection.info.pop(_READ_ONLY_FLAG, False):
        connection.exec_driver_sql(READ_WRITE_DEFAULT)
    return connection


def drop_postgres_database(admin: Engine, name: str) -> None:
    """Drop the PostgreSQL database `name` (a test or benchmark's private one) after ending the
    sessions still connected to it; `admin` is an AUTOCOMMIT engine on another database."""
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
