//! The one portable schema, used with both backends (UUIDs, JSON and
//! timestamps are TEXT; see the migrations of each backend). A board's seq
//! is the seq of its last event, and its `updated_at` that event's time:
//! the group commit that writes the event sets both.

diesel::table! {
    boards (id) {
        id -> Text,
        title -> Text,
        initial_title -> Text,
        edit_token -> Text,
        view_token -> Text,
        created_at -> Text,
        seq -> BigInt,
        updated_at -> Text,
        /// The fencing token of the node that owns the board (0 on SQLite).
        epoch -> BigInt,
    }
}

diesel::table! {
    events (board_id, seq) {
        board_id -> Text,
        seq -> BigInt,
        kind -> Text,
        payload -> Text,
        author_session -> Text,
        author_name -> Text,
        at -> Text,
    }
}

diesel::table! {
    stickers (board_id, id) {
        board_id -> Text,
        id -> Text,
        x -> Double,
        y -> Double,
        w -> Double,
        h -> Double,
        z -> Double,
        color -> Text,
        text -> Text,
        version -> BigInt,
        updated_at -> Text,
        created_by -> Text,
        updated_by -> Text,
    }
}

diesel::table! {
    op_ids (board_id, seq) {
        board_id -> Text,
        seq -> BigInt,
        op_id -> Text,
    }
}

diesel::joinable!(events -> boards (board_id));
diesel::joinable!(stickers -> boards (board_id));
diesel::joinable!(op_ids -> boards (board_id));
diesel::allow_tables_to_appear_in_same_query!(boards, events, stickers, op_ids, admins);

diesel::table! {
    admins (username) {
        username -> Text,
        password_hash -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    admin_sessions (key_hash) {
        key_hash -> Text,
        admin -> Text,
        state -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// The admin audit trail (append-only).
    admin_audit (id) {
        id -> BigInt,
        at -> Text,
        admin -> Text,
        address -> Text,
        action -> Text,
        board_id -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    board_bans (board_id, member_hash) {
        board_id -> Text,
        member_hash -> Text,
        until -> BigInt,
        name -> Text,
        by_admin -> Text,
    }
}

diesel::table! {
    /// Which node owns each open board (Postgres only; Unix ms of the
    /// database's clock).
    board_leases (board_id) {
        board_id -> Text,
        node_id -> Text,
        epoch -> BigInt,
        taken_at -> BigInt,
        expires_at -> BigInt,
        wanted_by -> Nullable<Text>,
        wanted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// The nodes of a cluster, as they last renewed their leases.
    nodes (id) {
        id -> Text,
        address -> Text,
        started_at -> BigInt,
        renewed_at -> BigInt,
    }
}
