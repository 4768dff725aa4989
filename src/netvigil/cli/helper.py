"""`netvigil helper`: serve OONI's control test-helper protocol from an unfiltered network."""

from __future__ import annotations

from pathlib import Path

import typer

from netvigil.cli._context import err_console, settings_of

# Connections served at once (more get 503): each control request holds up to 33 sockets.
HELPER_CONCURRENCY = 256

HELP = """Serve the control test helper (OONI's TH protocol: POST / with a control request).

Run it where the network is NOT censored; probes compare their view with its answer. It does
real DNS (the system resolver, or --resolver over UDP), TCP, TLS and HTTP from where it runs.

Example: netvigil helper --host 127.0.0.1 --port 8080 --resolver 198.51.100.53:53
"""


def helper_command(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="Address to listen on."),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Port to listen on."),
    resolver: str | None = typer.Option(
        None, "--resolver", help="IP:PORT to query over UDP instead of the system resolver."
    ),
    ca_bundle: Path | None = typer.Option(
        None, "--ca-bundle", help="Extra CA bundle to trust (e.g. the lab's CA)."
    ),
    ip_table: Path | None = typer.Option(
        None, "--ip-table", help="ASN of the addresses in ip_info: .mmdb or CSV range table."
    ),
    allow: str | None = typer.Option(
        None,
        "--allow",
        help="Comma-separated ranges the helper may reach although they are not public "
        "(a lab's TEST-NET ranges); every other internal address is refused.",
    ),
) -> None:
    from netvigil.analysis.iptable import IpTable
    from netvigil.cli._serving import bind, serve
    from netvigil.helper.server import HelperApp
    from netvigil.probe.destinations import DestinationPolicy, parse_networks
    from netvigil.probe.fetch import Network
    from netvigil.probe.runner import resolver_address, tls_context

    settings = settings_of(ctx)
    conf = settings.helper
    chosen_resolver = resolver or conf.resolver
    probe = settings.probe
    net = Network(
        tls=tls_context(ca_bundle or conf.ca_bundle),
        udp_resolver=resolver_address(chosen_resolver) if chosen_resolver else None,
        use_system_resolver=chosen_resolver is None,
        dns_timeout=probe.dns_timeout,
        tcp_timeout=probe.tcp_timeout,
        tls_timeout=probe.tls_timeout,
        http_timeout=probe.http_timeout,
        max_body=probe.max_body_bytes,
        connect_loopback=conf.connect_loopback,
        destinations=DestinationPolicy(
            allow=parse_networks(
                allow.split(",") if allow is not None else conf.allow_destinations,
                "--allow" if allow is not None else "helper.allow_destinations",
            ),
            loopback=conf.connect_loopback,
        ),
    )
    table_path = ip_table or conf.ip_table
    table = IpTable.load(table_path) if table_path is not None else None  # fails before listening
    bind_host, bind_port = host or conf.host, port or conf.port
    sock = bind(bind_host, bind_port)  # a busy port fails here, before saying "listening"
    err_console.print(
        f"test helper listening on http://{bind_host}:{bind_port}/", highlight=False, markup=False
    )
    serve(
        HelperApp(net, table.asn_of if table is not None else None),
        sock,
        limit_concurrency=HELPER_CONCURRENCY,
        access_log=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``netvigil helper`` to the root app."""
    app.command("helper", help=HELP)(helper_command)
