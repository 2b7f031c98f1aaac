-- Each upstream key's statistics (GET /providers), kept across restarts. A key is named by a fingerprint of its
-- secret (the first 16 hex digits of its SHA-256), never by the secret.
CREATE TABLE upstream_key_stats (
    provider            TEXT    NOT NULL,
    key_fingerprint     TEXT    NOT NULL,
    key_masked          TEXT    NOT NULL,
    requests            INTEGER NOT NULL,
    successes           INTEGER NOT NULL,
    failures            INTEGER NOT NULL,
    status_counts       TEXT    NOT NULL,             -- JSON object: status → count
    last_used_at        INTEGER,                         -- Unix milliseconds
    last_failure_at     INTEGER,
    last_failure_status INTEGER,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (provider, key_fingerprint)
);
