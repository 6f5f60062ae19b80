"""Uploaded files: stored with ids like Telegram's, image sizes read from the headers, getFile."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from .base import Upload, Violation, api, bad

MAX_UPLOAD = 50 * 1024 * 1024


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    mime_type: str
    data: bytes
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, JPEG or WebP, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        if data[12:16] == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if data[12:16] == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + length
    return None


class FileStore:
    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}

    def resolve(self, value: Any, kind: str) -> StoredFile:
        """An uploaded file is stored; a string must be a file_id the sandbox handed out."""
        if isinstance(value, Upload):
            return self.store(value, kind)
        if value.startswith(("http://", "https://")):
            raise Violation(f"{kind}: sending a file by URL is not supported by the sandbox ({value})")
        if value not in self.files:
            raise bad("wrong file identifier/HTTP URL specified")
        return self.files[value]

    def store(self, upload: Upload, kind: str) -> StoredFile:
        if upload.size == 0:
            raise bad("file must be non-empty")
        if upload.size > MAX_UPLOAD:
            raise bad("file is too big")
        n = len(self.files) + 1
        ext = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "bin"
        stored = StoredFile(file_id=f"SBX{kind[:3].upper()}{n:06d}AgADsandbox", file_unique_id=f"AQAD{n:06d}",
                            file_path=f"{kind}s/file_{n}.{ext}", filename=upload.filename,
                            mime_type=upload.content_type, data=upload.data)
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise bad("IMAGE_PROCESS_FAILED")
            stored.width, stored.height = size
        self.files[stored.file_id] = stored
        self.by_path[stored.file_path] = stored
        return stored


def document_object(f: StoredFile) -> dict:
    return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_name": f.filename,
            "mime_type": f.mime_type, "file_size": f.size}


def photo_sizes(f: StoredFile) -> list[dict]:
    """A thumbnail (longest side 90) and the photo itself (longest side at most 1280)."""
    sizes = []
    for limit, suffix in ((90, "s"), (1280, "")):
        scale = min(1.0, limit / max(f.width, f.height, 1))
        size = {"file_id": f.file_id + suffix, "file_unique_id": f.file_unique_id + suffix,
                "width": max(1, round(f.width * scale)), "height": max(1, round(f.height * scale))}
        if not suffix:
            size["file_size"] = f.size
        if not sizes or size["width"] != sizes[-1]["width"]:
            sizes.append(size)
    return sizes


@api("getFile")
def get_file(sb, p: dict) -> dict:
    f = sb.files.files.get(p["file_id"]) or sb.files.files.get(p["file_id"].removesuffix("s"))
    if f is None:
        raise bad("wrong file_id or the file is temporarily unavailable")
    return {"file_id": p["file_id"], "file_unique_id": f.file_unique_id, "file_size": f.size,
            "file_path": f.file_path}
