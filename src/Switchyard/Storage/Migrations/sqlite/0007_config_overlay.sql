-- The config overlay: providers, upstream keys and routes added through the admin API, on top of the config file.
-- Specs are JSON in the YAML shapes. Credentials are never stored in clear: an upstream key's secret and a provider's
-- headers (which may carry tokens) are sealed with AES-GCM under SWITCHYARD_MASTER_KEY ("sy1.<key id>.<data>").
-- Times are Unix milliseconds (UTC); version counts changes (the admin API's ETag).
CREATE TABLE config_providers (
    name        TEXT    NOT NULL PRIMARY KEY,
    spec        TEXT    NOT NULL,            -- JSON: the provider as YAML writes it, without keys and headers
    headers     TEXT,                        -- sealed JSON object of extra headers; NULL = none
    version     BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- Keys added to a provider's pool: a store provider's, or a file provider's (beside the file's own keys).
CREATE TABLE provider_keys (
    provider     TEXT    NOT NULL,
    id           TEXT    NOT NULL,           -- fingerprint: the first 16 hex digits of the secret's SHA-256
    secret       TEXT    NOT NULL,           -- sealed
    masked       TEXT    NOT NULL,           -- what lists show: sk-a…wxyz
    weight       BIGINT  NOT NULL,
    max_failures BIGINT  NOT NULL,
    cooldown_ms  BIGINT  NOT NULL,
    enabled      BIGINT  NOT NULL,           -- 1 or 0
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (provider, id)
);

CREATE TABLE config_routes (
    model       TEXT    NOT NULL PRIMARY KEY,
    spec        TEXT    NOT NULL,            -- JSON: the route as YAML writes it
    version     BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
