"""The tutorial's client: one request per connection, read the reply, close.

Usage: python3 tutorial_client.py HOST PORT ACTION VALUE
       python3 tutorial_client.py HOST PORT binary TEXT
Prints the reply's header and content as one JSON line.
"""

import json
import socket
import sys

from tutorial_protocol import encode, make_frame, read_frame


def main():
    host, port, action, value = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if action == "binary":
        frame = make_frame(value.encode("utf-8"), "binary/custom-client-binary-type", "binary")
    else:
        frame = make_frame(encode({"action": action, "value": value}), "text/json", "utf-8")
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(frame)
        header, content = read_frame(sock)
        # The tutorial's server closes after its reply: the next read is EOF.
        closed = sock.recv(1) == b""
    shown = content.decode("utf-8") if header["content-type"] == "text/json" else content.decode("latin-1")
    print(json.dumps({"header": header, "content": shown, "closed_after_reply": closed}, ensure_ascii=False))


if __name__ == "__main__":
    main()
