#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_session: complete SMTP sessions.

Each seed is: one configuration byte, one chunking byte, then the client's bytes (see
fuzzers/fuzz_session.cc for what the bytes select). Run from the repository root:
    python3 scripts/corpus/make_session_seeds.py
"""
import base64
import os

OUT = "corpus/fuzz_session"

SECURE, STRICT, PER_CONNECTION_CRASH, NULL_SESSION = 0, 1, 2, 3
OPEN_RELAY, AUTH_RELAY, MS02012, BARE_LF = 4, 5, 6, 7
TLS = 8
AUTH_NEEDS_TLS = 16
NO_FILTER = 32
KEEP_BARE = 64
TIGHT = 128


def plain(user, password, authzid=""):
    return "AUTH PLAIN " + base64.b64encode(
        f"{authzid}\0{user}\0{password}".encode()).decode()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def lines(*commands):
    return "".join(c + "\r\n" for c in commands)


MSG = "Subject: seed\r\n\r\nhello\r\n..stuffed\r\n.\r\n"

seeds = {}


def add(name, body, config=SECURE, chunking=7):
    data = bytes([config, chunking]) + (body.encode("utf-8") if isinstance(body, str) else body)
    seeds[name] = data


add("local-delivery", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
                            "RCPT TO:<alice@example.test>", "DATA") + MSG + lines("QUIT"))
add("helo-local-delivery", lines("HELO c.test", "MAIL FROM:<a@remote.invalid>",
                                 "RCPT TO:<bob@example.test>", "DATA") + MSG)
add("pipelined", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>", "RCPT TO:<alice@example.test>",
                       "RCPT TO:<bob@example.test>", "DATA") + MSG +
    lines("MAIL FROM:<>", "RCPT TO:<postmaster>", "DATA") + MSG + lines("QUIT"), chunking=200)
add("relayer-relays", lines("EHLO c.test", plain("relayer", "relayer-pass"),
                            "MAIL FROM:<relayer@example.test>", "RCPT TO:<v@remote.invalid>",
                            "DATA") + MSG)
add("guest-tries-relay", lines("EHLO c.test", plain("guest", "guest-pass"),
                               "MAIL FROM:<guest@example.test>", "RCPT TO:<v@remote.invalid>",
                               "DATA") + MSG)
add("guest-auth-implies-relay", lines("EHLO c.test", plain("guest", "guest-pass"),
                                      "MAIL FROM:<guest@example.test>", "RCPT TO:<v@remote.invalid>",
                                      "DATA") + MSG, config=AUTH_RELAY)
add("anonymous-open-relay", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
                                  "RCPT TO:<v@remote.invalid>", "DATA") + MSG, config=OPEN_RELAY)
add("auth-login", lines("EHLO c.test", "AUTH LOGIN", b64("relayer"), b64("relayer-pass"),
                        "MAIL FROM:<relayer@example.test>", "RCPT TO:<v@remote.invalid>"))
add("auth-login-initial", lines("EHLO c.test", "AUTH LOGIN " + b64("guest"), b64("guest-pass")))
add("auth-cancel", lines("EHLO c.test", "AUTH LOGIN", "*", "AUTH PLAIN", "*",
                         "MAIL FROM:<a@example.test>", "RCPT TO:<v@remote.invalid>"))
add("auth-wrong-password", lines("EHLO c.test", plain("relayer", "nope"),
                                 "MAIL FROM:<a@example.test>", "RCPT TO:<v@remote.invalid>"))
add("auth-authzid-impersonation", lines("EHLO c.test", plain("guest", "guest-pass", "relayer"),
                                        "MAIL FROM:<a@example.test>", "RCPT TO:<v@remote.invalid>"))
add("auth-null-credentials", lines("EHLO c.test", "AUTH PLAIN =", "AUTH PLAIN AAA=",
                                   "AUTH PLAIN !!!"))
add("auth-twice", lines("EHLO c.test", plain("guest", "guest-pass"), plain("relayer", "relayer-pass")))
add("auth-in-transaction", lines("EHLO c.test", "MAIL FROM:<a@example.test>",
                                 plain("relayer", "relayer-pass")))
add("auth-before-ehlo", lines(plain("relayer", "relayer-pass"), "HELO c.test",
                              plain("relayer", "relayer-pass")))
add("auth-unknown-mech", lines("EHLO c.test", "AUTH CRAM-MD5", "AUTH GSSAPI"))
add("auth-needs-tls", lines("EHLO c.test", plain("relayer", "relayer-pass"), "STARTTLS", "EHLO c.test",
                            plain("relayer", "relayer-pass")), config=TLS | AUTH_NEEDS_TLS)
add("mail-auth-param", lines("EHLO c.test", "MAIL FROM:<a@example.test> AUTH=relayer@example.test",
                             "RCPT TO:<v@remote.invalid>"))
kb = [("user@remote.invalid", "victim@other.invalid"), ("alice", "victim@remote.invalid"),
      ("<>", "victim@remote.invalid"), ("alice@example.test", "user@remote.invalid"),
      ("user@[127.0.0.1]", "user@remote.invalid"), ("alice", "user%remote.invalid"),
      ("alice", '"user@remote.invalid"')]
for i, (f, t) in enumerate(kb, 1):
    add(f"kb304897-{i}", lines("EHLO c.test", "RSET", "MAIL FROM:" + f, "RCPT TO:" + t, "DATA") + MSG,
        config=NO_FILTER if i >= 6 else SECURE)
nmap = ["<to%remote.invalid@[127.0.0.1]>", "<to%remote.invalid@mx.example.test>", '<"to@remote.invalid">',
        '<"to%remote.invalid">', "<to@remote.invalid@[127.0.0.1]>", '<"to@remote.invalid"@[127.0.0.1]>',
        "<@[127.0.0.1]:to@remote.invalid>", "<@mx.example.test:to@remote.invalid>", "<remote.invalid!to>",
        "<remote.invalid!to@[127.0.0.1]>", "<@a.invalid,@b.invalid:to@remote.invalid>",
        "<to@REMOTE.INVALID>", "<postmaster>"]
for i, t in enumerate(nmap, 5):
    add(f"nmap-{i:02d}", lines("EHLO c.test", "MAIL FROM:<from@[127.0.0.1]>", "RCPT TO:" + t, "RSET"))
add("bdat-chunks", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>", "RCPT TO:<alice@example.test>")
    + "BDAT 5\r\nhelloBDAT 6 LAST\r\n world" + lines("QUIT"))
add("bdat-zero-last", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>", "RCPT TO:<alice@example.test>",
                            "BDAT 0 LAST"))
add("bdat-no-transaction", "EHLO c.test\r\nBDAT 4\r\nb00mAUTH LOGIN\r\n*\r\n")
add("bdat-ms02012", "EHLO c.test\r\nBDAT 4\r\nb00mAUTH LOGIN\r\n", config=MS02012)
for bad in ["abc", "-1", "99999999999999999999", "", "10 FIRST", "1.5"]:
    add(f"bdat-bad-{bad or 'empty'}".replace(" ", "-"),
        lines("EHLO c.test", "MAIL FROM:<a@example.test>", "RCPT TO:<alice@example.test>",
              ("BDAT " + bad).rstrip()), config=MS02012 if bad == "abc" else SECURE)
add("bdat-then-data", lines("EHLO c.test", "MAIL FROM:<a@example.test>", "RCPT TO:<alice@example.test>")
    + "BDAT 2\r\nabDATA\r\nBDAT 1 LAST\r\nc")
add("bdat-rset", lines("EHLO c.test", "MAIL FROM:<a@example.test>", "RCPT TO:<alice@example.test>")
    + "BDAT 3\r\nabcRSET\r\nBDAT 1 LAST\r\nx")
add("bdat-oversize", lines("EHLO c.test", "MAIL FROM:<a@example.test>", "RCPT TO:<alice@example.test>")
    + "BDAT 100\r\n" + "z" * 100 + "NOOP\r\n", config=TIGHT)
smuggle = ["\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r",
           "\r\n\0.\r\n", "\r\n.\0\r\n", "\r\n.\r\r\n", "\r\r\n.\r\r\n"]
for i, seq in enumerate(smuggle):
    body = (lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>", "RCPT TO:<alice@example.test>", "DATA")
            + "first" + seq + lines("MAIL FROM:<smuggled@remote.invalid>", "RCPT TO:<bob@example.test>",
                                    "DATA") + "hidden\r\n.\r\n")
    add(f"smuggle-{i:02d}", body, config=BARE_LF if i == 0 else (KEEP_BARE if i % 2 else SECURE))
add("starttls-injection", lines("EHLO c.test") + "STARTTLS\r\nRSET\r\nMAIL FROM:<a@example.test>\r\n",
    config=TLS)
add("starttls-injection-auth", lines("EHLO c.test") + "STARTTLS\r\nEHLO x\r\n" +
    plain("relayer", "relayer-pass") + "\r\nMAIL FROM:<a@example.test>\r\n", config=TLS)
add("starttls-twice", lines("EHLO c.test", "STARTTLS", "EHLO c.test", "STARTTLS", "STARTTLS x"), config=TLS)
add("too-many-rcpt", lines("EHLO c.test", "MAIL FROM:<a@example.test>") +
    lines(*["RCPT TO:<alice@example.test>"] * 5), config=TIGHT)
add("long-line", "EHLO " + "a" * 600 + "\r\nNOOP\r\n")
add("bare-lf-command", "EHLO c.test\nNOOP\r\nRSET\r\n")
add("nul-command", "EHLO c\0.test\r\nNOOP\r\n")
add("size-exceeded", lines("EHLO c.test", "MAIL FROM:<a@example.test> SIZE=99999999999"))
add("params", lines("EHLO c.test", "MAIL FROM:<a@example.test> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=x+2By",
                    "RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.test"))
add("injection-strings", lines("EHLO c.test", "MAIL FROM:<;sleep 66;>",
                               "RCPT TO:<${run{/bin/sh -c id}}@localhost>"))
add("vrfy-expn-help", lines("EHLO c.test", "VRFY alice", "VRFY nobody", "EXPN staff", "HELP", "NOOP x"))
add("errors", lines(*["FOO"] * 12), config=TIGHT)
add("data-long-line", lines("EHLO c.test", "MAIL FROM:<a@example.test>", "RCPT TO:<alice@example.test>",
                            "DATA") + "x" * 1200 + "\r\n.\r\nNOOP\r\n")
add("utf8", lines("EHLO c.test", "MAIL FROM:<j\u00f6rg@example.test> SMTPUTF8", "RCPT TO:<alice@example.test>"))

# Seeds for the security mutants of tests/mutants/ (each one's trigger, in the profile and
# configuration where the spec model decides it; see fuzzers/spec_model.h).
def chunk_byte(first_at_least):
    """A chunking byte whose first Feed() piece holds at least `first_at_least` octets."""
    for b in range(1, 255):
        seed = (b * 2654435761 + 1) & 0xFFFFFFFF
        seed = (seed * 1103515245 + 12345) & 0xFFFFFFFF
        if 1 + (seed >> 16) % 97 >= first_at_least:
            return b
    raise ValueError(first_at_least)


TX = lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>", "RCPT TO:<alice@example.test>")
add("bdat-size-2pow32-plus-14", TX + "BDAT 4294967310 LAST\r\nsgtok-12345678")
add("bdat-size-2pow32", TX + "BDAT 4294967296 LAST\r\nabcd\r\nNOOP\r\n")
add("bdat-rset-partial-chunk", TX + "BDAT 6\r\nOLDOLD" + lines("RSET", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<alice@example.test>") + "BDAT 5 LAST\r\nclean" + lines("QUIT"))
add("starttls-then-mail", lines("EHLO c.test", "STARTTLS") + "x" * 100 + "\r\n" +
    lines("NOOP", "MAIL FROM:<a@example.test>", "EHLO c.test", "MAIL FROM:<a@example.test>"),
    config=TLS, chunking=chunk_byte(1))
add("tight-anonymous-refusals", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<x@remote.invalid>", "RCPT TO:<nobody@example.test>"), config=TIGHT)
add("tight-authenticated-refusals", lines("EHLO c.test", plain("guest", "guest-pass"),
    "MAIL FROM:<guest@example.test>", "RCPT TO:<x@remote.invalid>", "VRFY"), config=TIGHT)
add("tight-long-command-line", "NOOP " + "x" * 70 + "\r\nNOOP\r\n", config=TIGHT,
    chunking=chunk_byte(90))
add("mixed-local-then-remote", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<alice@example.test>", "RCPT TO:<victim@remote.invalid>", "DATA") + MSG)
add("source-route-to-local-user", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<@mx.example.test:alice@remote.invalid>", "RCPT TO:<@[127.0.0.1]:bob@remote.invalid>"))
add("tight-bdat-over-size-limit", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<alice@example.test>") + "BDAT 100 LAST\r\n" + "x" * 98 + "\r\n" + lines("NOOP"),
    config=TIGHT)
add("strict-pipelined", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<alice@example.test>", "DATA") + MSG, config=STRICT | TLS)
add("strict-auth-inside-tls", lines("EHLO c.test", plain("relayer", "relayer-pass"), "STARTTLS") +
    "x" * 100 + "\r\n" + lines("EHLO c.test", plain("relayer", "relayer-pass"),
    "MAIL FROM:<relayer@example.test>", "RCPT TO:<x@remote.invalid>"), config=STRICT | TLS,
    chunking=chunk_byte(1))
add("strict-bare-lf-and-long-line", "EHLO c.test\r\nNOOP\n" + "NOOP " + "x" * 600 + "\r\n",
    config=STRICT)
add("per-connection-crash-long-ehlo", "EHLO " + "a" * 600 + "\r\nNOOP\r\n",
    config=PER_CONNECTION_CRASH)
add("null-session-auth", lines("EHLO c.test", "AUTH PLAIN AAA=", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<x@remote.invalid>"), config=NULL_SESSION)
add("trusted-loopback-relay", lines("EHLO c.test", "MAIL FROM:<a@example.test>",
    "RCPT TO:<victim@remote.invalid>"))

# Every verb the command table allows in a state, in that state (the state x verb matrix of
# scripts/coverage.sh lists these pairs as "allowed but never reached" otherwise).
OTHER_VERBS = ["NOOP", "VRFY alice", "EXPN staff", "HELP", "HELP MAIL"]
add("verbs-before-greeting", lines(*OTHER_VERBS, "BDAT 3 LAST") + "abc" + lines("EHLO c.test"))
add("quit-before-greeting", lines("QUIT"))
add("verbs-greeted", lines("EHLO c.test", "HELO c.test", "EHLO c.test", *OTHER_VERBS, "QUIT"))
add("verbs-in-mail", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>", *OTHER_VERBS) +
    "BDAT 3 LAST\r\nabc" + lines("HELO c.test", "MAIL FROM:<a@remote.invalid>", "EHLO c.test",
                                  "MAIL FROM:<a@remote.invalid>", "QUIT"))
add("verbs-in-rcpt", TX + lines(*OTHER_VERBS, "HELO c.test", "MAIL FROM:<a@remote.invalid>",
                                "RCPT TO:<bob@example.test>", "EHLO c.test",
                                "MAIL FROM:<a@remote.invalid>", "RCPT TO:<bob@example.test>",
                                "QUIT"))
add("verbs-in-bdat", TX + "BDAT 3\r\nabc" + lines(*OTHER_VERBS, "HELO c.test") + TX +
    "BDAT 3\r\nabc" + lines("EHLO c.test") + TX + "BDAT 3\r\nabc" + lines("QUIT"))

# And every verb the table refuses in a state (503), tried there.
add("refused-before-greeting", lines("RCPT TO:<alice@example.test>", "DATA", "STARTTLS",
                                     "EHLO c.test"))
add("refused-greeted", lines("EHLO c.test", "RCPT TO:<alice@example.test>", "DATA"))
add("refused-in-mail", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
                             "MAIL FROM:<b@remote.invalid>", "STARTTLS", "DATA"),
    config=TLS)
add("refused-in-rcpt", TX + lines("MAIL FROM:<b@remote.invalid>", "STARTTLS",
                                  plain("relayer", "relayer-pass")), config=TLS)
add("refused-in-bdat", TX + "BDAT 3\r\nabc" + lines(
    "MAIL FROM:<b@remote.invalid>", "RCPT TO:<bob@example.test>", "STARTTLS",
    plain("relayer", "relayer-pass"), "DATA") + "BDAT 0 LAST\r\n", config=TLS)

# BODY=BINARYMIME: a BDAT message whose bare CR and LF are content (RFC 3030), which
# fuzz_session once flagged as a bare line ending (found by the structure-aware mutator).
add("binarymime-bdat-bare-cr", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid> BODY=BINARYMIME",
    "RCPT TO:<alice@example.test>") + "BDAT 9 LAST\r\n\r\n.\r\n\r\n.\r" + lines("NOOP"))

# Address literals written with leading zeros: one address by value (RFC 5321 Snum is a
# decimal value), which the spec model once compared as text; and a general literal with a
# '>' inside, which it once cut there (both found by the mutator).
add("literal-leading-zeros", lines("EHLO c.test", "MAIL FROM:<a@remote.invalid>",
    "RCPT TO:<victim@[096.0.2.1]>", "RCPT TO:<alice@[127.000.0.01]>",
    "RCPT TO:<alice@[IPv6:0:0:0:0:0:0:0:1]>", "RCPT TO:<alice@[IPv5:>:1]>"))

# The regression reproducers (regression-*, written by smtpgate fuzz-to-transcript's
# workflow, see docs/fuzzing.md) are kept; every other file is this script's.
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    if not name.startswith("regression-"):
        os.remove(os.path.join(OUT, name))
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
