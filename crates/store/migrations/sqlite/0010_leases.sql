-- Named leases: work only one process of the fleet may do at a time (talking to arXiv). A lease
-- is held until `expires_at` unless its holder renews it; a crashed holder's lease runs out.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
