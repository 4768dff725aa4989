"""Typed settings: defaults < TOML file < environment < explicit overrides.

Built once at the entry point (``netvigil`` reads ``--config`` / ``NETVIGIL_CONFIG`` /
``./netvigil.toml`` / ``$XDG_CONFIG_HOME/netvigil/config.toml``) and passed down; nothing reads the
environment elsewhere. Environment variables are ``NETVIGIL_<FIELD>`` for top-level fields and
``NETVIGIL_<SECTION>__<FIELD>`` for sections, e.g. ``NETVIGIL_DB=postgresql://...`` or
``NETVIGIL_PROBE__PROBE_CC=IR``. See docs/config.md.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from netvigil._errors import ConfigError


def _cidr_list(value: Any) -> list[str]:
    """An allow-list: a list, or one string of comma-separated ranges (from the environment)."""
    if isinstance(value, str):
        try:
            items = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
        except ValueError as exc:
            raise ValueError(f"{value!r} is neither a JSON list nor 'a,b' ranges") from exc
    else:
        items = value
    if not isinstance(items, list):
        raise ValueError("expected a list of CIDR ranges such as ['192.0.2.0/24']")
    out = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            out.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not an address or CIDR range") from exc
    return out


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "netvigil"


class ProbeSettings(BaseModel):
    """How the probe measures and what it says about its vantage point."""

    probe_cc: str = "ZZ"  # ISO country code of the vantage point; ZZ = unknown/withheld
    probe_asn: str = "AS0"  # ASN of the vantage point; AS0 = unknown/withheld
    mmdb_path: Path | None = None  # optional MaxMind-format DB to look up cc/asn
    helper_url: str = "https://0.th.ooni.org/"  # control test helper (OONI's public one works)
    resolver: str = "8.8.8.8:53"  # extra UDP resolver queried beside the system resolver
    ca_bundle: Path | None = None  # extra CA bundle to trust (the lab's CA), else system CAs
    concurrency: int = Field(default=32, ge=1, le=1024)  # URLs measured at once
    per_host: int = Field(default=4, ge=1, le=64)  # at most this many at once per host
    dns_timeout: float = Field(default=4.0, gt=0)
    tcp_timeout: float = Field(default=10.0, gt=0)
    tls_timeout: float = Field(default=10.0, gt=0)
    http_timeout: float = Field(default=15.0, gt=0)
    control_timeout: float = Field(default=30.0, gt=0)
    max_body_bytes: int = Field(default=1 << 22, ge=1024)
    # OONI's probe never connects to a loopback answer (ooni/probe#2397); tests that measure
    # servers on 127.0.0.1 turn this on.
    connect_loopback: bool = False
    # Nor, by default, to any other internal address (private, link-local, 0.0.0.0, ...; see
    # netvigil.probe.destinations): True lets a block page on a private address be fetched.
    connect_internal: bool = False
    # Ranges always connected to (the lab's TEST-NET ranges), as CIDRs or addresses.
    allow_destinations: Annotated[list[str], NoDecode] = Field(default_factory=list)
    spool: Path | None = None  # JSONL spool; default <data_dir>/spool/measurements.jsonl
    # A collector (OONI's probe-services API) to submit to and to check in with; None: none.
    collector_url: str | None = None
    # OONI's retry rule: after 3 immediate retries on network errors, wait this long, doubling
    # after each failed attempt up to upload_backoff_max. Lower than 900 s only for tests.
    upload_backoff: float = Field(default=900.0, gt=0)
    upload_backoff_max: float = Field(default=6 * 3600.0, gt=0)
    upload_timeout: float = Field(default=60.0, gt=0)  # s per HTTP request to the collector
    upload_concurrency: int = Field(default=4, ge=1, le=64)  # submissions in flight at once
    # The messaging and Tor tests (docs/probe.md, "Messaging apps and Tor"):
    # IP -> ASN of DNS answers (.mmdb / CSV range table): recorded in every answer, and how
    # facebook_messenger judges DNS (Facebook's AS32934); without it that judgement is null.
    ip_table: Path | None = None
    # PEM file of the CAs the signal test trusts instead of Signal's own (the lab's CA).
    signal_ca: Path | None = None
    # Tor targets in OONI's format (a JSON object of targets by id); `--tor-targets` too.
    tor_targets: Path | None = None
    # The probe's public addresses, scrubbed from everything stored (never stored themselves):
    # those given here (or with --public-ip), and those learned before a run from
    # ip_lookup_url (default: the helper's /ip) unless public_ip_lookup is off.
    public_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_ip_lookup: bool = True
    ip_lookup_url: str | None = None

    @field_validator("allow_destinations", mode="before")
    @classmethod
    def _allow(cls, v: Any) -> list[str]:
        return _cidr_list(v)

    @field_validator("public_ips", mode="before")
    @classmethod
    def _public(cls, v: Any) -> list[str]:
        addresses = _cidr_list(v)
        if any(not a.endswith(("/32", "/128")) for a in addresses):
            raise ValueError("give addresses, not ranges")
        return [a.split("/")[0] for a in addresses]

    @field_validator("probe_cc")
    @classmethod
    def _cc(cls, v: str) -> str:
        if len(v) != 2 or not v.isalpha():
            raise ValueError(
                "probe_cc must be a two-letter country code such as 'IR' (ZZ = unknown)"
            )
        return v.upper()

    @field_validator("probe_asn")
    @classmethod
    def _asn(cls, v: str) -> str:
        digits = v[2:] if v.upper().startswith("AS") else v
        if not digits.isdigit():
            raise ValueError("probe_asn must look like 'AS12345' (AS0 = unknown)")
        return f"AS{int(digits)}"


class HelperSettings(BaseModel):
    """The control test helper (`netvigil helper`), run from an unfiltered network."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    resolver: str | None = None  # IP:PORT queried over UDP; default the system resolver
    ca_bundle: Path | None = None  # extra CA bundle to trust (the lab's CA), else system CAs
    # As OONI's helper, never connect to loopback (it would expose this host's own services),
    # nor to any other internal address (private, link-local with 169.254.169.254, 0.0.0.0...).
    connect_loopback: bool = False
    # Ranges the helper may reach all the same (the lab's TEST-NET ranges), CIDRs or addresses.
    allow_destinations: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ip_table: Path | None = None  # ASN of addresses in ip_info (.mmdb / CSV range table), else 0

    @field_validator("allow_destinations", mode="before")
    @classmethod
    def _allow(cls, v: Any) -> list[str]:
        return _cidr_list(v)


