-- Members an admin kicked and keeps out for a while, by the SHA-256 of
-- the member key their page sends. Unix seconds.
CREATE TABLE board_bans (
    board_id     TEXT NOT NULL,
    member_hash  TEXT NOT NULL,
    until        BIGINT NOT NULL,
    name         TEXT NOT NULL,
    by_admin     TEXT NOT NULL,
    PRIMARY KEY (board_id, member_hash)
);
