#!/usr/bin/env python3
"""Writes journal files with every kind of read error, from a framescope
binary, so later builds can be tested against files an earlier one wrote.

    python3 tests/data/make_old_journal.py target/debug/framescope tests/data

Makes `errors-before-read-error.jsonl` (a plain server: a good frame, a
header that is not JSON, content over the limit, a stall past the read
timeout, a reset mid-frame, a close mid-frame and a connection over the
cap) and `handshake-before-read-error.jsonl` (a TLS server that a plain
TCP client greets with bytes that are not TLS).
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time


def frame(header, content=b""):
    text = json.dumps(header).encode()
    return struct.pack(">H", len(text)) + text + content


def serve(binary, log, *extra):
    process = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--log", log, *extra],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    port = int(line.split("127.0.0.1:")[1].split()[0].rstrip(",;"))
    return process, port


def stop(process):
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def plain(binary, directory):
    process, port = serve(binary, os.path.join(directory, "errors-before-read-error.jsonl"),
                          "--read-timeout", "1", "--max-connections", "2",
                          "--max-content", "100")
    address = ("127.0.0.1", port)
    good = frame({"byteorder": "little", "content-type": "text/json",
                  "content-encoding": "utf-8", "content-length": 2}, b"{}")
    with socket.create_connection(address) as s:
        s.sendall(good)
        s.recv(4096)
    with socket.create_connection(address) as s:
        s.sendall(struct.pack(">H", 5) + b"nope!")
        time.sleep(0.3)
    with socket.create_connection(address) as s:
        s.sendall(frame({"byteorder": "little", "content-type": "text/json",
                         "content-encoding": "utf-8", "content-length": 1000}))
        time.sleep(0.3)
    with socket.create_connection(address) as s:
        s.sendall(good[:7])
        time.sleep(1.8)
    s = socket.create_connection(address)
    s.sendall(good[:9])
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    with socket.create_connection(address) as s:
        s.sendall(good[:-1])
        time.sleep(0.2)
    held = [socket.create_connection(address) for _ in range(2)]
    time.sleep(0.3)
    with socket.create_connection(address) as s:
        time.sleep(0.3)
    for s in held:
        s.close()
    time.sleep(0.5)
    stop(process)


def handshake(binary, directory):
    process, port = serve(binary, os.path.join(directory, "handshake-before-read-error.jsonl"),
                          "--tls")
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        time.sleep(0.5)
    time.sleep(0.3)
    stop(process)


if __name__ == "__main__":
    plain(sys.argv[1], sys.argv[2])
    handshake(sys.argv[1], sys.argv[2])