class LabSettings(BaseModel):
    """The censorship lab (network namespaces)."""

    prefix: str = "nv"  # namespace and interface names start with this
    ooni_scenarios: Path | None = None  # OONI's QA scenarios dir, for expected verdicts


class PipelineSettings(BaseModel):
    """The continuous pipeline (`netvigil pipeline run`, docs/pipeline.md)."""

    bin_seconds: int = Field(default=60, ge=1, le=86400)  # width of the signals' and detectors' bin
    # A bin is stepped this long after it ends: measurements arrive after their start time
    # (runtime, upload). Later ones are late data: the detectors re-run from a checkpoint.
    grace_seconds: float = Field(default=30.0, ge=0)
    # Own volume is counted over this window (at least the probes' interval, or every bin
    # between two probe runs would look like silence).
    volume_window_seconds: int = Field(default=300, ge=1)
    horizon_hours: float = Field(default=48.0, gt=0)  # how late data may arrive and still count
    poll_seconds: float = Field(default=5.0, gt=0)  # how often the store is asked for news
    state_dir: Path | None = None  # default <data_dir>/pipeline


class CollectorSettings(BaseModel):
    """The collector (`netvigil collector`, `netvigil serve --collector`): docs/collector.md."""

    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=1, le=65535)
    name: str = Field(default="1", pattern=r"^[0-9a-z]{1,16}$")  # the n<name> of report ids
    # Signs report ids (HMAC): collectors sharing a store share it; generated if absent.
    report_key: Path | None = None  # default <data_dir>/collector/report.key
    journal_dir: Path | None = None  # fsync'd intake journal; default <data_dir>/collector/journal
    max_body_bytes: int = Field(default=16 << 20, ge=1024)  # per submission, after decoding
    # Request bodies held at once by all submissions; past it a submission gets a 503 (retried).
    max_inflight_bytes: int = Field(default=512 << 20, ge=1024)
    # Per-client limits (`limits` notation, ';' between several); the client's address is only
    # held in memory, as a keyed hash, for the window. "" turns a limit off.
    rate_limit_submit: str = "100/second;6000/minute"
    rate_limit_check_in: str = "60/minute"
    drain_batch: int = Field(default=2000, ge=1)  # measurements per store commit (at most)
    drain_delay: float = Field(default=1.0, ge=0)  # s a measurement waits for a fuller commit
    segment_bytes: int = Field(default=64 << 20, ge=1 << 16)  # journal file rotation
    # Citizen Lab test lists for check-in; default analysis.test_lists.
    test_lists: Path | None = None
    # Control test helpers given to probes (check-in, /api/v1/test-helpers): (address, type).
    web_connectivity_helpers: list[str] = Field(default_factory=lambda: ["https://0.th.ooni.org"])


