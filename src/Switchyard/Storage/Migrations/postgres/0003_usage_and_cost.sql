-- Accounting: the end user, every kind of token, the cost and the prices it came from; tenants' per-user limits.
ALTER TABLE request_log ADD COLUMN end_user TEXT;
ALTER TABLE request_log ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;        -- cache reads (part of input_tokens)
ALTER TABLE request_log ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;   -- cache writes (part of input_tokens)
ALTER TABLE request_log ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;     -- part of output_tokens
ALTER TABLE request_log ADD COLUMN cost_nanousd BIGINT;                               -- 10^-9 USD; NULL: the model has no price
ALTER TABLE request_log ADD COLUMN price_version TEXT;                              -- e.g. genai-prices@0.1.8, or config
ALTER TABLE tenants ADD COLUMN user_limits TEXT NOT NULL DEFAULT '{}';
