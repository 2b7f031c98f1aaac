-- Latency histograms and time to first byte in the rollups: the console's p50 / p95 and TTFB over time come from
-- them, never from the log. latency_le_N counts requests that took N ms or less (and more than the bound before);
-- ttfb_ms is the sum over the ttfb_count requests that had a first byte (streams).
ALTER TABLE usage_minute ADD COLUMN latency_le_50 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_100 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_250 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_500 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_1000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_2500 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_5000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_10000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_30000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_60000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_inf BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN ttfb_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN ttfb_ms DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_50 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_100 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_250 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_500 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_1000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_2500 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_5000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_10000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_30000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_60000 BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_inf BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN ttfb_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN ttfb_ms DOUBLE PRECISION NOT NULL DEFAULT 0;
