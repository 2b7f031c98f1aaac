-- Every request, also those refused before dispatch. Written in batches off the hot path.
CREATE TABLE request_log (
    id              BIGSERIAL PRIMARY KEY,         -- insertion order (the cursor of paging)
    ts              BIGINT  NOT NULL,             -- Unix milliseconds (UTC)
    request_id      TEXT    NOT NULL,
    tenant          TEXT,
    tenant_key      TEXT,                         -- a virtual key's prefix, or a static key masked
    protocol        TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    route           TEXT,
    provider        TEXT,
    upstream_model  TEXT,
    upstream_key    TEXT,                         -- masked
    status          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    latency_ms      DOUBLE PRECISION NOT NULL,
    ttfb_ms         DOUBLE PRECISION,
    input_tokens    INTEGER NOT NULL,
    output_tokens   INTEGER NOT NULL,
    trail           TEXT    NOT NULL,             -- JSON array of the attempt trail
    error           TEXT
);
CREATE INDEX ix_request_log_tenant_ts ON request_log (tenant, ts);
CREATE INDEX ix_request_log_key_ts ON request_log (tenant_key, ts);
CREATE INDEX ix_request_log_ts ON request_log (ts);
