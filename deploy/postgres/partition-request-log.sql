-- Turns Switchyard's request_log into a table partitioned by month (of ts, Unix milliseconds UTC), keeping its rows,
-- its id sequence and its indexes. Run once, with the gateways stopped or not (the table is locked for the copy):
--   psql "$SWITCHYARD_PG" -v ON_ERROR_STOP=1 -f partition-request-log.sql
-- Then run request_log_add_month() monthly (cron, pg_cron) to create the coming months' partitions; retention is a
-- DROP TABLE of a month's partition instead of a DELETE. Tested by tests/Switchyard.Tests/Storage/PartitionedLogTests.cs.
BEGIN;
LOCK TABLE request_log IN ACCESS EXCLUSIVE MODE;
ALTER TABLE request_log RENAME TO request_log_unpartitioned;
ALTER INDEX request_log_pkey RENAME TO request_log_unpartitioned_pkey;
CREATE TABLE request_log (LIKE request_log_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (ts);
ALTER TABLE request_log ADD PRIMARY KEY (id, ts);
ALTER INDEX ix_request_log_tenant_ts RENAME TO ix_request_log_unpartitioned_tenant_ts;
ALTER INDEX ix_request_log_key_ts RENAME TO ix_request_log_unpartitioned_key_ts;
ALTER INDEX ix_request_log_ts RENAME TO ix_request_log_unpartitioned_ts;
CREATE INDEX ix_request_log_tenant_ts ON request_log (tenant, ts);
CREATE INDEX ix_request_log_key_ts ON request_log (tenant_key, ts);
CREATE INDEX ix_request_log_ts ON request_log (ts);

-- One partition per calendar month (UTC); creates the partitions of the month of `at` and the next one, if missing.
CREATE OR REPLACE FUNCTION request_log_add_month(at timestamptz DEFAULT now()) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    first timestamptz;
    i int;
BEGIN
    FOR i IN 0..1 LOOP
        first := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(months => i);
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF request_log FOR VALUES FROM (%s) TO (%s)',
            'request_log_' || to_char(first AT TIME ZONE 'UTC', 'YYYY_MM'),
            (extract(epoch FROM first) * 1000)::bigint,
            (extract(epoch FROM first + interval '1 month') * 1000)::bigint);
    END LOOP;
END $$;

-- Rows outside every month's partition (older rows, a clock far off) land here rather than failing the insert.
CREATE TABLE request_log_default PARTITION OF request_log DEFAULT;
SELECT request_log_add_month();
INSERT INTO request_log SELECT * FROM request_log_unpartitioned;
ALTER SEQUENCE request_log_id_seq OWNED BY request_log.id;
DROP TABLE request_log_unpartitioned;
COMMIT;
