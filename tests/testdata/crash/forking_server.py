#!/usr/bin/python3
"""A forking SMTP server whose per-connection child crashes: for tests/crash_log_test.cc.

usage: forking_server.py PORT LOG

Like Postfix's master and smtpd: the parent accepts on 127.0.0.1:PORT and forks a child per
connection; it keeps running whatever a child does, and logs each child that dies by a
signal to LOG ("... child pid N killed by signal 11"). The child answers 220, EHLO, NOOP
and QUIT, and dies of SIGSEGV on RSET (the per-connection crash the runner must report).
"""

import os
import signal
import socket
import sys
import time


def log(path, text):
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{time.strftime('%b %d %H:%M:%S')} forking-server[{os.getpid()}]: {text}\n")


def child(conn):
    conn.sendall(b"220 crash.test ESMTP\r\n")
    buffer = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buffer += data
        while b"\r\n" in buffer:
            line, buffer = buffer.split(b"\r\n", 1)
            verb = line.split(b" ", 1)[0].upper()
            if verb == b"RSET":
                signal.signal(signal.SIGSEGV, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGSEGV)
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            elif verb in (b"EHLO", b"NOOP"):
                conn.sendall(b"250 crash.test\r\n")
            else:
                conn.sendall(b"502 not here\r\n")


def main():
    port, log_path = int(sys.argv[1]), sys.argv[2]

    def reap(_signum, _frame):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if os.WIFSIGNALED(status):
                log(log_path, f"warning: child pid {pid} killed by signal {os.WTERMSIG(status)}")

    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    log(log_path, "daemon started")
    while True:
        try:
            conn, _ = server.accept()
        except InterruptedError:
            continue
        if os.fork() == 0:
            server.close()
            try:
                child(conn)
            finally:
                os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
