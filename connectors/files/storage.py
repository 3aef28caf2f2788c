"""Where the export files live: a local folder or any fsspec URL (`s3://`, `gcs://`, `sftp://`,
`memory://` …), listed with modification times, read whole, and replaced atomically.

    storage = Storage("s3://finance/exports", {"key": "…", "secret": "…"}, calls, "files_default")
    for info in storage.matching("payments/*.csv"):
        data = storage.read(info)
    storage.replace("customers.csv", new_bytes, expected=info)

Every listing, stat, file read and file write counts as one API call. Filesystem errors become the hub's
errors (refused access: AuthenticationError; timeouts: RetryableAPIError), their text redacted.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from fsspec.core import url_to_fs  # type: ignore[import-untyped, unused-ignore]
from fsspec.utils import infer_compression  # type: ignore[import-untyped, unused-ignore]

from hub.errors import AuthenticationError, ConfigError, FatalAPIError, RetryableAPIError
from hub.io.failpoints import failpoint
from hub.io.http import ApiCalls
from hub.io.redact import redact

SYSTEM = "files"
TEMP_MARK = ".omnihub-tmp-"
MAGIC = frozenset("*?[")
# Where filesystems put a file's modification time in `info` (local, S3, GCS, Azure, memory …).
MODIFIED_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created")


@dataclass(frozen=True)
class FileInfo:
    """One file: its path on the filesystem, its name under the base, and when it last changed."""

    path: str
    name: str
    modified: datetime | None
    size: int | None


def modified_time(info: dict[str, Any]) -> datetime | None:
    """A file's modification time from fsspec's `info` (None when the filesystem does not say)."""
    for key in MODIFIED_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            try:
                return modified_time({key: datetime.fromisoformat(value)})
            except ValueError:
                continue
    return None


def check_relative(name: str) -> str:
    """An object name as a path under the base; absolute paths, URLs and `..` are refused."""
    clean = name.strip().replace("\\", "/")
    if not clean or clean.startswith("/") or "://" in clean or ".." in clean.split("/"):
        raise FatalAPIError(
            SYSTEM,
            f"object {name!r} must be a file name or glob under the connection's folder "
            "(e.g. payments/*.csv)",
        )
    return clean


class Storage:
    """The files under one base folder or URL, through fsspec."""

    def __init__(self, base: str, options: dict[str, Any], calls: ApiCalls, conn_id: str) -> None:
        self.base = base
        self.options = options
        self.calls = calls
        self.conn_id = conn_id

    @cached_property
    def _located(self) -> tuple[Any, str]:
        try:
            fs, root = url_to_fs(self.base, **self.options)
        except (ImportError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"connection {self.conn_id!r}: cannot open {redact(self.base)!r} ({redact(exc)})"
            ) from None
        return fs, str(root).rstrip("/") or str(root)

    @property
    def fs(self) -> Any:
        """The fsspec filesystem (built on first use)."""
        return self._located[0]

    @property
    def root(self) -> str:
        return self._located[1]

    def path(self, name: str) -> str:
        """The filesystem path of a name under the base."""
        return f"{self.root.rstrip('/')}/{name}"

    def name(self, path: str) -> str:
        """A filesystem path as a name under the base (what records and errors show)."""
        prefix = self.root.rstrip("/") + "/"
        return path[len(prefix) :] if path.startswith(prefix) else path

    def url(self, name: str) -> str:
        """A name under the base as a URL (for messages)."""
        return redact(f"{self.base.rstrip('/')}/{name}" if name else self.base)

    # Operations ------------------------------------------------------------------------------
    def matching(self, pattern: str) -> list[FileInfo]:
        """The files a name or glob names, oldest first (by modification time, then name)."""
        pattern = check_relative(pattern)
        with self._errors(pattern):
            self.fs.invalidate_cache()
            if MAGIC & set(pattern):
                self.calls.count(SYSTEM)
                found = self.fs.glob(self.path(pattern), detail=True)
                infos = [i for i in found.values() if i.get("type") == "file"]
            else:
                infos = [self._info_or_none(pattern)]
        files = [self._file(i) for i in infos if i is not None and TEMP_MARK not in i["name"]]
        return sorted(files, key=lambda f: (f.modified or datetime.min.replace(tzinfo=UTC), f.name))

    def stat(self, name: str) -> FileInfo | None:
        """One file, or None when it does not exist."""
        with self._errors(name):
            self.fs.invalidate_cache()
            info = self._info_or_none(name)
        return self._file(info) if info is not None else None

    def read(self, file: FileInfo) -> bytes:
        """A file's bytes (decompressed when its name ends in .gz, .bz2, .zst …)."""
        self.calls.count(SYSTEM)
        with self._errors(file.name), self.fs.open(file.path, "rb", compression="infer") as handle:
            data: bytes = handle.read()
        return data

    def replace(self, name: str, data: bytes, expected: FileInfo | None) -> None:
        """Write a file whole, atomically: a temporary file beside it, then a rename.

        A run killed at any instant leaves the old file or the new one, never half of one. When the
        file changed since `expected` was taken (someone else wrote it), nothing is written."""
        path = self.path(name)
        temp = f"{path.rsplit('/', 1)[0]}/.{path.rsplit('/', 1)[-1]}{TEMP_MARK}{uuid.uuid4().hex[:12]}"
        with self._errors(name):
            if expected is None:
                self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            try:
                self._write_temp(temp, data, infer_compression(path))
                failpoint("files_before_rename")
                self._check_unchanged(name, expected)
                self.fs.mv(temp, path)
            except BaseException:
                self._remove_quietly(temp)
                raise
            self._sweep(path)

    def check(self) -> str:
        """Say what the base holds (a connection test)."""
        self.calls.count(SYSTEM)
        with self._errors(""):
            self.fs.invalidate_cache()
            entries = self.fs.ls(self.root, detail=False)
        files = [e for e in entries if TEMP_MARK not in str(e)]
        return f"{redact(self.base)} is readable ({len(files)} entries)"

    # Helpers ---------------------------------------------------------------------------------
    def _info_or_none(self, name: str) -> dict[str, Any] | None:
        self.calls.count(SYSTEM)
        try:
            info: dict[str, Any] = self.fs.info(self.path(name))
        except FileNotFoundError:
            return None
        if info.get("type") == "directory":
            raise FatalAPIError(
                SYSTEM, f"{self.url(name)} is a folder; name its files with a glob such as {name}/*.csv"
            )
        return info

    def _file(self, info: dict[str, Any]) -> FileInfo:
        size = info.get("size")
        return FileInfo(info["name"], self.name(info["name"]), modified_time(info), size)

    def _write_temp(self, temp: str, data: bytes, compression: str | None) -> None:
        self.calls.count(SYSTEM)
        with self.fs.open(temp, "wb", compression=compression) as handle:
            handle.write(data)
            _flush_to_disk(handle)

    def _check_unchanged(self, name: str, expected: FileInfo | None) -> None:
        now = self.stat(name)
        before = (expected.modified, expected.size) if expected else None
        if ((now.modified, now.size) if now else None) != before:
            raise RetryableAPIError(
                SYSTEM, f"{self.url(name)} changed while it was being rewritten; nothing was written"
            )

    def _sweep(self, path: str) -> None:
        """Remove temporary files a killed run left beside this file."""
        folder, base = path.rsplit("/", 1)
        for left in self.fs.glob(f"{folder}/.{_escape(base)}{TEMP_MARK}*"):
            self._remove_quietly(left)

    def _remove_quietly(self, path: str) -> None:
        with suppress(OSError, ValueError):
            self.fs.rm(path)

    @contextmanager
    def _errors(self, name: str) -> Iterator[None]:
        """Filesystem errors as the hub's errors, naming the file and never a secret."""
        try:
            yield
        except (FatalAPIError, RetryableAPIError, ConfigError):
            raise
        except PermissionError as exc:
            raise AuthenticationError(
                SYSTEM, f"connection {self.conn_id!r}: access to {self.url(name)} was refused ({redact(exc)})"
            ) from None
        except (TimeoutError, ConnectionError) as exc:
            raise RetryableAPIError(SYSTEM, f"{self.url(name)}: {redact(exc)}") from None
        except FileNotFoundError:
            raise FatalAPIError(SYSTEM, f"{self.url(name)} does not exist") from None
        except OSError as exc:
            raise FatalAPIError(SYSTEM, f"{self.url(name)}: {redact(exc)}") from None


def _flush_to_disk(handle: Any) -> None:
    """Make a local file's bytes durable before the rename (a power cut then keeps old or new)."""
    try:
        handle.flush()
        os.fsync(handle.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass


def _escape(name: str) -> str:
    """A file name with glob characters escaped."""
    return "".join(f"[{c}]" if c in MAGIC else c for c in name)


__all__ = ["FileInfo", "Storage", "check_relative", "modified_time"]