class AnalysisSettings(BaseModel):
    fingerprints: str | None = None  # dir or URL with OONI's fingerprints_{dns,http}.csv
    ip_table: Path | None = None  # optional IP->ASN/country: .mmdb or CSV range table
    test_lists: Path | None = None  # Citizen Lab test-lists dir (category_code for netvigil agg)


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str | None = None  # session/CSRF signing key; generated into data_dir if unset
    secure_cookies: bool = True  # set False only for plain-http local development
    language: str = "en"
    response_cache: bool = True  # cache public pages until the tracker's audit log moves
    # Evidence documents an editor uploads: larger ones are refused while being read.
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # CSV exports one client address may run at once (cached ones are free), and for everyone
    # together (netvigil.web._limits): a few clients cannot take every worker thread.
    exports_per_client: int = Field(default=1, ge=1, le=64)
    export_slots: int = Field(default=2, ge=1, le=64)


class IncidentsSettings(BaseModel):
    """The incident tracker's workflow."""

    # Four eyes: whoever verified an incident may not publish it. A one-person deployment can
    # allow it here; each such publication is marked in the audit log and on the public page.
    single_person_publication: bool = False


class SmtpSettings(BaseModel):
    """The mail server alerts are sent through (docs/notify.md)."""

    host: str | None = None  # no host: email subscriptions are refused
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True  # upgrade with STARTTLS (port 587); false with implicit_tls or a relay
    implicit_tls: bool = False  # TLS from the first byte (port 465)
    username: str | None = None
    password: str | None = None
    from_address: str = "netvigil@localhost"
    timeout: float = Field(default=30.0, gt=0)
    ca_bundle: Path | None = None  # extra CA bundle to trust, else the system's


class NotifySettings(BaseModel):
    """Alerts: subscriptions, grouping and delivery (Alertmanager's semantics; docs/notify.md)."""

    # The public site's address, for the links in alerts and feeds (event pages, unsubscribe).
    base_url: str = "http://127.0.0.1:8000"
    group_wait: float = Field(default=30.0, ge=0)  # s before a new group's first notification
    group_interval: float = Field(default=300.0, ge=0)  # s between notifications of a group
    repeat_interval: float = Field(default=4 * 3600.0, gt=0)  # s before an unchanged one repeats
    poll_interval: float = Field(default=10.0, gt=0)  # s between reads of the store's change feed
    retry_initial: float = Field(default=30.0, gt=0)  # s before the first retry of a delivery
    retry_max: float = Field(default=1800.0, gt=0)  # longest wait between two retries
    retry_give_up: float = Field(default=24 * 3600.0, gt=0)  # s after which a delivery fails
    webhook_timeout: float = Field(default=10.0, gt=0)
    # Internal destinations (loopback, private, link-local...) a webhook may reach anyway: CIDR
    # networks such as "127.0.0.1/32" (a receiver on this host) or "10.1.2.0/24".
    webhook_allow: list[str] = Field(default_factory=list)
    drafts: bool = True  # detected events open (or update) draft incidents
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)


