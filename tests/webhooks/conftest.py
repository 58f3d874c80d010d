"""API clients, a real HTTP receiver on 127.0.0.1 and the settings that let the platform send to it."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from integrations.services import api_client_create
from webhooks.services import subscription_create


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    """Tests send to http://127.0.0.1: allowed here only (production refuses both, see test_services)."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    cache.clear()  # the API clients' rate counters
    yield
    cache.clear()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server in a thread: answers the queued status codes in turn, then `default`."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    default: int = 200

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/alliance"

    def answer(self, *codes: int) -> None:
        self.answers.extend(codes)


@pytest.fixture
def receiver():
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = box["receiver"]
            rec.requests.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
            code = rec.answers.popleft() if rec.answers else rec.default
            payload = b"ok" if code < 300 else b"receiver is down"
            self.send_response(code)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["receiver"] = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def register(tree):
    """register(alliance, *scopes) -> (ApiClient, token), registered by the district admin."""
    def _register(alliance, *scopes, name: str = "12345热线"):
        return api_client_create(user=tree.district_admin, alliance=alliance, name=name, scopes=list(scopes))
    return _register


@pytest.fixture
def subscribe(tree):
    """subscribe(client, url, *events) -> (subscription, secret), made by the district admin."""
    def _subscribe(client, url, *events):
        return subscription_create(user=tree.district_admin, client=client, url=url, events=list(events))
    return _subscribe


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block schedules on commit (emits, tasks, mail), as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
