# An SMTP server for the tests (crates/testkit/src/smtp.rs): aiosmtpd takes every message, and
# Python's own `email` package (not Hybrid's code) parses it. Listens on 127.0.0.1:<argv[1]>,
# prints "ready", then one
# JSON line per message: envelope, headers, and the text and HTML parts, decoded.
import asyncio, json, sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        parts = {}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and not part.is_attachment():
                # lines end in CRLF on the wire; a test compares them as text
                parts[kind] = part.get_content().replace("\r\n", "\n")
        print(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "content_type": message.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }), flush=True)
        return "250 OK"


async def main():
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    # runs until the test closes stdin (or dies)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    controller.stop()


asyncio.run(main())
