"""The tutorial's app server: one request per connection, one reply, close.

Usage: python3 tutorial_server.py HOST PORT [CONNECTIONS]
Prints "listening on PORT" once bound (PORT 0 picks a free one), then serves
CONNECTIONS connections (default: forever) with selectors, as the tutorial does.
"""

import selectors
import socket
import sys

from tutorial_protocol import read_frame, reply_for


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    remaining = int(sys.argv[3]) if len(sys.argv) > 3 else None
    selector = selectors.DefaultSelector()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen()
    print("listening on", listener.getsockname()[1], flush=True)
    selector.register(listener, selectors.EVENT_READ)
    while remaining is None or remaining > 0:
        for _key, _mask in selector.select(timeout=30):
            conn, _addr = listener.accept()
            with conn:
                conn.settimeout(10)
                header, content = read_frame(conn)
                conn.sendall(reply_for(header, content))
            if remaining is not None:
                remaining -= 1
    listener.close()


if __name__ == "__main__":
    main()
