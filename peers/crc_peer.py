"""A peer that checks a trailing CRC: it speaks the stx-crc protocol of the
profiles' tests, with every integer big-endian.

    stx  u8   0x02
    len  u16  the payload's byte length
    payload   len bytes
    crc  u16  CRC-16/MODBUS over the len and payload bytes
    etx  u8   0x03

Usage: python3 crc_peer.py PORT    (or: python3 crc_peer.py --self-test)

Binds 127.0.0.1:PORT (0 picks a free one), prints "listening on PORT" once
bound, and serves each connection on a thread of its own until killed.
Frames are cut from the stream as they come: split across reads, or several
in one read. Each frame is answered with one frame:

- a good frame: a good frame echoing its payload;
- a frame whose CRC does not match: a good frame whose payload is `nak`;
- a good frame whose payload is `corrupt`: a frame echoing `corrupt` with
  CRC 0x0000, so that the other side sees a bad checksum;
- a frame whose etx is not 0x03: `nak`, as for a bad CRC.

Bytes before an stx are skipped. Standard library only.
"""

import socket
import struct
import sys
import threading

STX = 0x02
ETX = 0x03
# stx, len, and after the payload crc and etx.
HEAD = 3
TAIL = 3


def crc16_modbus(data):
    """CRC-16/MODBUS: poly 0x8005 reflected (0xA001), init 0xFFFF, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return crc


def frame(payload, crc=None):
    """A whole frame carrying `payload`; its CRC computed unless given."""
    length = struct.pack(">H", len(payload))
    if crc is None:
        crc = crc16_modbus(length + payload)
    return bytes([STX]) + length + payload + struct.pack(">H", crc) + bytes([ETX])


def take_frame(buffer):
    """Cuts the first whole frame off `buffer` (a bytearray).

    Returns (len_and_payload, crc, etx) or None when no whole frame is there
    yet; bytes before an stx are dropped."""
    start = buffer.find(STX)
    if start < 0:
        del buffer[:]
        return None
    del buffer[:start]
    if len(buffer) < HEAD:
        return None
    (length,) = struct.unpack(">H", buffer[1:3])
    end = HEAD + length + TAIL
    if len(buffer) < end:
        return None
    covered = bytes(buffer[1 : HEAD + length])
    (crc,) = struct.unpack(">H", buffer[HEAD + length : HEAD + length + 2])
    etx = buffer[end - 1]
    del buffer[:end]
    return covered, crc, etx


def answer(covered, crc, etx):
    """The reply frame to one received frame."""
    payload = covered[2:]
    if etx != ETX or crc != crc16_modbus(covered):
        return frame(b"nak")
    if payload == b"corrupt":
        return frame(payload, crc=0x0000)
    return frame(payload)


def serve(conn):
    buffer = bytearray()
    with conn:
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            replies = []
            while True:
                taken = take_frame(buffer)
                if taken is None:
                    break
                replies.append(answer(*taken))
            if replies:
                try:
                    conn.sendall(b"".join(replies))
                except OSError:
                    return


def self_test():
    assert crc16_modbus(b"123456789") == 0x4B37, hex(crc16_modbus(b"123456789"))
    hello = frame(b"hello")
    assert hello[:3] == b"\x02\x00\x05" and hello[-1] == ETX, hello.hex(" ")
    # Two frames and a half in one read, then the rest.
    bad = bytearray(frame(b"x"))
    bad[-3] ^= 0xFF
    buffer = bytearray(b"\xff" + hello + bytes(bad) + frame(b"corrupt")[:4])
    assert answer(*take_frame(buffer)) == hello
    assert answer(*take_frame(buffer)) == frame(b"nak")
    assert take_frame(buffer) is None
    buffer += frame(b"corrupt")[4:]
    reply = answer(*take_frame(buffer))
    assert reply[3:-3] == b"corrupt" and reply[-3:-1] == b"\x00\x00", reply.hex(" ")
    assert not buffer
    print("self-test: ok")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: crc_peer.py PORT | --self-test")
    if sys.argv[1] == "--self-test":
        self_test()
        return
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[1])))
    listener.listen()
    print("listening on", listener.getsockname()[1], flush=True)
    while True:
        conn, _addr = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
