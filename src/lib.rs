//! corkboard: a realtime room server for collaborative sticky-note boards.
//! See docs/ARCHITECTURE.md for the map.

pub mod actors;
pub mod auth;
pub mod board;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod metrics;
pub mod protocol;
pub mod startup;
pub mod state;
pub mod tokens;
