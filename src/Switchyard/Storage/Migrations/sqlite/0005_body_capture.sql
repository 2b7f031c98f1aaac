-- Optional capture of request bodies per tenant (secrets redacted before they are stored).
ALTER TABLE request_log ADD COLUMN body TEXT;
ALTER TABLE tenants ADD COLUMN capture_bodies INTEGER NOT NULL DEFAULT 0;
