//! A board's history in words for its admin page: "Ada moved “Deploys
//! were slow”", filtered by kind and author and paged through the whole
//! log.

use std::collections::HashMap;

use uuid::Uuid;

use crate::protocol::{Event, EventBody, Patch};

/// The kinds an admin filters by, with their labels.
pub const KINDS: [(&str, &str); 5] = [
    ("sticker.created", "Stickers added"),
    ("sticker.updated", "Stickers changed"),
    ("sticker.deleted", "Stickers deleted"),
    ("chat", "Chat"),
    ("board.renamed", "Renames"),
];

/// One event, described.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub seq: i64,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    /// The same, readable: "2026-12-03 15:40:12 UTC".
    pub at_text: String,
    pub kind: &'static str,
    /// The sentence: "Ada added a sticker “Deploys were slow”".
    pub text: String,
    /// The colour a recolouring set (or a new sticker has), for a swatch.
    pub color: Option<String>,
}

/// An RFC 3339 UTC time as "2026-12-03 15:40:12 UTC" (as it is when it
/// is not one).
pub fn utc_text(at: &str) -> String {
    match (at.get(..10), at.get(11..19)) {
        (Some(day), Some(time)) if at.ends_with('Z') && at.as_bytes().get(10) == Some(&b'T') => {
            format!("{day} {time} UTC")
        }
        _ => at.to_owned(),
    }
}

/// At most `max` characters of the first line of `text`, "…" if cut.
fn short(text: &str, max: usize) -> String {
    let line = text.trim().lines().next().unwrap_or_default().trim();
    let mut out: String = line.chars().take(max).collect();
    if out.len() < line.len() || text.trim().lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

/// How a sticker is named: “its text”, or "a sticker".
fn named(text: Option<&str>) -> String {
    match text.map(|t| short(t, 60)) {
        Some(t) if !t.is_empty() => format!("“{t}”"),
        _ => "a sticker".to_owned(),
    }
}

/// The stickers the page's changes and deletions name that are not on
/// the board any more: their texts are looked up in the log.
pub fn gone_stickers(events: &[Event], current: &HashMap<Uuid, String>) -> Vec<Uuid> {
    let mut out = Vec::new();
    for e in events {
        let id = match &e.event {
            EventBody::StickerUpdated { id, .. } | EventBody::StickerDeleted { id } => id,
            _ => continue,
        };
        if !current.contains_key(id) && !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// The verbs of a change: "moved and recoloured".
fn verbs(patch: &Patch) -> String {
    let mut v = Vec::new();
    if patch.text.is_some() {
        v.push("edited");
    }
    if patch.x.is_some() || patch.y.is_some() {
        v.push("moved");
    }
    if patch.w.is_some() || patch.h.is_some() {
        v.push("resized");
    }
    if patch.color.is_some() {
        v.push("recoloured");
    }
    if patch.z.is_some() {
        v.push("restacked");
    }
    match v.as_slice() {
        [] => "touched".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Describes `events` (newest first, as a page lists them). A sticker is
/// named by its text as of the event when the page shows it, else by its
/// text now (`current`), else by its last text in the log (`gone`), else
/// "a sticker".
pub fn describe(
    events: &[Event],
    current: &HashMap<Uuid, String>,
    gone: &HashMap<Uuid, String>,
) -> Vec<HistoryLine> {
    let mut known: HashMap<Uuid, String> = HashMap::new();
    let mut lines = Vec::with_capacity(events.len());
    for e in events.iter().rev() {
        let who = &e.by.name;
        let name_of = |known: &HashMap<Uuid, String>, id: &Uuid| {
            named(
                known
                    .get(id)
                    .or_else(|| current.get(id))
                    .or_else(|| gone.get(id))
                    .map(String::as_str),
            )
        };
        let (text, color) = match &e.event {
            EventBody::StickerCreated { sticker } => {
                known.insert(sticker.id, sticker.text.clone());
                let what = match named(Some(&sticker.text)).as_str() {
                    "a sticker" => "an empty sticker".to_owned(),
                    n => format!("a sticker {n}"),
                };
                (format!("{who} added {what}"), Some(sticker.color.clone()))
            }
            EventBody::StickerUpdated { id, patch, .. } => {
                if let Some(t) = &patch.text {
                    known.insert(*id, t.clone());
                }
                let mut text = format!("{who} {} {}", verbs(patch), name_of(&known, id));
                if let Some(c) = &patch.color {
                    text.push_str(&format!(" to {c}"));
                }
                (text, patch.color.clone())
            }
            EventBody::StickerDeleted { id } => (format!("{who} deleted {}", name_of(&known, id)), None),
            EventBody::Chat { text, .. } => (format!("{who} wrote in chat: {}", short(text, 200)), None),
            EventBody::BoardRenamed { title } => (format!("{who} renamed the board to “{title}”"), None),
        };
        lines.push(HistoryLine {
            seq: e.seq,
            at: e.at.clone(),
            at_text: utc_text(&e.at),
            kind: e.event.kind(),
            text,
            color,
        });
    }
    lines.reverse();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_short_texts() {
        assert_eq!(utc_text("2026-12-03T15:40:12.123Z"), "2026-12-03 15:40:12 UTC");
        assert_eq!(utc_text("yesterday"), "yesterday");
        assert_eq!(short("  two\nlines ", 10), "two…");
        assert_eq!(short("abcdef", 3), "abc…");
        assert_eq!(named(Some("  ")), "a sticker");
    }
}
