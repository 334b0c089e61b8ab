"""The seed's multi-connection echo server (selectors, no framing).

Usage: python3 seed_echo_server.py HOST PORT
Prints "listening on PORT" once bound (PORT 0 picks a free one); echoes every
byte back until killed. Used by the benchmark as the seed's baseline.
"""

import selectors
import socket
import sys
import types


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    selector = selectors.DefaultSelector()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1024)
    listener.setblocking(False)
    print("listening on", listener.getsockname()[1], flush=True)
    selector.register(listener, selectors.EVENT_READ, None)
    while True:
        for key, mask in selector.select(timeout=None):
            if key.data is None:
                conn, addr = key.fileobj.accept()
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                data = types.SimpleNamespace(addr=addr, outb=b"")
                selector.register(conn, selectors.EVENT_READ, data)
            else:
                service(selector, key, mask)


def service(selector, key, mask):
    sock, data = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        try:
            received = sock.recv(65536)
        except ConnectionError:
            received = b""
        if not received:
            selector.unregister(sock)
            sock.close()
            return
        data.outb += received
    if data.outb:
        try:
            sent = sock.send(data.outb)
        except BlockingIOError:
            sent = 0
        except ConnectionError:
            selector.unregister(sock)
            sock.close()
            return
        data.outb = data.outb[sent:]
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if data.outb else 0)
    selector.modify(sock, events, data)


if __name__ == "__main__":
    main()
