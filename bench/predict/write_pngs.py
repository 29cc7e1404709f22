"""Writes the first N MNIST test digits as 56x56 grayscale PNGs, each pixel a 2x2 block (standard library only).

At 28x28 the digits are already in MNIST's input format, which predict takes as it is (decoding only); at 56x56 they
go through the whole crop-and-resample recipe, as the benchmark has timed since 2026-12-01."""
import struct
import sys
import zlib


def png(pixels: bytes, side: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + pixels[y * side:(y + 1) * side] for y in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main() -> None:
    images_path, count, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(images_path, "rb") as f:
        data = f.read()
    for i in range(count):
        digit = data[16 + i * 784:16 + (i + 1) * 784]
        doubled = b"".join(bytes(v for v in digit[y * 28:(y + 1) * 28] for _ in (0, 1)) * 2 for y in range(28))
        with open(f"{out_dir}/{i:04d}.png", "wb") as f:
            f.write(png(doubled, 56))


if __name__ == "__main__":
    main()
