-- Tenants created at runtime (file tenants live in the config) and every virtual key, stored as a hash.
-- Times are Unix milliseconds (UTC) in both dialects.
CREATE TABLE tenants (
    name        TEXT    NOT NULL PRIMARY KEY,
    models      TEXT    NOT NULL DEFAULT '[]',  -- JSON array of globs over requested model names
    limits      TEXT    NOT NULL DEFAULT '{}',  -- JSON object, the YAML limits' shape
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE virtual_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    name        TEXT,
    prefix      TEXT    NOT NULL,                -- shown in lists and logs: sk-sy-XXXXXX
    hash        TEXT    NOT NULL UNIQUE,         -- hex SHA-256 of the whole key; the key itself is never stored
    limits      TEXT    NOT NULL DEFAULT '{}',
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX ix_virtual_keys_tenant ON virtual_keys (tenant);
