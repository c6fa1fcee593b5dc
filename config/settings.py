"""Typed settings: defaults in code, a TOML file, then WIREFEED_<SECTION>__<KEY> environment overrides."""

from __future__ import annotations

import difflib
import ipaddress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from config.dburl import parse_database_url
from config.durations import duration_seconds
from config.errors import WirefeedError

DEFAULT_DATABASE_URL = "sqlite:///wirefeed.db"

# Upper bounds: a value past them loads but breaks every pass (a timedelta overflow, a process pool of
# 100,000, a lease that outlives its worker by years), so it is refused at load with the setting's name.
HOUR = 3600
DAY = 24 * HOUR
MAX_INTERVAL = 30 * DAY  # any polling interval or period, in seconds
MAX_TIMEOUT = HOUR
MAX_BYTES = 2 * 1024**3
MAX_WORKERS = 256
MAX_USER_AGENT = 512


def _seconds(value: object) -> object:
    """A number of seconds as a number, or as a duration string ('15m', '1h30m', '600'); the rest unchanged."""
    if isinstance(value, str):
        try:
            seconds = duration_seconds(value, bare_seconds=True)
        except ValueError as exc:
            raise ValueError(f"{exc}") from None
        return int(seconds) if seconds.is_integer() else seconds
    return value


# A setting in seconds that also takes a duration, as the command line's --interval does.
Seconds = Annotated[int, BeforeValidator(_seconds)]
FloatSeconds = Annotated[float, BeforeValidator(_seconds)]


class ConfigError(WirefeedError):
    """The configuration cannot be loaded or is inconsistent."""

    kind = "config"


