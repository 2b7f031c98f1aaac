-- Latency histograms and time to first byte in the rollups: the console's p50 / p95 and TTFB over time come from
-- them, never from the log. latency_le_N counts requests that took N ms or less (and more than the bound before);
-- ttfb_ms is the sum over the ttfb_count requests that had a first byte (streams).
ALTER TABLE usage_minute ADD COLUMN latency_le_50 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_100 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_250 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_500 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_1000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_2500 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_5000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_10000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_30000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_60000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN latency_le_inf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN ttfb_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_minute ADD COLUMN ttfb_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_50 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_100 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_250 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_500 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_1000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_2500 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_5000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_10000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_30000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_60000 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN latency_le_inf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN ttfb_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_day ADD COLUMN ttfb_ms REAL NOT NULL DEFAULT 0;