class Settings(BaseSettings):
    """Everything configurable in netvigil, with embedded (no server) defaults."""

    model_config = SettingsConfigDict(
        env_prefix="NETVIGIL_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    db: str | None = None  # incident tracker URL; default sqlite:///<data_dir>/incidents.sqlite
    # analytical store URL: a directory or file: URL (DuckDB over Parquet); default <data_dir>/store
    store: str | None = None
    store_lock_timeout: float = Field(default=60.0, gt=0)  # s a writer waits for another's commit
    # The service catalogue (names, components, endpoints, ASNs); default: the one shipped with
    # netvigil (src/netvigil/models/services.toml). A deployment updates endpoints here.
    catalogue: Path | None = None
    probe: ProbeSettings = Field(default_factory=ProbeSettings)
    helper: HelperSettings = Field(default_factory=HelperSettings)
    lab: LabSettings = Field(default_factory=LabSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    incidents: IncidentsSettings = Field(default_factory=IncidentsSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file is merged in by load_settings as init values below explicit overrides.
        return (init_settings, env_settings)

    @property
    def tracker_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'incidents.sqlite'}"

    @property
    def store_url(self) -> str:
        """The analytical store's URL, as given (never turned into a Path: ``clickhouse://``
        must reach ``open_store`` intact)."""
        return self.store or str(self.data_dir / "store")

    @property
    def evidence_dir(self) -> Path:
        """Where evidence documents are stored, by SHA-256 (netvigil.incidents.evidence)."""
        return self.data_dir / "evidence"

    @property
    def pipeline_dir(self) -> Path:
        return self.pipeline.state_dir or self.data_dir / "pipeline"

    @property
    def journal_dir(self) -> Path:
        return self.collector.journal_dir or self.data_dir / "collector" / "journal"

    @property
    def report_key_path(self) -> Path:
        return self.collector.report_key or self.data_dir / "collector" / "report.key"

    @property
    def test_lists_dir(self) -> Path | None:
        return self.collector.test_lists or self.analysis.test_lists

    @property
    def spool_path(self) -> Path:
        return self.probe.spool or self.data_dir / "spool" / "measurements.jsonl"


def config_file_candidates() -> list[Path]:
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path("netvigil.toml"), Path(xdg) / "netvigil" / "config.toml"]


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_overrides() -> set[str]:
    return {
        k[len("NETVIGIL_") :].split("__")[0].lower()
        for k in os.environ
        if k.startswith("NETVIGIL_")
    }


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: defaults < TOML < environment < ``overrides``.

    ``config`` (or ``NETVIGIL_CONFIG``) names a TOML file that must exist; otherwise the first
    existing file of :func:`config_file_candidates` is read, if any.
    """
    path = config or (
        Path(os.environ["NETVIGIL_CONFIG"]) if os.environ.get("NETVIGIL_CONFIG") else None
    )
    file_values: dict[str, Any] = {}
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    if path is None:
        path = next((p for p in config_file_candidates() if p.is_file()), None)
    if path is not None:
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read TOML: {exc}") from exc
    # Environment beats the file: drop file sections the environment sets wholesale is wrong for
    # nested sections, so merge per key instead.
    env_keys = _env_overrides()
    try:
        env_only = Settings()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, "environment")) from exc
    except SettingsError as exc:  # a NETVIGIL_* value that should be JSON and is not
        raise ConfigError(f"environment: {exc}", hint="give lists and tables as JSON") from exc
    env_values = env_only.model_dump(include=env_keys, exclude_unset=True)
    merged = _deep_merge(_deep_merge(file_values, env_values), overrides)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(path) if path else "settings")) from exc


def _describe(exc: ValidationError, origin: str) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
    return f"{origin}: invalid settings: {problems}"
