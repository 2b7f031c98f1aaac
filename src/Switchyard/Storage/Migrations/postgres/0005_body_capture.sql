-- Optional capture of request bodies per tenant (secrets redacted before they are stored).
ALTER TABLE request_log ADD COLUMN body TEXT;
ALTER TABLE tenants ADD COLUMN capture_bodies BIGINT NOT NULL DEFAULT 0;    -- 0 or 1 (BIGINT: both dialects read it as a 64-bit integer)
