"""Files: CSV and JSON Lines exports (payments, invoices, document registers) in a local folder or at
any fsspec URL.

Connection (Airflow conn_type `omnihub_files`, default id `files_default`): host = the folder or URL
the object names are relative to (`/data/exports`, `file:///data/exports`, `s3://bucket/exports`,
`sftp://host/exports`, `memory://exports`; the URI form `omnihub-files://s3://bucket/exports` works
too); extras: `storage_options` (a JSON object handed to fsspec: credentials of remote filesystems,
whose secret-looking values are redacted everywhere), and defaults for `format`, `delimiter` and
`encoding`. Remote protocols need their fsspec package (s3fs, gcsfs, adlfs, paramiko …) installed.

Objects: a mapping's `object` is a file name or glob under the host (`customers.csv`,
`payments/*.csv`, `ledger/**/*.jsonl.gz`); its `options` may set `format` (csv | jsonl; otherwise
.csv/.tsv/.jsonl/.ndjson say, past a .gz/.bz2/.zst suffix), `delimiter` (one character, or `tab`)
and `encoding` (utf-8; a UTF-8 byte-order mark is read and kept).

Reads:  list the matching files with their modification times and skip those older than `since`,
        oldest first. With a `cursor_field` (a column such as updated_at, ISO 8601, naive = UTC) only
        rows whose cursor is at or after `since` count, ordered by (cursor, key), an empty cursor cell
        standing for its file's time; without one every row of a changed file counts, stamped with the
        file's time. A page's cursor is the newest time among its records (an unreadable line counts
        at its file's time without a cursor column, not at all with one). CSV values stay the text
        of their cells (empty cells are None); JSON Lines values keep their JSON types, numbers with
        a fraction read as exact Decimals. Every record carries `_file` (its file under the host),
        `_line` (where it starts), so quarantine reasons say where a bad record is, and `_modified`
        (its file's modification time, ISO 8601 UTC: a mapping's updated_at). `fetch`/`find`
        scan the files (lines that cannot be read match nothing; cursors are not checked there).
Writes: `object` must then be one file. A batch is merged into it by key: an op with `target_id`
        updates the row whose primary key is that id (`not_found` when none has it); otherwise the
        row whose `external_id_field` holds the hub id is updated, or a row is added whose key is
        the op's value for the primary key column, else the hub id. A written cursor column is stamped
        with the time of the write unless the op sets it. Ops whose key is empty (`missing_key`),
        taken by another row (`duplicate_key`) or whose values the format cannot hold (a nested value
        in CSV, NaN; `unwritable`) get a RecordError each; the rest are written. The file is then
        replaced whole and atomically (a temporary file beside it, renamed over it), so a killed run
        leaves the old file or the new one. Rows the batch did not touch keep their exact text;
        changed rows stay in place; new columns are appended to the header. When the file changed
        while the batch was merged, nothing is written and a RetryableAPIError says so. `delete`
        removes rows by key the same way.
Quirks:  a line that cannot be read (bad JSON, a CSV row with the wrong number of cells, an unclosed
        quote, a byte the encoding cannot decode, no key, a cursor that is no date-time) does not stop
        the read: it comes in its page's `unreadable` as `file:line` (`payments/2024-03.csv:17`), the
        hub quarantines it at the stage "read" naming file, line and problem, and the rest of the file,
        the other files and the cursor go on. An unclosed quote takes the rest of its file with it (one
        unreadable record from that line on: nothing after it can be split reliably). Each page lists
        in `covered` the files read in full; when a rewritten file (its modification time moved) no
        longer holds a quarantined bad line, the hub reads the file again whole (`read_again`, what
        `hub quarantine retry` does too): the fixed row is synced whatever its cursor says and the entry
        resolved, while lines still bad stay quarantined under their current line numbers. Only a file
        that cannot be read at all stops the read with a MalformedRecord naming file, line and problem:
        an unknown encoding, an undecodable byte or an unclosed quote in the CSV header, a column named
        twice. Writes keep unreadable lines as they are. Empty header cells are named by position
        (`column_3`). Every listing, stat, file read and file write counts as one API call: a write
        batch costs four (stat, read, write, and the stat that proves the file did not change
        meanwhile) however many records it holds.
"""

from __future__ import annotations

from connectors.files.connector import FilesConnector, MalformedRecord

__all__ = ["FilesConnector", "MalformedRecord"]
