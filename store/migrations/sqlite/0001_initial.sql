-- Initial schema for the embedded SQLite backend.
-- Timestamps are RFC 3339 text in UTC, dates are YYYY-MM-DD text, JSON is text.

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    datasets TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    role TEXT NOT NULL CHECK (role IN ('reporter', 'admin')),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    password_changed_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX users_unit ON users (unit_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    address TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE uploads (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    user_id INTEGER REFERENCES users (id),
    dataset TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    object_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('checked', 'failed', 'deleted')),
    row_count INTEGER NOT NULL DEFAULT 0,
    valid_count INTEGER NOT NULL DEFAULT 0,
    invalid_count INTEGER NOT NULL DEFAULT 0,
    imported_count INTEGER NOT NULL DEFAULT 0,
    updated_count INTEGER NOT NULL DEFAULT 0,
    duplicate_count INTEGER NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    deleted_at TEXT,
    records_withdrawn_at TEXT
);
-- The same file uploaded twice by one unit is answered with the first upload.
CREATE UNIQUE INDEX uploads_unit_sha256 ON uploads (unit_id, sha256) WHERE status <> 'deleted';
CREATE INDEX uploads_unit_id ON uploads (unit_id, id);
CREATE INDEX uploads_unit_dataset_id ON uploads (unit_id, dataset, id);
CREATE INDEX uploads_dataset_id ON uploads (dataset, id);

CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    dataset TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'revoked', 'deleted')),
    revoked_reason TEXT,
    revoked_at TEXT,
    revoked_by INTEGER REFERENCES users (id),
    upload_id INTEGER REFERENCES uploads (id),
    subject_name TEXT NOT NULL,
    subject_code TEXT,
    doc_no TEXT,
    decision_date TEXT,
    -- The decision date, or the day the record was first stored when it has none; the record
    -- list is ordered by (sort_date, id) and filtered by date on it.
    sort_date TEXT NOT NULL,
    field_values TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    changed_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX records_natural_key ON records (unit_id, dataset, natural_key);
CREATE INDEX records_unit_dataset_sort ON records (unit_id, dataset, sort_date, id);
CREATE INDEX records_dataset_sort ON records (dataset, sort_date, id);
CREATE INDEX records_unit_sort ON records (unit_id, sort_date, id);
CREATE INDEX records_sort ON records (sort_date, id);
-- The publicity feed walks a dataset in id order.
CREATE INDEX records_dataset_id ON records (dataset, id);
CREATE UNIQUE INDEX records_changed_seq ON records (changed_seq);
CREATE INDEX records_upload ON records (upload_id);
CREATE INDEX records_subject_code ON records (subject_code);

CREATE TABLE record_versions (
    record_id INTEGER NOT NULL REFERENCES records (id),
    version INTEGER NOT NULL,
    natural_key TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    subject_code TEXT,
    doc_no TEXT,
    decision_date TEXT,
    field_values TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    upload_id INTEGER REFERENCES uploads (id),
    user_id INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    unit_id INTEGER REFERENCES units (id),
    address TEXT,
    action TEXT NOT NULL,
    target TEXT,
    upload_id INTEGER REFERENCES uploads (id),
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_unit_id ON audit_log (unit_id, id);
CREATE INDEX audit_log_user_id ON audit_log (user_id, id);

CREATE TABLE uscc_exceptions (
    code TEXT PRIMARY KEY,
    note TEXT NOT NULL,
    added_by INTEGER REFERENCES users (id),
    added_at TEXT NOT NULL
);
