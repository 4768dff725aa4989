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
    web: WebSettings = Field(default_factory=WebSettings)

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
