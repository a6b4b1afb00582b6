#!/usr/bin/env python3
"""A capturing SMTP server for the test suite (aiosmtpd): each accepted message is stored in --dir as NAME.eml,
with its envelope in NAME.json. Recipients whose local part starts with "reject" get 550, so tests can exercise a
refused recipient. With --fail-after N the server goes down in the middle of a run: after N accepted messages every
further MAIL FROM gets 421 (service not available), as a server shutting down answers. Runs until killed or until its
standard input closes."""
import argparse
import json
import os
import sys
import time
import uuid

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, folder, fail_after=None):
        self.folder = folder
        self.fail_after = fail_after
        self.accepted = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.fail_after is not None and self.accepted >= self.fail_after:
            return "421 4.3.2 Service shutting down"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].lower().startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = "%d-%s" % (time.time_ns(), uuid.uuid4().hex)
        with open(os.path.join(self.folder, name + ".json.tmp"), "w") as f:
            json.dump({"mailFrom": envelope.mail_from, "rcptTos": envelope.rcpt_tos}, f)
        with open(os.path.join(self.folder, name + ".eml.tmp"), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        # Renamed only when complete: the reply below is what the client waits for.
        os.replace(os.path.join(self.folder, name + ".json.tmp"), os.path.join(self.folder, name + ".json"))
        os.replace(os.path.join(self.folder, name + ".eml.tmp"), os.path.join(self.folder, name + ".eml"))
        self.accepted += 1
        return "250 2.0.0 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--fail-after", type=int, default=None)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Capture(args.dir, args.fail_after), hostname=args.host, port=args.port, decode_data=False)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()  # the test process holds our stdin open; when it goes, we go
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
