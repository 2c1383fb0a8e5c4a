-- Scale-out (docs/SCALE-OUT.md). A board's epoch is its fencing token: a
-- node that takes the board bumps it, and every group commit updates the
-- board's row only where the epoch is still the one its node took, so a
-- node that lost the board commits nothing. It lives on the board's row
-- because the commit already updates (and locks) that row: a takeover
-- waits for a commit in flight, and a commit after a takeover finds the
-- new epoch. SQLite is single-node and leaves it at 0; the two tables
-- below are used on Postgres only and kept here so that the schema is the
-- same on both.
ALTER TABLE boards ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;

-- Who owns each open board, until when (Unix ms of the database's clock,
-- so that nodes' clocks do not matter), and which node asked for it last
-- (the balancer sends its members there: the owner hands it over).
CREATE TABLE board_leases (
    board_id    TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    taken_at    BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    wanted_by   TEXT,
    wanted_at   BIGINT
);
CREATE INDEX board_leases_node ON board_leases (node_id);

-- The nodes, as they last renewed their leases (for the admin pages).
CREATE TABLE nodes (
    id          TEXT PRIMARY KEY,
    address     TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    renewed_at  BIGINT NOT NULL
);
