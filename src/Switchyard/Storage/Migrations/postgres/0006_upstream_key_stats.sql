-- Each upstream key's statistics (GET /providers), kept across restarts. A key is named by a fingerprint of its
-- secret (the first 16 hex digits of its SHA-256), never by the secret.
CREATE TABLE upstream_key_stats (
    provider            TEXT    NOT NULL,
    key_fingerprint     TEXT    NOT NULL,
    key_masked          TEXT    NOT NULL,
    requests            BIGINT NOT NULL,
    successes           BIGINT NOT NULL,
    failures            BIGINT NOT NULL,
    status_counts       TEXT    NOT NULL,             -- JSON object: status → count
    last_used_at        BIGINT,                         -- Unix milliseconds
    last_failure_at     BIGINT,
    last_failure_status BIGINT,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (provider, key_fingerprint)
);
