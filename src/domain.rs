//! The domain types that both the wire protocol and the error enum speak
//! of; below both, so neither imports the other for them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A sticker as the clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sticker {
    pub id: Uuid,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub z: f64,
    pub color: String,
    pub text: String,
    pub version: i64,
    pub updated_at: String,
    /// *(extension)* Who created it, as the server recorded it from the
    /// creating session (a client cannot set it). Absent in event bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Writer>,
    /// *(extension)* Who changed it last (its creator until someone else
    /// does). Absent in event bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<Writer>,
}

/// *(extension)* A sticker's author or last editor: the member's display
/// name when the event was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    pub name: String,
}

impl Writer {
    /// The writer named `name`.
    pub fn named(name: &str) -> Option<Writer> {
        Some(Writer {
            name: name.to_owned(),
        })
    }
}

impl Sticker {
    /// The sticker without who wrote it: how an event body carries it
    /// (the event's `by` says who), and what imports compare.
    pub fn without_writers(&self) -> Sticker {
        Sticker {
            created_by: None,
            updated_by: None,
            ..self.clone()
        }
    }
}
