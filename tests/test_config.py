"""Settings: defaults in code, a TOML file, WIREFEED_<SECTION>__<KEY> overrides, --db, validation."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from config.settings import DEFAULT_DATABASE_URL, ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "wirefeed.example.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No WIREFEED_* variable from the caller's shell leaks into a test; no stray file in the cwd is read."""
    for name in list(os.environ):
        if name.upper().startswith("WIREFEED_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str, name: str = "wirefeed.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestDefaults:
    """Values when nothing is configured."""

    def test_defaults(self) -> None:
        """With no file and no environment the documented defaults apply."""
        settings = load_settings()
        assert settings.database.url.get_secret_value() == DEFAULT_DATABASE_URL == "sqlite:///wirefeed.db"
        assert settings.fetch.timeout == 20.0
        assert settings.fetch.max_bytes == 10 * 1024 * 1024
        assert settings.fetch.user_agent.startswith("wirefeed/")
        assert settings.fetch.concurrency == 32
        assert settings.fetch.per_host_concurrency == 2
        assert settings.fetch.allow_private_networks is False
        assert settings.fetch.allowed_networks == []
        assert settings.schedule.default_interval == 900
        assert settings.dedupe.threshold == 0.6
        assert settings.dedupe.window_days == 3

    def test_defaults_equal_plain_model(self) -> None:
        """load_settings() with nothing set equals the model's own defaults."""
        assert load_settings().model_dump() == Settings().model_dump()


class TestFile:
    """Values read from a TOML file."""

    def test_file_values(self, tmp_path: Path) -> None:
        """Keys of every section are read from the file; unset keys keep their defaults."""
        path = write(tmp_path, """
[database]
url = "sqlite:///from-file.db"
[fetch]
timeout = 5.5
max_bytes = 1000
user_agent = "test-agent/1"
concurrency = 4
per_host_concurrency = 1
allow_private_networks = true
allowed_networks = ["10.1.0.0/16", "fd00::/8"]
[schedule]
default_interval = 120
[dedupe]
threshold = 0.9
window_days = 7
""")
        settings = load_settings(path)
        assert settings.database.url.get_secret_value() == "sqlite:///from-file.db"
        assert settings.fetch.timeout == 5.5
        assert settings.fetch.max_bytes == 1000
        assert settings.fetch.user_agent == "test-agent/1"
        assert settings.fetch.concurrency == 4
        assert settings.fetch.per_host_concurrency == 1
        assert settings.fetch.allow_private_networks is True
        assert settings.fetch.allowed_networks == ["10.1.0.0/16", "fd00::/8"]
        assert settings.schedule.default_interval == 120
        assert settings.dedupe.threshold == 0.9
        assert settings.dedupe.window_days == 7
        assert settings.fetch.per_host_delay == 0.5  # not in the file: default

    def test_missing_file(self, tmp_path: Path) -> None:
        """A config path that does not exist is a ConfigError naming the path."""
        with pytest.raises(ConfigError, match=r"not found: .*nope\.toml"):
            load_settings(tmp_path / "nope.toml")

    def test_invalid_toml(self, tmp_path: Path) -> None:
        """A syntax error is a ConfigError naming the file, not a raw TOMLDecodeError."""
        path = write(tmp_path, "[fetch\ntimeout = 3\n")
        with pytest.raises(ConfigError, match=r"cannot read config file .*wirefeed\.toml"):
            load_settings(path)

    def test_example_file_loads(self) -> None:
        """The example file loads and equals the code's defaults, except its contact User-Agent."""
        settings = load_settings(EXAMPLE)
        defaults = Settings().model_dump()
        loaded = settings.model_dump()
        assert loaded["fetch"]["user_agent"].startswith("wirefeed/")
        loaded["fetch"]["user_agent"] = defaults["fetch"]["user_agent"]
        assert loaded == defaults

    def test_example_file_documents_every_contract_key(self) -> None:
        """The example names every key the CLI contract promises."""
        data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
        assert "url" in data["database"]
        assert {"timeout", "max_bytes", "user_agent", "concurrency", "per_host_concurrency",
                "allow_private_networks", "allowed_networks"} <= set(data["fetch"])
        assert "default_interval" in data["schedule"]
        assert {"threshold", "window_days"} <= set(data["dedupe"])


class TestEnvironment:
    """WIREFEED_<SECTION>__<KEY> overrides."""

    def test_env_beats_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An environment variable wins over the same key in the file; other file keys still apply."""
        path = write(tmp_path, "[fetch]\ntimeout = 5\nconcurrency = 4\n[database]\nurl = \"sqlite:///file.db\"\n")
        monkeypatch.setenv("WIREFEED_FETCH__TIMEOUT", "7.5")
        monkeypatch.setenv("WIREFEED_DATABASE__URL", "sqlite:///env.db")
        settings = load_settings(path)
        assert settings.fetch.timeout == 7.5
        assert settings.fetch.concurrency == 4
        assert settings.database.url.get_secret_value() == "sqlite:///env.db"

    def test_env_without_file(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Environment values are parsed to their types, lists as JSON."""
        monkeypatch.setenv("WIREFEED_FETCH__ALLOWED_NETWORKS", '["127.0.0.1/32"]')
        monkeypatch.setenv("WIREFEED_FETCH__ALLOW_PRIVATE_NETWORKS", "true")
        monkeypatch.setenv("WIREFEED_SCHEDULE__DEFAULT_INTERVAL", "60")
        monkeypatch.setenv("WIREFEED_DEDUPE__THRESHOLD", "0.75")
        settings = load_settings()
        assert settings.fetch.allowed_networks == ["127.0.0.1/32"]
        assert settings.fetch.allow_private_networks is True
        assert settings.schedule.default_interval == 60
        assert settings.dedupe.threshold == 0.75

    def test_env_is_case_insensitive(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Lower-case variable names work too."""
        monkeypatch.setenv("wirefeed_fetch__concurrency", "3")
        assert load_settings().fetch.concurrency == 3

    def test_db_argument_beats_env_and_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An explicit database URL (--db) wins over the environment and the file."""
        path = write(tmp_path, "[database]\nurl = \"sqlite:///file.db\"\n")
        monkeypatch.setenv("WIREFEED_DATABASE__URL", "sqlite:///env.db")
        assert load_settings(path, "sqlite:///flag.db").database.url.get_secret_value() == "sqlite:///flag.db"
        assert load_settings(path).database.url.get_secret_value() == "sqlite:///env.db"
        monkeypatch.delenv("WIREFEED_DATABASE__URL")
        assert load_settings(path).database.url.get_secret_value() == "sqlite:///file.db"

    def test_bad_env_value(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A wrongly typed environment value is a ConfigError naming the key."""
        monkeypatch.setenv("WIREFEED_FETCH__CONCURRENCY", "many")
        with pytest.raises(ConfigError, match=r"fetch\.concurrency"):
            load_settings()

    def test_unknown_env_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A misspelt key in a known section is refused, not silently ignored."""
        monkeypatch.setenv("WIREFEED_FETCH__TIMEOUTT", "3")
        with pytest.raises(ConfigError, match=r"fetch\.timeoutt"):
            load_settings()


class TestValidation:
    """Invalid values are refused with a message that names the key."""

    @pytest.mark.parametrize(
        ("toml", "where"),
        [
            ("[fetch]\ntimeout = -1\n", r"fetch\.timeout: .*greater than 0"),
            ("[fetch]\ntimeout = \"soon\"\n", r"fetch\.timeout: .*number"),
            ("[fetch]\nconcurrency = 0\n", r"fetch\.concurrency"),
            ("[dedupe]\nthreshold = 1.5\n", r"dedupe\.threshold"),
            ("[schedule]\nmin_interval = 3600\nmax_interval = 600\n", r"min_interval must not exceed"),
            ("[fetch]\nallowed_networks = [\"10.0.0.0/33\"]\n", r"not a network in CIDR form: '10.0.0.0/33"),
            ("[fetch]\nallowed_networks = [\"intranet\"]\n", r"fetch\.allowed_networks.*'intranet'"),
            ("[log]\nformat = \"xml\"\n", r"log\.format"),
        ],
    )
    def test_invalid_value(self, tmp_path: Path, toml: str, where: str) -> None:
        """A bad value is a ConfigError whose message names the key and the problem."""
        path = write(tmp_path, toml)
        with pytest.raises(ConfigError, match=where) as info:
            load_settings(path)
        assert str(info.value).startswith("invalid configuration: ")
        assert "\n" not in str(info.value)

    def test_unknown_section(self, tmp_path: Path) -> None:
        """An unknown top-level section is refused."""
        path = write(tmp_path, "[fetcher]\ntimeout = 3\n")
        with pytest.raises(ConfigError, match=r"fetcher: Extra inputs are not permitted"):
            load_settings(path)

    def test_unknown_key_in_section(self, tmp_path: Path) -> None:
        """A misspelt key inside a known section is refused, not silently ignored."""
        path = write(tmp_path, "[fetch]\ntimout = 3\n")
        with pytest.raises(ConfigError, match=r"fetch\.timout: Extra inputs are not permitted"):
            load_settings(path)

    def test_network_forms_accepted(self, tmp_path: Path) -> None:
        """IPv4 and IPv6 CIDRs and bare addresses are valid allowed_networks entries."""
        path = write(tmp_path, "[fetch]\nallowed_networks = [\"10.0.0.0/8\", \"::1/128\", \"192.168.1.5\"]\n")
        assert load_settings(path).fetch.allowed_networks == ["10.0.0.0/8", "::1/128", "192.168.1.5"]


class TestBounds:
    """Values that would load but break every pass are refused at load, in one line naming the setting."""

    @pytest.mark.parametrize(
        ("toml", "where"),
        [
            ("[fetch]\nuser_agent = \"wirefeed \u00e9\u20ac\"\n", r"fetch\.user_agent: .*printable ASCII"),
            ("[fetch]\nuser_agent = \"a\\nb: c\"\n", r"fetch\.user_agent: .*printable ASCII"),
            ("[fetch]\nuser_agent = \"\"\n", r"fetch\.user_agent"),
            (f"[fetch]\nuser_agent = \"{'a' * 513}\"\n", r"fetch\.user_agent: .*512"),
            ("[schedule]\nmin_interval = 999999999999\nmax_interval = 999999999999\n"
             "default_interval = 999999999999\n", r"schedule\.default_interval: .*2592000"),
            ("[schedule]\nmax_interval = 999999999999999\nmin_interval = 10\n", r"schedule\.max_interval"),
            ("[schedule]\nrefetch_unconditional_after = 99999999999\n", r"schedule\.refetch_unconditional_after"),
            ("[schedule]\nlease_seconds = 86401\n", r"schedule\.lease_seconds: .*86400"),
            ("[schedule]\ntick = 99999999999\n", r"schedule\.tick: .*3600"),
            ("[schedule]\ndisable_after_days = inf\n", r"schedule\.disable_after_days: .*finite"),
            ("[schedule]\nshutdown_grace = 1e9\n", r"schedule\.shutdown_grace"),
            ("[schedule]\nbatch_size = 10000000\n", r"schedule\.batch_size"),
            ("[extract]\nworkers = 100000\n", r"extract\.workers: .*256"),
            ("[extract]\ntimeout = 3601\n", r"extract\.timeout: .*3600"),
            ("[fetch]\ntimeout = inf\n", r"fetch\.timeout: .*finite"),
            ("[fetch]\ntimeout = nan\n", r"fetch\.timeout: .*finite"),
            ("[fetch]\nmax_bytes = 2147483649\n", r"fetch\.max_bytes: .*2147483648"),
            ("[fetch]\nconcurrency = 99999999999999999999\n", r"fetch\.concurrency"),
            ("[fetch]\nper_host_delay = 1e9\n", r"fetch\.per_host_delay"),
            ("[dedupe]\nwindow_days = 999999999\n", r"dedupe\.window_days: .*366"),
            ("[dates]\nearliest = 0001-01-01\n", r"dates\.earliest: .*1970-01-01"),
            ("[dates]\nearliest = 9999-12-31\n", r"dates\.earliest: .*today"),
        ],
    )
    def test_out_of_bounds_refused(self, tmp_path: Path, toml: str, where: str) -> None:
        """A value past its bound (or not finite, or a header-breaking User-Agent) is a one-line ConfigError."""
        path = write(tmp_path, toml)
        with pytest.raises(ConfigError, match=where) as info:
            load_settings(path)
        assert str(info.value).startswith("invalid configuration: ")
        assert "\n" not in str(info.value)

    def test_environment_is_bounded_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The same bounds apply to an environment override."""
        monkeypatch.setenv("WIREFEED_EXTRACT__WORKERS", "100000")
        with pytest.raises(ConfigError, match=r"extract\.workers"):
            load_settings()

    def test_bounds_themselves_accepted(self, tmp_path: Path) -> None:
        """Every bound is inclusive: the largest allowed values load."""
        path = write(tmp_path, "[fetch]\ntimeout = 3600\nmax_bytes = 2147483648\nuser_agent = \"" + "a" * 512
                     + "\"\n[schedule]\nmin_interval = 2592000\nmax_interval = 2592000\n"
                     "default_interval = 2592000\nlease_seconds = 86400\ntick = 3600\n"
                     "[extract]\nworkers = 256\ntimeout = 3600\n[dates]\nearliest = 1970-01-01\n")
        settings = load_settings(path)
        assert (settings.extract.workers, settings.schedule.lease_seconds) == (256, 86400)

    def test_breaking_values_rejected_by_the_cli(self, tmp_path: Path) -> None:
        """`wirefeed --config` with a huge interval stops before any pass: exit 1, one line, no traceback."""
        import subprocess
        import sys

        path = write(tmp_path, "[schedule]\nmin_interval = 999999999999\nmax_interval = 999999999999\n")
        done = subprocess.run(
            [sys.executable, "-m", "ingest.cli", "--config", str(path), "--db", f"sqlite:///{tmp_path}/w.db", "ingest"],
            capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[1], timeout=120,
        )
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1
        assert "schedule.min_interval" in done.stderr
