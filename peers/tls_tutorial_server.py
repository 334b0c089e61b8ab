"""The tutorial's app server over TLS, with Python's ssl module: one request
per connection, one reply, close.

Usage: python3 tls_tutorial_server.py HOST PORT CERTFILE KEYFILE CONNECTIONS
Prints "listening on PORT" once bound (PORT 0 picks a free one), then serves
CONNECTIONS connections, one at a time.
"""

import socket
import ssl
import sys

from tutorial_protocol import read_frame, reply_for


def main():
    host, port, certfile, keyfile, remaining = sys.argv[1:6]
    remaining = int(remaining)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, int(port)))
    listener.listen()
    listener.settimeout(30)
    print("listening on", listener.getsockname()[1], flush=True)
    while remaining > 0:
        raw, _addr = listener.accept()
        raw.settimeout(10)
        try:
            with context.wrap_socket(raw, server_side=True) as conn:
                header, content = read_frame(conn)
                conn.sendall(reply_for(header, content))
        except (ssl.SSLError, OSError):
            pass
        remaining -= 1
    listener.close()


if __name__ == "__main__":
    main()
