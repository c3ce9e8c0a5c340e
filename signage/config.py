"""YAML configuration with defaults, validated on load.

Each component declares its settings as a frozen dataclass whose field
metadata carries a ``help`` text (the settings reference in
``docs/configuration.md`` is checked against it by a test). ``load_config``
reads a YAML mapping, refuses unknown keys and wrong types, and names the file,
the line and the key in every error.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from signage.errors import ConfigError
from signage.yamlsafe import NoAliasSafeLoader

T = TypeVar("T")
MIN_METRICS_TOKEN_CHARS = 16


def setting(default: Any, help: str) -> Any:
    if isinstance(default, list):
        value = list(default)
        return dataclasses.field(default_factory=lambda: list(value), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class SchedulerConfig:
    host: str = setting("127.0.0.1", "Address the scheduler listens on.")
    port: int = setting(8470, "TCP port of the scheduler (admin and player API).")
    data_dir: str = setting("var/scheduler", "Folder for the SQLite store, signing keys, media and manifests.")
    public_url: str = setting("", "Base URL players use to reach the scheduler; empty means http://host:port.")
    timezone: str = setting("Asia/Pontianak", "Default IANA time zone of new displays.")
    language: str = setting("id", "Language of the admin: 'id' (Bahasa Indonesia) or 'en'.")
    horizon_days: int = setting(14, "How many days ahead each manifest's timeline covers.")
    static_dir: str = setting("", "If set, every publish also writes manifests and media as a static tree here.")
    publish_inline_max_displays: int = setting(
        50,
        "A staff change (approve, withdraw, edit, archive, a group's removal, an API key rotation) reaching more "
        "displays than this is published in the background: the request answers at once and the screens get it "
        "when the publish ends.",
    )
    default_duration_s: int = setting(10, "Duration of an image or text slide by default.")
    max_ingest_jobs: int = setting(1, "How many media normalisations (ffmpeg) may run at once.")
    inbox_dir: str = setting(
        "", "Drop folder watched for new media (inbox/<group>/file); empty means <data_dir>/inbox, '-' disables it."
    )
    media_gc_grace_days: int = setting(7, "Unreferenced media are deleted only after this many days.")
    media_min_free_mb: int = setting(
        1024,
        "An upload is refused (HTTP 507) when it would leave less free disk than this (MB) where media are stored: "
        "uploads never fill the disk the database and manifests live on; 0 turns the check off.",
    )
    trusted_proxies: list[str] = setting(
        [],
        "Reverse proxies (IPs or networks) whose X-Forwarded-For is believed; empty: use the TCP peer address.",
    )
    session_idle_timeout_s: int = setting(
        3600, "A web admin session ends after this many seconds without a request (sessions live in the database)."
    )
    session_max_age_s: int = setting(
        43200, "A web admin session ends this many seconds after login, however active (absolute expiry)."
    )
    session_cookie_secure: bool = setting(
        False, "Mark the session cookie Secure (sent over HTTPS only); turn on behind a TLS proxy."
    )
    login_max_failures: int = setting(
        5,
        "Failed logins per user name from one client address within login_lockout_s before that name is locked out "
        "there for login_lockout_s (20 times this from all addresses together locks it out everywhere).",
    )
    login_max_failures_per_address: int = setting(
        20, "Failed logins per client address within login_lockout_s before that address is locked out."
    )
    login_lockout_s: int = setting(900, "Window and lockout time (seconds) of the login throttle.")
    metrics_token: str = setting(
        "", "Bearer token (16+ characters) that opens /metrics to non-loopback clients; empty: loopback only."
    )
    play_events_max_per_day: int = setting(
        200_000,
        "Play events one display may send per UTC day (by receipt); more are refused with HTTP 429 until 00:00 UTC "
        "and the player keeps them. Bounds what a stolen display token can write; a busy screen sends ~15,000 a "
        "day, so a player back from weeks offline still uploads its backlog within days.",
    )
    play_retention_days: int = setting(
        90,
        "Raw proof-of-play events are kept this many days after receipt, then folded into hourly totals per "
        "display and item (reports stay the same; a re-sent event older than this is no longer recognised).",
    )
    intake_queue_limit: int = setting(
        5000, "Heartbeats and play-event batches waiting to be written; beyond this the player is told 503 (retry)."
    )
    intake_linger_ms: int = setting(
        2, "How long the intake writer waits for more heartbeats/play events to commit together (group commit)."
    )
    alert_check_interval_s: int = setting(60, "Seconds between evaluations of the fleet alert rules.")
    alert_offline_min: int = setting(10, "Fleet alert when a display has not sent a heartbeat for this many minutes.")
    alert_horizon_days: float = setting(
        2.0, "Fleet alert when a display's offline coverage (its manifest's valid_until) ends within this many days."
    )
    alert_low_disk_mb: int = setting(
        2048, "Fleet alert when a player reports less free disk than this (MB) or a low-disk/write warning."
    )
    alert_clock_offset_s: int = setting(
        60, "Fleet alert when a player reports a clock fault or a clock offset larger than this (seconds)."
    )
    alert_playback_failures: int = setting(
        5, "Fleet alert when a display reports this many skipped plays within an hour (or an error status)."
    )
    alert_renotify_min: int = setting(
        240, "Repeat the message of an alert still open after this many minutes; 0 sends one message per opening."
    )
    alert_smtp_host: str = setting("", "SMTP server for fleet alert e-mail; empty disables e-mail.")
    alert_smtp_port: int = setting(587, "SMTP port (587 with STARTTLS, 25 without).")
    alert_smtp_starttls: bool = setting(True, "Upgrade the SMTP connection with STARTTLS before logging in.")
    alert_smtp_ca_file: str = setting(
        "", "PEM file of the CA that signed the SMTP server's certificate (an internal CA); empty: the system's CAs."
    )
    alert_smtp_user: str = setting("", "SMTP login name; empty sends without logging in.")
    alert_smtp_password: str = setting("", "SMTP password (keep the config file readable only by the scheduler).")
    alert_email_from: str = setting("signage@localhost", "Sender address of fleet alert e-mail.")
    alert_email_to: list[str] = setting([], "Recipients of fleet alert e-mail.")
    alert_webhook_url: str = setting(
        "", "URL that receives each fleet alert message as a JSON POST (e.g. a Telegram/WhatsApp gateway); empty: off."
    )
    alert_webhook_secret: str = setting(
        "", "If set, each webhook POST carries X-Signage-Signature: sha256=<HMAC-SHA256 of the body with this secret>."
    )

    def validate(self, path: str) -> None:
        if not 1 <= self.port <= 65535:
            raise ConfigError(path, "port", f"{self.port} is not a TCP port (1-65535)")
        if not 1 <= self.horizon_days <= 60:
            raise ConfigError(path, "horizon_days", "must be between 1 and 60")
        if self.language not in ("id", "en"):
            raise ConfigError(path, "language", "must be 'id' or 'en'")
        if not 1 <= self.max_ingest_jobs <= 16:
            raise ConfigError(path, "max_ingest_jobs", "must be between 1 and 16")
        if self.media_gc_grace_days < 1:
            raise ConfigError(path, "media_gc_grace_days", "must be at least 1")
        if not 0 <= self.media_min_free_mb <= 10**7:
            raise ConfigError(path, "media_min_free_mb", "must be between 0 and 10000000 (MB)")
        for key in ("session_idle_timeout_s", "session_max_age_s", "login_lockout_s"):
            if not 1 <= getattr(self, key) <= 30 * 86400:
                raise ConfigError(path, key, "must be between 1 and 2592000 seconds (30 days)")
        if not 1_000 <= self.play_events_max_per_day <= 10**8:
            raise ConfigError(path, "play_events_max_per_day", "must be between 1000 and 100000000 events")
        if not 1 <= self.play_retention_days <= 3660:
            raise ConfigError(path, "play_retention_days", "must be between 1 and 3660 days")
        if not 1 <= self.publish_inline_max_displays <= 100_000:
            raise ConfigError(path, "publish_inline_max_displays", "must be between 1 and 100000")
        if not 10 <= self.intake_queue_limit <= 1_000_000:
            raise ConfigError(path, "intake_queue_limit", "must be between 10 and 1000000")
        if not 0 <= self.intake_linger_ms <= 1000:
            raise ConfigError(path, "intake_linger_ms", "must be between 0 and 1000 milliseconds")
        _check_alerts(path, self)
        for key in ("login_max_failures", "login_max_failures_per_address"):
            if not 1 <= getattr(self, key) <= 10000:
                raise ConfigError(path, key, "must be between 1 and 10000")
        _check_zone(path, "timezone", self.timezone)
        _check_networks(path, "trusted_proxies", self.trusted_proxies)
        token = self.metrics_token
        if token and (len(token) < MIN_METRICS_TOKEN_CHARS or any(c.isspace() for c in token)):
            raise ConfigError(
                path, "metrics_token",
                f"must be empty or at least {MIN_METRICS_TOKEN_CHARS} characters without spaces "
                "(e.g. the output of `openssl rand -hex 24`)",
            )  # fmt: skip

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"


@dataclasses.dataclass(frozen=True)
class PlayerConfig:
    server_url: str = setting("http://127.0.0.1:8470", "Scheduler base URL.")
    manifest_url: str = setting(
        "", "Optional manifest URL on a cache/CDN (static tree); empty means the scheduler API."
    )
    data_dir: str = setting("var/player", "Folder for the cache, keys, queue and status file.")
    poll_interval_s: int = setting(60, "Seconds between conditional manifest requests.")
    fullscreen: bool = setting(True, "Cover the whole screen (kiosk mode).")
    geometry: list[int] = setting([], "Explicit window region [x, y, width, height] (LED capture region).")
    rotation: int = setting(0, "Rotate the output 0, 90, 180 or 270 degrees.")
    screenshot_path: str = setting("", "If set, write a PNG of what is shown here periodically.")
    screenshot_interval_s: int = setting(5, "Seconds between screenshots written to screenshot_path.")
    local_folder: str = setting("", "Folder (e.g. a USB stick) whose media loop when nothing else can play.")
    timezone: str = setting("Asia/Pontianak", "Zone used on the slate before a manifest arrives.")
    language: str = setting("id", "Language of on-screen text: 'id' or 'en'.")
    player_name: str = setting("", "Name shown to the admin when this player asks to enrol.")
    server_key_fingerprint: str = setting(
        "",
        "Pin the scheduler's signing key (hex SHA-256 fingerprint or its first 16+ digits, from `signage keys "
        "show`): the player refuses to enrol with a server that cannot prove it holds this key.",
    )

    def validate(self, path: str) -> None:
        if not self.server_url.startswith(("http://", "https://")):
            raise ConfigError(path, "server_url", "must start with http:// or https://")
        if self.poll_interval_s < 1:
            raise ConfigError(path, "poll_interval_s", "must be at least 1")
        if self.rotation not in (0, 90, 180, 270):
            raise ConfigError(path, "rotation", "must be 0, 90, 180 or 270")
        if self.geometry and (len(self.geometry) != 4 or min(self.geometry[2:]) <= 0):
            raise ConfigError(path, "geometry", "must be [x, y, width, height] with positive size")
        if self.language not in ("id", "en"):
            raise ConfigError(path, "language", "must be 'id' or 'en'")
        _check_zone(path, "timezone", self.timezone)
        if self.server_key_fingerprint:
            from signage.enrolproof import normalise_pin

            try:
                normalise_pin(self.server_key_fingerprint)
            except ValueError as exc:
                raise ConfigError(path, "server_key_fingerprint", str(exc)) from None


def _check_alerts(path: str, config: SchedulerConfig) -> None:
    for key, low, high in (
        ("alert_check_interval_s", 1, 86400),
        ("alert_offline_min", 1, 10080),
        ("alert_low_disk_mb", 0, 10**7),
        ("alert_clock_offset_s", 1, 86400),
        ("alert_playback_failures", 1, 100000),
        ("alert_renotify_min", 0, 10080),
        ("alert_smtp_port", 1, 65535),
    ):
        if not low <= getattr(config, key) <= high:
            raise ConfigError(path, key, f"must be between {low} and {high}")
    if not 0 < config.alert_horizon_days <= 60:
        raise ConfigError(path, "alert_horizon_days", "must be more than 0 and at most 60 days")
    if config.alert_smtp_host and not config.alert_email_to:
        raise ConfigError(path, "alert_email_to", "list at least one recipient, or leave alert_smtp_host empty")
    for address in [config.alert_email_from, *config.alert_email_to]:
        if "@" not in address or any(c.isspace() for c in address):
            raise ConfigError(path, "alert_email_to" if address != config.alert_email_from else "alert_email_from",
                              f"{address!r} is not an e-mail address (name@example.go.id)")  # fmt: skip
    if config.alert_smtp_ca_file and not Path(config.alert_smtp_ca_file).is_file():
        raise ConfigError(path, "alert_smtp_ca_file", f"no file {config.alert_smtp_ca_file!r} (a PEM CA certificate)")
    if config.alert_webhook_url and not config.alert_webhook_url.startswith(("http://", "https://")):
        raise ConfigError(path, "alert_webhook_url", "must start with http:// or https://")


def _check_networks(path: str, key: str, values: list[str]) -> None:
    import ipaddress

    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ConfigError(path, key, f"{value!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None


def _check_zone(path: str, key: str, name: str) -> None:
    from signage.clock import zone

    try:
        zone(name)
    except ValueError as exc:
        raise ConfigError(path, key, str(exc)) from exc


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_type(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_check_type(value, arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if origin is list:
        (inner,) = typing.get_args(tp)
        return isinstance(value, list) and all(_check_type(v, inner) for v in value)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _key_lines(text: str) -> dict[str, int]:
    try:
        node = yaml.compose(text, Loader=NoAliasSafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def config_from_mapping(cls: type[T], data: dict[str, Any], path: str, lines: dict[str, int] | None = None) -> T:
    lines = lines or {}
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            raise ConfigError(path, str(key), f"unknown key (known keys: {', '.join(sorted(known))})", lines.get(key))
    for key, value in data.items():
        if not _check_type(value, hints[key]):
            raise ConfigError(
                path,
                key,
                f"expected {_type_name(hints[key])}, got {type(value).__name__} {value!r}",
                lines.get(key),
            )
    config = cls(**data)
    config.validate(path)  # type: ignore[attr-defined]
    return config


def load_config(cls: type[T], path: str | Path | None) -> T:
    """Defaults when ``path`` is None; otherwise the validated YAML file."""
    if path is None:
        config = cls()
        config.validate("<defaults>")  # type: ignore[attr-defined]
        return config
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=NoAliasSafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(str(path), None, f"malformed YAML: {problem}", line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), None, "the top level must be a mapping of key: value")
    return config_from_mapping(cls, data, str(path), _key_lines(text))


def describe(cls: type) -> list[tuple[str, Any, str]]:
    """(key, default, help) for every setting, for docs and `--help`."""
    out = []
    for f in dataclasses.fields(cls):
        default: Any = f.default
        if default is dataclasses.MISSING and callable(f.default_factory):
            default = f.default_factory()
        out.append((f.name, default, f.metadata.get("help", "")))
    return out
