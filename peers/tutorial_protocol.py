"""The tutorial's JSON-header protocol, written as its Python peers write it.

Shared by the peer scripts: a 2-byte big-endian proto-header, a UTF-8 JSON
header made with json.dumps(..., ensure_ascii=False), then the content.
"""

import json
import struct
import sys

SEARCH = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}


def encode(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def make_frame(content_bytes, content_type, content_encoding):
    header = {
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": len(content_bytes),
    }
    header_bytes = encode(header)
    return struct.pack(">H", len(header_bytes)) + header_bytes + content_bytes


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"peer closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(sock):
    (header_len,) = struct.unpack(">H", recv_exactly(sock, 2))
    header = json.loads(recv_exactly(sock, header_len).decode("utf-8"))
    for key in ("byteorder", "content-length", "content-type", "content-encoding"):
        if key not in header:
            raise ValueError(f"missing required header {key!r}")
    content = recv_exactly(sock, header["content-length"])
    return header, content


def reply_for(header, content):
    if header["content-type"] == "text/json":
        request = json.loads(content.decode(header["content-encoding"]))
        action = request.get("action")
        if action == "search":
            query = request.get("value")
            answer = SEARCH.get(query) or f"No match for '{query}'."
            result = {"result": answer}
        else:
            result = {"result": f"Error: invalid action '{action}'."}
        return make_frame(encode(result), "text/json", "utf-8")
    return make_frame(
        b"First 10 bytes of request: " + content[:10],
        "binary/custom-server-binary-type",
        "binary",
    )
