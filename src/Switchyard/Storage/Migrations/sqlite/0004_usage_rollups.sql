-- What usage queries read instead of request_log: per minute (UTC) and per day (in limits_time_zone), per tenant,
-- key, end user, requested model and provider. Written in the same transaction as the rows they sum.
-- Dimensions are '' rather than NULL so that one bucket is one row (NULLs never conflict in a unique key).
CREATE TABLE usage_minute (
    bucket              INTEGER NOT NULL,                 -- the minute's start, Unix milliseconds
    tenant              TEXT    NOT NULL DEFAULT '',
    tenant_key          TEXT    NOT NULL DEFAULT '',
    end_user            TEXT    NOT NULL DEFAULT '',
    model               TEXT    NOT NULL DEFAULT '',
    provider            TEXT    NOT NULL DEFAULT '',
    requests            INTEGER NOT NULL DEFAULT 0,
    errors              INTEGER NOT NULL DEFAULT 0,       -- status 400 and above
    input_tokens        INTEGER NOT NULL DEFAULT 0,
    output_tokens       INTEGER NOT NULL DEFAULT 0,
    cached_tokens       INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens  INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens    INTEGER NOT NULL DEFAULT 0,
    cost_nanousd        INTEGER NOT NULL DEFAULT 0,
    latency_ms          REAL NOT NULL DEFAULT 0,   -- the sum (average = latency_ms / requests)
    PRIMARY KEY (bucket, tenant, tenant_key, end_user, model, provider)
);
CREATE INDEX ix_usage_minute_tenant ON usage_minute (tenant, bucket);
CREATE TABLE usage_day (
    bucket              INTEGER NOT NULL,                 -- the day's start, Unix milliseconds
    tenant              TEXT    NOT NULL DEFAULT '',
    tenant_key          TEXT    NOT NULL DEFAULT '',
    end_user            TEXT    NOT NULL DEFAULT '',
    model               TEXT    NOT NULL DEFAULT '',
    provider            TEXT    NOT NULL DEFAULT '',
    requests            INTEGER NOT NULL DEFAULT 0,
    errors              INTEGER NOT NULL DEFAULT 0,       -- status 400 and above
    input_tokens        INTEGER NOT NULL DEFAULT 0,
    output_tokens       INTEGER NOT NULL DEFAULT 0,
    cached_tokens       INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens  INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens    INTEGER NOT NULL DEFAULT 0,
    cost_nanousd        INTEGER NOT NULL DEFAULT 0,
    latency_ms          REAL NOT NULL DEFAULT 0,   -- the sum (average = latency_ms / requests)
    PRIMARY KEY (bucket, tenant, tenant_key, end_user, model, provider)
);
CREATE INDEX ix_usage_day_tenant ON usage_day (tenant, bucket);
