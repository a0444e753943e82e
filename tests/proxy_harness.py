"""A real mitmproxy with the pullcheck add-on, in a thread, in front of a recording fake site.

`Upstream` is a threaded `http.server` on 127.0.0.1 (free port) that records every request it
receives and answers from a route table. `RunningProxy` runs mitmproxy's DumpMaster with
`PullcheckAddon` on its own event loop in a thread, listening on 127.0.0.1 (free port), so a
test can reach into `addon.state` (holds, feed, sent log) while clients talk HTTP through it.
Both stop within a bounded time and free their ports.
"""

from __future__ import annotations

import asyncio
import datetime
import http.client
import ipaddress
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    """routes: (method, path) -> answer; anything else gets 200 `{}` as JSON."""

    routes: dict[tuple[str, str], Answer] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    # A folder for a self-signed certificate: serve HTTPS instead of HTTP.
    tls_dir: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without it every keep-alive response waits ~40 ms on delayed ACKs.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with upstream._lock:
                    upstream.received.append(
                        Received(
                            self.command,
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                path = self.path.split("?", 1)[0]
                status, headers, content = upstream.routes.get(
                    (self.command, path), (200, {"content-type": "application/json"}, b"{}")
                )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls_dir is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self_signed(self.tls_dir))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def requests_to(self, method: str, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.method == method and r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def self_signed(folder: Path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1 (the proxy is told not to verify upstreams)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "upstream-cert.pem", folder / "upstream-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


class RunningProxy:
    """mitmproxy + PullcheckAddon in a thread. `options` are mitmproxy/pullcheck options;
    a test's own add-ons run before (`addons_before`) or after (`addons_after`) pullcheck's
    hooks."""

    def __init__(
        self, addons_before: Sequence[Any] = (), addons_after: Sequence[Any] = (), **options: Any
    ) -> None:
        self.options = options
        self.addons_before = tuple(addons_before)
        self.addons_after = tuple(addons_after)
        self.addon: Any = None
        self.port = 0
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._master: Any = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def start(self, timeout: float = 20) -> RunningProxy:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the proxy did not start")
        if self.error is not None:
            raise self.error
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self.error = error
            self._ready.set()

    async def _serve(self) -> None:
        from mitmproxy import hooks, options
        from mitmproxy.tools.dump import DumpMaster
        from pullcheck.proxy.addon import PullcheckAddon

        opts = options.Options(listen_host="127.0.0.1", listen_port=0)
        master = DumpMaster(opts, with_termlog=False, with_dumper=False)
        self.addon = PullcheckAddon()
        master.addons.add(*self.addons_before, self.addon, *self.addons_after, _Ready(self))
        opts.update(**self.options)
        master.addons.invoke_addon_sync(self.addon, hooks.ConfigureHook(set(opts.keys())))
        self._master = master
        await master.run()

    def call(self, fn: Callable[[], Any], timeout: float = 10) -> Any:
        """Run `fn` on the proxy's event loop and return its result."""
        future = asyncio.run_coroutine_threadsafe(_call(fn), self._master.event_loop)
        return future.result(timeout)

    def stop(self, timeout: float = 15) -> None:
        if self._master is not None:
            self._master.shutdown()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the proxy did not stop")

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def __enter__(self) -> RunningProxy:
        return self if self._thread.is_alive() else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


async def _call(fn: Callable[[], Any]) -> Any:
    return fn()


class _Ready:
    def __init__(self, proxy: RunningProxy) -> None:
        self.proxy = proxy

    def running(self) -> None:
        from mitmproxy import ctx

        addresses = ctx.master.addons.get("proxyserver").listen_addrs()
        self.proxy.port = addresses[0][1]
        self.proxy._ready.set()


def fetch_tls(
    proxy: RunningProxy,
    ca_file: Path,
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTPS request through the proxy (CONNECT), trusting only mitmproxy's CA."""
    context = ssl.create_default_context(cafile=str(ca_file))
    conn = http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=timeout, context=context)
    conn.set_tunnel(host, port)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def fetch(
    proxy: RunningProxy,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request through the proxy (plain HTTP, absolute URL), on a fresh connection."""
    conn = proxy.connection(timeout)
    try:
        conn.request(method, url, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()
