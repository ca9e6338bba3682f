"""The simulator: public control API and the aiohttp request pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
import random
import time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from simulators.common import serve_app

from .archives import ARCHIVES, ArchiveBuilder, NumberMode
from .auth import SessionStore
from .catalog import Channel, Language
from .data import HOUR, Physics, brand_name, make_customers, make_station
from .faults import KINDS, FaultQueue, RandomFaults, check_kind
from .models import Customer, RequestRecord, SessionInfo, SimStation
from .pipeline import Pipeline

DEFAULT_USERS: Mapping[str, str] = {"api@local.net": "Str0ngPas$"}


class RusTechSimulator(Pipeline):
    """A deterministic, in-process RusTech "Universal data collection server".

    Every constructor option is also a public attribute that may be changed
    while the server runs. See the package docstring for the conventions.
    """

    def __init__(
        self,
        *,
        stations: int = 12,
        seed: int = 1,
        clock: Callable[[], float] = time.time,
        users: Mapping[str, str] | None = None,
        language: Language = "ru",
        batch_window: float = 5.0,
        accept_previous_token: bool = False,
        token_lifespan: float = 14 * 86400,
        max_sessions: int = 10,
        session_times_in_list: bool = True,
        next_page_in_envelope: bool = True,
        numbers_as_strings: NumberMode = "mixed",
        extra_fields: bool = False,
        default_per_page: int = 25,
        max_per_page: int = 1000,
        server_timezone: str = "Asia/Tashkent",
        history_days: int = 60,
        session_periods: Sequence[int] = (3600, 86400),
        base_path: str = "/api/v1",
    ) -> None:
        """Create the dataset; nothing listens until :meth:`serve`."""
        self.seed = seed
        self.clock = clock
        self._language: Language = language
        self.batch_window = batch_window
        self.accept_previous_token = accept_previous_token
        self.token_lifespan = token_lifespan
        self.max_sessions = max_sessions
        self.session_times_in_list = session_times_in_list
        self.next_page_in_envelope = next_page_in_envelope
        self.numbers_as_strings: NumberMode = numbers_as_strings
        self.extra_fields = extra_fields
        self.default_per_page = default_per_page
        self.max_per_page = max_per_page
        self.server_timezone = server_timezone
        self.history_days = history_days
        self.session_periods: Sequence[int] = tuple(session_periods) or (3600,)
        self.base_path = base_path
        self.latency: float = 0.0
        self.clock_skew: float = 0.0
        """Seconds the server's clock is ahead of ours for session expiry
        (negative: behind; below minus the token lifespan every expiry it
        hands out lies in our past)."""
        self.requests: list[RequestRecord] = []
        self.extra_channels: list[Channel] = []
        self._store = SessionStore(DEFAULT_USERS if users is None else users)
        self._faults = FaultQueue()
        self._physics: dict[tuple[int, int], Physics] = {}
        self._manual_sessions: dict[int, list[float]] = {}
        self._abnormal: dict[int, list[tuple[int, int, str]]] = {}
        self._start_time = float(clock())
        self.customers: list[Customer] = make_customers(max(1, stations // 3), seed)
        self.stations: list[SimStation] = []
        self._created = 0
        for _ in range(stations):
            self.add_station(equipment_type_id=1 if self._created % 2 == 0 else 2)
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    # ----------------------------------------------------------- attributes
    @property
    def language(self) -> Language:
        """Language of names, units and the 401 text ("ru" or "en")."""
        return self._language

    @language.setter
    def language(self, value: Language) -> None:
        self._language = value
        for station in self.stations:
            station.brand = brand_name(station.equipment_type_id, value)

    @property
    def users(self) -> dict[str, str]:
        """The accounts: email -> password (a live dict)."""
        return self._store.users

    @users.setter
    def users(self, value: Mapping[str, str]) -> None:
        self._store.users = dict(value)

    @property
    def timezone(self) -> ZoneInfo:
        """The server's time zone (``fp_start``/``fp_end`` and local days)."""
        return ZoneInfo(self.server_timezone)

    @property
    def history_start(self) -> int:
        """First instant with data: the start hour minus ``history_days``."""
        return int(self._start_time // HOUR * HOUR - self.history_days * 86400)

    # ---------------------------------------------------------- control API
    def serve(
        self, host: str = "127.0.0.1", port: int = 0
    ) -> AbstractAsyncContextManager[str]:
        """Listen on ``host:port`` (0 = any free port); yield the base URL."""
        return serve_app(self.app, self.base_path, host, port, shutdown_timeout=0.2)

    def request_count(self, path: str | None = None) -> int:
        """Count received requests (of ``path``, relative to the base path)."""
        if path is None:
            return len(self.requests)
        wanted = path.strip("/")
        return sum(1 for record in self.requests if record.path == wanted)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    def find_station(
        self,
        *,
        station_id: int | None = None,
        equipment_id: int | None = None,
        require_station: bool = True,
        require_equipment: bool = False,
    ) -> SimStation | None:
        """Return the station matching the given ids (both must match)."""
        for station in self.stations:
            if (station.id == station_id or not require_station) and (
                station.equipment_id == equipment_id or not require_equipment
            ):
                return station
        return None

    def _station(self, station_id: int) -> SimStation:
        station = self.find_station(station_id=station_id)
        if station is None:
            raise KeyError(f"no station {station_id}")
        return station

    def last_session(self, station_id: int) -> int | None:
        """Return the station's last session (unix s) at ``clock()``, or None."""
        return self.last_session_at(station_id, self.clock())

    def last_session_at(self, station_id: int, now: float) -> int | None:
        """Return the station's last session at ``now``, or None."""
        station = self._station(station_id)
        period, offset = max(1, station.session_period), station.session_offset
        latest = int((now - offset) // period * period + offset)
        manual = [t for t in self._manual_sessions.get(station_id, []) if t <= now]
        if manual:
            latest = max(latest, int(max(manual)))
        return latest if latest >= self.history_start else None

    def new_session(
        self, station_ids: Iterable[int] | None = None, *, at: float | None = None
    ) -> None:
        """Record a communication session of stations (all if None) at ``at``."""
        when = self.clock() if at is None else at
        ids = [s.id for s in self.stations] if station_ids is None else station_ids
        for station_id in ids:
            self._station(station_id)
            self._manual_sessions.setdefault(station_id, []).append(when)

    def add_station(
        self, *, equipment_type_id: int = 1, name: str | None = None
    ) -> SimStation:
        """Create a station (and its equipment); return it."""
        index = self._created
        self._created += 1
        station = make_station(
            index=index,
            station_id=index + 1,
            equipment_id=61 + 2 * index,
            equipment_type_id=equipment_type_id,
            customer_id=self.customers[index % len(self.customers)].id,
            seed=self.seed,
            period=int(self.session_periods[index % len(self.session_periods)]),
            language=self.language,
            name=name,
        )
        self.stations.append(station)
        return station

    def remove_station(self, station_id: int) -> None:
        """Delete a station: it disappears from every view."""
        self.stations.remove(self._station(station_id))

    def add_abnormal(self, station_id: int, at: float, code: int, text: str) -> None:
        """Add an abnormal-situation record (archive ``nesht``)."""
        self._station(station_id)
        self._abnormal.setdefault(station_id, []).append((int(at), code, text))

    def abnormal_records(self, station_id: int) -> list[tuple[int, int, str]]:
        """Return the records added with :meth:`add_abnormal` for a station."""
        return list(self._abnormal.get(station_id, []))

    def add_channel(
        self,
        equipment_type_id: int,
        archive_type: str,
        code: str,
        name: str,
        unit: str | None,
    ) -> None:
        """Declare an extra channel; archives then carry a value for it."""
        if archive_type not in ARCHIVES:
            raise ValueError(f"archive_type must be one of {ARCHIVES}")
        self.extra_channels.append(
            Channel(
                equipment_type_id, archive_type, code, name, name, unit, raw_unit=True
            )
        )

    def physics(self, station_id: int) -> Physics:
        """Return the value-model constants of a station."""
        key = (self.seed, station_id)
        if key not in self._physics:
            self._physics[key] = Physics.create(self.seed, station_id)
        return self._physics[key]

    def archive_builder(self) -> ArchiveBuilder:
        """Return a row builder for the current options."""
        return ArchiveBuilder(
            tz=self.timezone,
            language=self.language,
            numbers=self.numbers_as_strings,
            extra_fields=self.extra_fields,
            extra_channels=list(self.extra_channels),
        )

    def hourly_values(self, station_id: int, event_time: int) -> dict[str, float]:
        """Return the hourly row's values, keyed by the channel table's code."""
        station = self._station(station_id)
        values = self.archive_builder().values(
            station, self.physics(station_id), "hourly", event_time
        )
        return {code: float(value) for code, (value, _) in values.items()}

    def inject(
        self, kind: str, *, count: int = 1, path: str | None = None, **options: Any
    ) -> None:
        """Make the next ``count`` requests (to ``path``) fail as ``kind``."""
        self._faults.add(kind, count, path, options)

    def random_faults(
        self,
        rate: float,
        kinds: Iterable[str] | None = None,
        *,
        seed: int = 0,
        **options: Any,
    ) -> None:
        """Spoil a share ``rate`` of all requests with faults drawn at random.

        ``kinds`` defaults to every kind; ``options`` go to each fault
        (``delay`` of stalls, say). Injected faults are used up first.
        """
        chosen = tuple(sorted(KINDS if kinds is None else set(kinds)))
        for kind in chosen:
            check_kind(kind)
        self._faults.random = RandomFaults(rate, chosen, random.Random(seed), options)

    def clear_faults(self) -> None:
        """Drop pending injected faults and stop random ones."""
        self._faults.clear()

    @property
    def faults_drawn(self) -> dict[str, int]:
        """How many requests each randomly drawn fault kind spoiled."""
        return dict(self._faults.drawn)

    @property
    def stale_token_count(self) -> int:
        """Requests that named a live session with a token it no longer takes.

        Each one is a rotated token the client lost (it then signs in and
        leaves that session to take one of the account's slots).
        """
        return self._store.stale_tokens

    @property
    def open_session_count(self) -> int:
        """Sessions opened by a sign-in and never ended.

        Ended means signed out, expired by a fault or revoked; what is left
        are the live ones and those newer sign-ins pushed out of the
        ``max_sessions`` slots.
        """
        return self._store.created - self._store.ended

    def revoke_sessions(self, email: str | None = None) -> None:
        """Forget every session (of ``email``): its tokens are now rejected."""
        self._store.revoke(email)

    def lock_account(self, email: str) -> None:
        """Lock an account: sign-in answers the devise "locked" 401."""
        self._store.locked.add(self._store.user_email(email) or email)

    def set_password(self, email: str, password: str) -> None:
        """Change (or create) an account's password."""
        self._store.users[self._store.user_email(email) or email] = password

    def sessions(self, email: str) -> dict[str, SessionInfo]:
        """Return copies of a user's sessions: client id -> info."""
        user = self._store.user_email(email) or email
        return {c: replace(s) for c, s in self._store.sessions.get(user, {}).items()}


__all__ = ["RusTechSimulator"]