class Section(BaseModel):
    """A config section: a misspelt key is an error, not a silently ignored line."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DatabaseSettings(Section):
    """Where the store lives; the URL is a secret (its password), shown only as `user:***@host`."""

    url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)

    @field_validator("url")
    @classmethod
    def _parseable(cls, value: SecretStr) -> SecretStr:
        check_database_url(value.get_secret_value())
        return value


def check_database_url(url: str) -> None:
    """Raise ValueError with a readable reason (password masked) unless SQLAlchemy can parse the URL."""
    parse_database_url(url)


class FetchSettings(Section):
    """HTTP behaviour toward publishers."""

    timeout: FloatSeconds = Field(default=20.0, gt=0, le=MAX_TIMEOUT)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, le=MAX_BYTES)
    user_agent: str = "wirefeed/0.1 (+https://github.com/wirefeed/wirefeed; feed reader)"
    concurrency: int = Field(default=32, ge=1, le=1024)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    per_host_delay: FloatSeconds = Field(default=0.5, ge=0, le=HOUR)
    allow_private_networks: bool = False
    allowed_networks: list[str] = Field(default_factory=list)
    obey_robots: bool = True
    max_redirects: int = Field(default=5, ge=0, le=20)
    fetch_articles: bool = True
    max_articles_per_feed: int = Field(default=100, ge=0, le=100_000)

    @field_validator("user_agent")
    @classmethod
    def _header_value(cls, value: str) -> str:
        # It goes into every request's header: a newline or a non-ASCII letter makes every request fail.
        if not value or len(value) > MAX_USER_AGENT or not all(" " <= char <= "~" for char in value):
            raise ValueError(f"must be 1 to {MAX_USER_AGENT} printable ASCII characters (no newline, no accents)")
        return value

    @field_validator("allowed_networks")
    @classmethod
    def _valid_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network in CIDR form: {cidr!r}") from exc
        return value


class ScheduleSettings(Section):
    """How often feeds are polled."""

    default_interval: Seconds = Field(default=900, ge=10, le=MAX_INTERVAL)
    min_interval: Seconds = Field(default=300, ge=10, le=MAX_INTERVAL)
    max_interval: Seconds = Field(default=86400, ge=60, le=MAX_INTERVAL)
    tick: Seconds = Field(default=30, ge=1, le=HOUR)
    lease_seconds: Seconds = Field(default=600, ge=2, le=DAY)
    disable_after_days: float = Field(default=14.0, gt=0, le=365)
    # Once per this many seconds (per feed, staggered) a poll drops If-None-Match/If-Modified-Since, to
    # catch servers that answer 304 although the feed changed; the body hash still spares an unchanged
    # body from parsing. 0 = never.
    refetch_unconditional_after: Seconds = Field(default=86400, ge=0, le=MAX_INTERVAL)
    # Seconds a stopping daemon lets in-flight work finish before it releases the remaining leases.
    shutdown_grace: FloatSeconds = Field(default=30.0, ge=0, le=HOUR)
    # Feeds claimed per batch, and batches in flight at once, per process.
    batch_size: int = Field(default=50, ge=1, le=10_000)
    batches_in_flight: int = Field(default=2, ge=1, le=64)

    @model_validator(mode="after")
    def _bounds(self) -> ScheduleSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("schedule.min_interval must not exceed schedule.max_interval")
        return self


class ExtractSettings(Section):
    """Article extraction limits."""

    timeout: FloatSeconds = Field(default=30.0, gt=0, le=MAX_TIMEOUT)
    workers: int = Field(default=0, ge=0, le=MAX_WORKERS)  # 0 = one per CPU


class StoreSettings(Section):
    """Where raw pages are kept and for how long (docs/scaling.md, store/archive.py)."""

    # "archive" (the default): WARC files under archive_dir, the row keeping (file, offset, length);
    # "database": zlib-compressed in raw_pages (small installs that want one file).
    raw_storage: Literal["database", "archive"] = "archive"
    # None: beside a SQLite file (`wirefeed.db-warc/`); a PostgreSQL store must name one
    # (store.archive.archive_directory, docs/decisions.md, issue 17).
    archive_dir: str | None = None
    archive_rotate_bytes: int = Field(default=1 << 30, ge=1 << 16, le=1 << 40)
    archive_rotate_seconds: Seconds = Field(default=DAY, ge=60, le=31 * DAY)
    # Raw pages older than this are deleted by `wirefeed prune` (the articles stay); 0 keeps them forever.
    raw_retention_days: int = Field(default=0, ge=0, le=36_600)
    # What the prune does with archive files past raw_retention_days: "delete" them, or "move" them to
    # cold_dir (cheaper disks), where re-extraction and `backfill --warc` still read them.
    raw_retention: Literal["delete", "move"] = "delete"
    cold_dir: str | None = None

    @field_validator("archive_dir", "cold_dir")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @model_validator(mode="after")
    def _move_needs_cold_dir(self) -> StoreSettings:
        if self.raw_retention == "move" and not self.cold_dir:
            raise ValueError('raw_retention = "move" needs cold_dir (the directory old archive files move to)')
        return self


class DedupeSettings(Section):
    """Near-duplicate clustering."""

    # Chosen by scripts/eval_dedupe.py (docs/dedupe.md): the best F1 with precision 1.0 on two seeds.
    threshold: float = Field(default=0.6, gt=0, le=1)
    window_days: int = Field(default=3, ge=1, le=366)
    # How long every article's lineage fingerprints are kept, so that a copy republished later than the
    # window still joins its original's story as a re-run (docs/dedupe.md, "Late re-runs").
    lineage_days: int = Field(default=365, ge=1, le=36_600)


class DatesSettings(Section):
    """The one date rule (ingest/dates.py): dates outside these bounds are ignored as implausible."""

    earliest: date = date(1990, 1, 1)
    max_ahead_days: float = Field(default=2.0, ge=0, le=366)

    @field_validator("earliest")
    @classmethod
    def _sane_earliest(cls, value: date) -> date:
        # Year 1 would let `date - window` overflow again; a future bound would ignore every date.
        if not date(1970, 1, 1) <= value <= datetime.now(UTC).date():
            raise ValueError("must lie between 1970-01-01 and today")
        return value


class LogSettings(Section):
    """Logging output."""

    format: Literal["auto", "console", "json"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"


class MetricsSettings(Section):
    """Prometheus metrics, health endpoints and per-source quality telemetry (docs/operating.md)."""

    # host:port the daemon serves /metrics, /healthz and /readyz on; off (None) unless configured.
    listen: str | None = None
    # Counting at all (metrics and telemetry); off only to measure what they cost.
    enabled: bool = True
    # Telemetry rows are counted per source and per time bucket of this many seconds.
    bucket_seconds: int = Field(default=3600, ge=1, le=DAY)
    history_days: int = Field(default=28, ge=1, le=366)  # what a source's figures are compared with
    # A source is judged on its newest pages (at least recent_pages) against the older ones of its history
    # (at least baseline_pages); fewer, and it is not judged.
    recent_pages: int = Field(default=20, ge=1, le=100_000)
    baseline_pages: int = Field(default=40, ge=1, le=1_000_000)

    @field_validator("listen")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9464 or [::1]:9464")
        return value


class Settings(BaseSettings):
    """All of wirefeed's settings, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="WIREFEED_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )
    toml_path: ClassVar[Path | None] = None

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    dedupe: DedupeSettings = Field(default_factory=DedupeSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    dates: DatesSettings = Field(default_factory=DatesSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)


def load_settings(config_file: str | Path | None = None, database_url: str | None = None) -> Settings:
    """Load settings with precedence: explicit database URL, environment, TOML file, defaults."""
    path = Path(config_file) if config_file is not None else None
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {'is not a file' if path.exists() else 'not found'}: {path}")
    overrides: dict[str, Any] = {}
    try:
        settings_cls = type("_FileSettings", (Settings,), {"toml_path": path})
        settings = settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {_problems(exc)}") from None
    except SettingsError as exc:  # an environment value that should be JSON (a list) and is not
        raise ConfigError(
            f"invalid configuration: {exc} (a list in the environment is JSON, e.g. '[\"10.0.0.0/8\"]')"
        ) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError derives from ValueError
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except RecursionError:  # tomllib reads nested arrays and tables recursively (`a = [[[[...`)
        raise ConfigError(f"cannot read config file {path}: nested too deeply") from None
    except OSError as exc:  # unreadable (permissions), or gone since the check above
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    if database_url:
        settings.database.url = SecretStr(database_url)
    try:
        return Settings.model_validate(settings.model_dump())
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {_problems(exc)}") from None


def _problems(exc: ValidationError) -> str:
    """Each problem as `section.key: message`, in one line (a validator's message loses pydantic's prefix).

    A key that does not exist names the key it most resembles (`fetch.timout: ...; did you mean 'timeout'?`).
    """
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {_message(err)}" for err in exc.errors())


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        # pydantic's words are kept (scripts match them); the nearest real key is what helps.
        return f"{err['msg']}{_did_you_mean(err)}"
    return str(err["msg"]).removeprefix("Value error, ")


def _did_you_mean(err: Any) -> str:
    """"; did you mean 'timeout'?" for an unknown key close to a real one of its section; '' otherwise."""
    if err["type"] != "extra_forbidden" or not err["loc"]:
        return ""
    *section, key = (str(p) for p in err["loc"])
    model: Any = Settings
    for name in section:
        field = model.model_fields.get(name)
        model = field.annotation if field is not None else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return ""
    close = difflib.get_close_matches(key.lower(), list(model.model_fields), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
