"""Writes the decoder fuzz target's seed corpus into fuzz/seeds/.

The seeds are the cases of tests/hostile.rs and tests/it/codec.rs, framed as
the tutorial's Python peers frame them (peers/tutorial_protocol.py). Each
seed starts with the target's two control bytes: the content limit to use
(an index into LIMITS in fuzz_targets/decode.rs) and how many chunk sizes
follow, then those sizes, then the stream.

Run from anywhere: python3 fuzz/make_seeds.py
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))
from tutorial_protocol import encode, make_frame  # noqa: E402

# Indexes into LIMITS in fuzz_targets/decode.rs.
LIMIT_1_MIB = 3
LIMIT_16_MIB = 4
LIMIT_MAX = 5


def frame_with_header(header_bytes, content=b""):
    return struct.pack(">H", len(header_bytes)) + header_bytes + content


def header(**overrides):
    fields = {
        "byteorder": "little",
        "content-type": "binary/x",
        "content-encoding": "binary",
        "content-length": 0,
    }
    for key, value in overrides.items():
        fields[key.replace("_", "-")] = value
    return encode(fields)


def announcing(length_text):
    text = (
        '{"byteorder": "little", "content-type": "binary/x", '
        '"content-encoding": "binary", "content-length": %s}' % length_text
    )
    return frame_with_header(text.encode())


def garbage(length):
    state = 0x2545F491
    out = bytearray()
    for _ in range(length):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(ord("!") + (state >> 24) % 94)
    out[0] = ord("x")
    return bytes(out)


def seed(stream, limit=LIMIT_1_MIB, splits=()):
    return bytes([limit, len(splits)]) + bytes(splits) + stream


def main():
    search = make_frame(encode({"action": "search", "value": "morpheus"}), "text/json", "utf-8")
    dog = make_frame(encode({"action": "search", "value": "\U0001f436"}), "text/json", "utf-8")
    binary = make_frame(b"\x00\x01binary-payload", "binary/custom-client-binary-type", "binary")
    extra = frame_with_header(
        encode({"byteorder": "big", "content-type": "binary/x", "content-encoding": "binary",
                "content-length": 3, "request-id": 7, "name": "h\u00e9llo \U0001f430"}),
        b"abc",
    )
    escaped = frame_with_header(
        b'{"byteorder": "big", "content-type": "text/json", "content-encoding": "utf-8", '
        b'"content-length": 0, "name": "h\\u00e9llo \\ud83d\\udc30"}'
    )
    cut = make_frame(b"0123456789", "text/json", "utf-8")
    header_len = len(cut) - 2 - 10
    seeds = {
        "good-search": seed(search),
        "good-search-split": seed(search, splits=(1, 1, 3, 7)),
        "good-three-frames-split": seed(search + dog + binary, splits=(2, 5, 40, 1, 0)),
        "good-extra-keys": seed(extra),
        "good-escaped-unicode": seed(escaped),
        "good-ten-frames": seed(b"".join(make_frame(b"frame %d" % i, "binary/x", "binary") for i in range(10))),
        "proto-header-0": seed(b"\x00\x00{}"),
        "garbage-header-1000": seed(frame_with_header(garbage(1000))),
        "garbage-header-65535": seed(frame_with_header(garbage(65535))),
        "not-utf8": seed(frame_with_header(b'{"byteorder": "\xff"}')),
        "not-json": seed(frame_with_header(b"{byteorder: little}")),
        "json-array": seed(frame_with_header(b'["byteorder", "little"]')),
        "json-string": seed(frame_with_header(b'"byteorder"')),
        "json-number": seed(frame_with_header(b"42")),
        "length-negative": seed(frame_with_header(header(content_length=-1))),
        "length-fraction": seed(frame_with_header(header(content_length=1.5))),
        "length-string": seed(frame_with_header(header(content_length="10"))),
        "length-null": seed(frame_with_header(header(content_length=None))),
        "length-2-pow-64": seed(announcing("18446744073709551616")),
        "type-not-string": seed(frame_with_header(header(content_type=7))),
        "length-over-limit": seed(announcing(str(4 << 30)), limit=LIMIT_16_MIB),
        "length-huge-under-max-limit": seed(announcing(str(1 << 40)) + b"\x07" * 64, limit=LIMIT_MAX),
        "length-u64-max-under-max-limit": seed(announcing(str(2**64 - 1)), limit=LIMIT_MAX),
        "cut-in-proto-header": seed(cut[:1]),
        "cut-in-header": seed(cut[: 2 + 5]),
        "cut-in-content": seed(cut[: len(cut) - 3]),
        "good-then-cut-split": seed(search + cut[: 2 + header_len + 4], splits=(3, 3, 3)),
        "good-then-bad": seed(search + frame_with_header(b'{"content-type": "a"}')),
        # Found by fuzzing: JSON the validator skimmed but a full parse refuses.
        "lone-surrogate": seed(frame_with_header(header(name="x")[:-1] + b', "bad": "h\\ud83d"}')),
        "number-out-of-range": seed(frame_with_header(header()[:-1] + b', "big": 1e400}')),
        "deep-nesting": seed(frame_with_header(header()[:-1] + b', "deep": ' + b"[" * 200 + b"]" * 200 + b"}")),
    }
    for key in ("byteorder", "content-type", "content-encoding", "content-length"):
        fields = json.loads(header())
        del fields[key]
        seeds["missing-" + key] = seed(frame_with_header(encode(fields)))
    out = os.path.join(HERE, "seeds")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as file:
            file.write(data)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
