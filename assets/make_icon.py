"""Draws assets/icon.png: a hex dump in miniature, its rows of bytes in the
colours the window gives the proto-header, the header and the content.
Standard library only; run from the repository root."""

import struct
import zlib

SIZE = 256
SCALE = 4  # supersampling for smooth edges

BACKGROUND = (30, 36, 48)
BORDER = (70, 82, 104)
PROTO = (255, 176, 90)
HEADER = (125, 185, 255)
CONTENT = (140, 215, 140)

# Each row: (colour, first cell, cells); 6 cells a row, like bytes in a dump.
ROWS = [
    [(PROTO, 0, 2), (HEADER, 2, 4)],
    [(HEADER, 0, 6)],
    [(HEADER, 0, 3), (CONTENT, 3, 3)],
    [(CONTENT, 0, 5)],
]


def rounded_rect(x, y, x0, y0, x1, y1, r):
    if x < x0 or x >= x1 or y < y0 or y >= y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_at(x, y):
    """The colour at a point of the icon, in icon pixels (floats)."""
    if not rounded_rect(x, y, 8, 8, 248, 248, 44):
        return None
    if not rounded_rect(x, y, 14, 14, 242, 242, 38):
        return BORDER
    cell, gap, left, top, row_h = 30, 6, 23, 50, 30
    for r, row in enumerate(ROWS):
        y0 = top + r * (row_h + 12)
        for colour, first, cells in row:
            for c in range(first, first + cells):
                x0 = left + c * (cell + gap)
                if rounded_rect(x, y, x0, y0, x0 + cell, y0 + row_h, 7):
                    return colour
    return BACKGROUND


def render():
    pixels = bytearray()
    n = SCALE * SCALE
    for py in range(SIZE):
        pixels.append(0)  # PNG filter type: none
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SCALE):
                for sx in range(SCALE):
                    c = colour_at(px + (sx + 0.5) / SCALE, py + (sy + 0.5) / SCALE)
                    if c is not None:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 255
            alpha = acc[3] // n
            if alpha == 0:
                pixels += bytes(4)
            else:
                cover = acc[3] / 255
                pixels += bytes(
                    [round(acc[0] / cover), round(acc[1] / cover), round(acc[2] / cover), alpha]
                )
    return bytes(pixels)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def main():
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(), 9))
        + chunk(b"IEND", b"")
    )
    with open("assets/icon.png", "wb") as out:
        out.write(png)


if __name__ == "__main__":
    main()
