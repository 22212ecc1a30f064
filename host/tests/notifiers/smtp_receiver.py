"""An SMTP server on loopback for the email notifier test (host/tests/it/notifiers.rs).

Usage: python3 smtp_receiver.py OUT_DIR

Prints the port it listens on, then writes every message it receives to OUT_DIR as N.eml (the
bytes as they arrived) and N.json (the envelope and what Python's own `email` package reads in
the message: its headers and its text and HTML parts, decoded), written before it answers 250.
Runs until it is killed. Needs Debian's python3-aiosmtpd (scripts/setup installs it).
"""

import json
import socket
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)


class Keep:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Keep.count += 1
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name.lower(): str(value) for name, value in message.items()},
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        (out / f"{Keep.count}.eml").write_bytes(raw)
        partial = out / f"{Keep.count}.json.part"
        partial.write_text(json.dumps(record))
        partial.rename(out / f"{Keep.count}.json")
        return "250 Message accepted for delivery"


probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
while True:
    time.sleep(3600)
