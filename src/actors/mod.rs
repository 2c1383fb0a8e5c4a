//! The actors: a Session per socket, a Board per open board, the Registry
//! that finds boards, and the Persister that commits their events.

pub mod board;
pub mod lease;
pub mod persister;
pub mod registry;
pub mod session;
