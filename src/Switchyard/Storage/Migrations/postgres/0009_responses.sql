-- Stored Responses API answers (store: true): GET /v1/responses/{id} and previous_response_id survive a restart.
CREATE TABLE responses (
    id          TEXT    PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,   -- Unix seconds
    input_items TEXT    NOT NULL,   -- JSON array: the whole conversation the request sent, history included
    response    TEXT    NOT NULL    -- JSON: the response object as the client received it
);
CREATE INDEX responses_created_at ON responses (created_at);
