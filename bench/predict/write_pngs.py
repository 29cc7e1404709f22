"""Writes the first N MNIST test digits as 28x28 grayscale PNGs (standard library only)."""
import struct
import sys
import zlib


def png(pixels: bytes, side: int = 28) -> bytes:
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
        with open(f"{out_dir}/{i:04d}.png", "wb") as f:
            f.write(png(data[16 + i * 784:16 + (i + 1) * 784]))


if __name__ == "__main__":
    main()
