"""The tutorial's client over TLS, with Python's ssl module: one request,
read the reply, close.

Usage: python3 tls_tutorial_client.py HOST PORT CAFILE SERVER_NAME ACTION VALUE [MAX_VERSION]
MAX_VERSION (1.2 or 1.3) caps the TLS version offered.
Trusts only the CA (or self-signed certificate) in CAFILE and checks the
certificate against SERVER_NAME. Prints the reply's header, content and the
TLS version as one JSON line.
"""

import json
import socket
import ssl
import sys

from tutorial_protocol import encode, make_frame, read_frame


def main():
    host, port, cafile, name, action, value = sys.argv[1:7]
    context = ssl.create_default_context(cafile=cafile)
    if len(sys.argv) > 7:
        context.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[sys.argv[7]]
    frame = make_frame(encode({"action": action, "value": value}), "text/json", "utf-8")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=name) as sock:
            sock.sendall(frame)
            header, content = read_frame(sock)
            closed = sock.recv(1) == b""
            version = sock.version()
    print(json.dumps({
        "header": header,
        "content": content.decode("utf-8"),
        "closed_after_reply": closed,
        "version": version,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
