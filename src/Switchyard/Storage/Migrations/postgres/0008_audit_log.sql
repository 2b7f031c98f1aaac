-- Every change made through the admin API: who (admin key, loopback or jwt:subject), what (action and target), the
-- object before and after as the API shows it (secrets masked), when (Unix milliseconds, UTC).
CREATE TABLE audit_log (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,            -- e.g. provider.create, key.disable, route.delete, tenant.update, vkey.rotate
    target      TEXT    NOT NULL,            -- e.g. provider/openai, provider/openai/key/3f2a…, route/gpt-4o
    tenant      TEXT,                        -- the tenant the change belongs to, if any
    before      TEXT,                        -- JSON, masked; NULL for a creation
    after       TEXT                         -- JSON, masked; NULL for a deletion
);
CREATE INDEX ix_audit_log_ts ON audit_log (ts);
CREATE INDEX ix_audit_log_tenant ON audit_log (tenant, id);
