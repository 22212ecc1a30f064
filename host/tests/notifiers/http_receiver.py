"""An HTTP receiver on loopback for the webhook and chat notifier tests
(host/tests/it/notifiers.rs).

Usage: python3 http_receiver.py OUT_DIR STATUSES [WEBHOOK_SECRET]

Prints the port it listens on, then answers the Nth request (POST, or GET for a link followed) with the Nth of STATUSES
(comma-separated; the last one repeats) and appends to OUT_DIR/requests.jsonl, before
answering, what arrived: method, path, headers, body, and, when WEBHOOK_SECRET is given,
whether the Standard Webhooks reference library (the `standardwebhooks` package from PyPI,
written independently of Tessera) accepts the signature. Runs until it is killed.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
statuses = [int(s) for s in sys.argv[2].split(",")]
secret = sys.argv[3] if len(sys.argv) > 3 else None
lock = threading.Lock()
seen = [0]


def verdict(body, headers):
    if secret is None:
        return None
    from standardwebhooks.webhooks import Webhook

    try:
        Webhook(secret).verify(body, headers)
        return "verified"
    except Exception as error:  # the reference library's refusal, reported to the test
        return f"refused: {error!r}"


class Receive(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        with lock:
            status = statuses[min(seen[0], len(statuses) - 1)]
            seen[0] += 1
            record = {
                "method": self.command,
                "path": self.path,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
                "signature": verdict(body, headers),
                "answered": status,
            }
            with open(out / "requests.jsonl", "a") as log:
                log.write(json.dumps(record) + "\n")
        reply = b"ok" if status < 300 else b"try again later"
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self):
        # An unsubscribe link followed: recorded like a POST, answered with the next status.
        self.do_POST()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
print(server.server_address[1], flush=True)
server.serve_forever()
