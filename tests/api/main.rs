//! The integration tests: one binary, real sockets, a fresh database per
//! test, every test on SQLite and on Postgres.

mod helpers;

mod admin;
mod admin_audit;
mod board_page;
mod calls;
mod cluster;
mod contract;
mod durability;
mod frames;
mod http_api;
mod migrations;
mod websocket;
