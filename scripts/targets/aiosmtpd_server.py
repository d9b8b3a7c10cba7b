#!/usr/bin/python3
"""An aiosmtpd (Debian python3-aiosmtpd) SMTP server as a conformance target.

Run with Debian's /usr/bin/python3 (that is where python3-aiosmtpd lives); started and
stopped by scripts/targets/aiosmtpd.sh. Domain example.test (and the host name
mx.example.test and [127.0.0.1]) is local with mailboxes alice, bob and postmaster,
stored as Maildirs (with Return-Path and Delivered-To prepended); every other domain is remote and relayed messages are forwarded to
the smtpgate sink on loopback. Nothing leaves the machine.

Relay policy by --variant:
  good                only the SASL account `relayer` may relay (per-user authorization)
  open-relay          anyone may relay
  auth-implies-relay  any authenticated account may relay (the MS02-011 pattern)

Accounts: relayer/relayer-pass (may relay), guest/guest-pass (must not). AUTH PLAIN and
LOGIN are offered without TLS (loopback only); STARTTLS with the given certificate.
"""

import argparse
import asyncio
import os
import signal
import smtplib
import socket
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

LOCAL_DOMAINS = {"example.test", "mx.example.test", "[127.0.0.1]"}
MAILBOXES = {"alice", "bob", "postmaster"}
ACCOUNTS = {"relayer": "relayer-pass", "guest": "guest-pass"}
MAY_RELAY = {"relayer"}
# Like Postfix's smtpd_hard_error_limit: after this many refused recipients in one
# connection the server answers 421 and closes (bounds dictionary attacks).
RCPT_ERROR_LIMIT = 20


def split_address(address):
    """(local part, lower-cased domain); domain '' for an unqualified address."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address, ""
    return local, domain.lower()


class Policy:
    def __init__(self, variant):
        self.variant = variant

    def may_relay(self, session):
        if self.variant == "open-relay":
            return True
        if not session.authenticated:
            return False
        if self.variant == "auth-implies-relay":
            return True
        return session.auth_data in MAY_RELAY


class Handler:
    def __init__(self, policy, spool, sink):
        self.policy = policy
        self.spool = spool
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.check_recipient(session, address)
        if refusal is None:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        errors = getattr(session, "rcpt_errors", 0) + 1
        session.rcpt_errors = errors
        if errors > RCPT_ERROR_LIMIT:
            # aiosmtpd has no error limit of its own: close once the reply is written.
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
            return "421 4.7.0 mx.example.test Error: too many errors"
        return refusal

    def check_recipient(self, session, address):
        """None to accept, else the refusal."""
        local, domain = split_address(address)
        if not domain and local.lower() == "postmaster":
            return None  # RFC 5321 §4.5.1: <postmaster> without a domain
        if domain in LOCAL_DOMAINS:
            return None if local.lower() in MAILBOXES else "550 5.1.1 User unknown"
        if not domain:
            return "550 5.1.3 Unqualified recipient address"
        if not self.policy.may_relay(session):
            return "554 5.7.1 Relay access denied"
        return None

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        local = [a for a in envelope.rcpt_tos if split_address(a)[1] in LOCAL_DOMAINS or
                 "@" not in a]
        remote = [a for a in envelope.rcpt_tos if a not in local]
        loop = asyncio.get_running_loop()
        try:
            for address in local:
                await loop.run_in_executor(
                    None, self.store, envelope.mail_from, address, content)
            if remote:
                await loop.run_in_executor(
                    None, self.forward, envelope.mail_from, remote, content)
        except (OSError, smtplib.SMTPException) as error:
            print(f"aiosmtpd target: delivery failed: {error}", file=sys.stderr)
            return "451 4.3.0 Delivery failed, try again later"
        return "250 2.0.0 OK: queued"

    def store(self, mail_from, address, content):
        """Maildir delivery: write to tmp/, fsync, rename into new/, fsync the directory.

        Like a delivery agent (Postfix virtual(8), Dovecot LDA), prepend the envelope:
        Return-Path (the sender, <> for the null sender) and Delivered-To.
        """
        envelope = (f"Return-Path: <{mail_from or ''}>\r\n"
                    f"Delivered-To: {address}\r\n").encode("utf-8", "surrogateescape")
        content = envelope + content
        user = split_address(address)[0].lower()
        box = os.path.join(self.spool, user)
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(box, sub), exist_ok=True)
        name = f"{time.time_ns()}.{os.getpid()}.{socket.gethostname()}"
        tmp = os.path.join(box, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(box, "new", name))
        fd = os.open(os.path.join(box, "new"), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def forward(self, mail_from, recipients, content):
        host, port = self.sink
        with smtplib.SMTP(host, port, local_hostname="mx.example.test", timeout=10) as client:
            client.sendmail(mail_from or "<>", recipients, content)


def authenticator(server, session, envelope, mechanism, auth_data):
    if envelope.mail_from is not None:
        # aiosmtpd itself allows AUTH inside a transaction; RFC 4954 §4 says 503.
        return AuthResult(success=False, handled=False,
                          message="503 5.5.1 Error: AUTH not permitted in a mail transaction")
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    login = auth_data.login.decode("utf-8", "replace")
    password = auth_data.password.decode("utf-8", "replace")
    if login in ACCOUNTS and ACCOUNTS[login] == password:
        return AuthResult(success=True, auth_data=login)
    return AuthResult(success=False, handled=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", required=True,
                        choices=["good", "open-relay", "auth-implies-relay"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sink", required=True, help="HOST:PORT of the smtpgate sink")
    parser.add_argument("--spool", required=True, help="maildir root for local mail")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    sink_host, _, sink_port = args.sink.rpartition(":")
    if not sink_host.startswith("127.") or not sink_port.isdigit():
        parser.error("--sink must be a loopback HOST:PORT")

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    handler = Handler(Policy(args.variant), args.spool, (sink_host, int(sink_port)))

    def factory():
        return SMTP(handler, hostname="mx.example.test",
                    ident=f"aiosmtpd (smtpgate target: {args.variant})",
                    data_size_limit=10 * 1024 * 1024, tls_context=tls,
                    require_starttls=False, auth_required=False, auth_require_tls=False,
                    authenticator=authenticator, timeout=60)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", args.port))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print(f"aiosmtpd target ({args.variant}) on 127.0.0.1:{args.port}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == "__main__":
    main()
