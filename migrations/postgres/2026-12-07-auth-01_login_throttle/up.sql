-- Sign-in and link-password throttling takes each attempt before the password is hashed and
-- slows down (a growing wait) instead of locking out: one row per key (`account:<email>`,
-- `address:<ip>`, `link-address:<ip>`, `link:<id>`), counting the attempts charged within a
-- sliding window and holding the earliest time the next one may start. Counters are short-lived
-- state: the old rows are dropped, not converted.
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    -- Attempts charged and not given back (a successful one is given back).
    attempts INTEGER NOT NULL,
    -- When the latest attempt was charged; the count starts again after a quiet window.
    last_attempt_at BIGINT NOT NULL,
    -- No attempt is taken before this time (milliseconds; 0: none is due).
    next_attempt_at BIGINT NOT NULL
);
