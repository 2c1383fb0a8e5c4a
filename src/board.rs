//! The board's logic, pure: validate an op against the state, apply it, and
//! say what event it makes and which row it changes. No I/O, no actix, no
//! diesel; the Board actor wraps this.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::protocol::{Event, EventBody, NewSticker, Op, Patch, Sticker, Writer};

/// Coordinates and sizes lie within ±`COORD_MAX`.
pub const COORD_MAX: f64 = 1e7;
/// The longest board title, in chars.
pub const TITLE_MAX_CHARS: usize = 200;
/// The longest display name, in chars; longer ones are shortened.
pub const NAME_MAX_CHARS: usize = 64;
/// The largest presence state, in bytes of compact JSON.
pub const PRESENCE_MAX_BYTES: usize = 1024;
/// The largest signal payload, in bytes of compact JSON.
pub const SIGNAL_MAX_BYTES: usize = 16 * 1024;

/// The limits the logic enforces (configurable, PROTOCOL.md §2).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_text_chars: usize,
    pub max_stickers: usize,
}

/// The state of one board: the fold of its events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardState {
    pub title: String,
    pub seq: i64,
    pub stickers: HashMap<Uuid, Sticker>,
}

/// The row an event changes, for the persister and the committed view.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The sticker as it is after the event.
    Upsert(Sticker),
    /// The sticker is gone.
    Delete(Uuid),
    /// The board's new title.
    Title(String),
    /// Nothing but the event itself (chat).
    Nothing,
}

/// What applying an op produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub seq: i64,
    pub body: EventBody,
    pub change: Change,
}

impl BoardState {
    /// Validates `op` against the state and applies it, assigning the next
    /// seq. `at` is the event's time (RFC 3339), `by` the name of its
    /// author as the server knows it (the sticker keeps it as its creator
    /// or last editor). On error nothing changes.
    pub fn apply(&mut self, op: &Op, at: &str, by: &str, limits: &Limits) -> Result<Applied> {
        let (body, change) = match op {
            Op::CreateSticker(new) => self.create(new, at, by, limits)?,
            Op::UpdateSticker {
                id,
                patch,
                if_version,
            } => self.update(*id, patch, *if_version, at, by, limits)?,
            Op::DeleteSticker(id) => {
                if !self.stickers.contains_key(id) {
                    return Err(Error::NotFound(format!("no sticker {id}")));
                }
                (EventBody::StickerDeleted { id: *id }, Change::Delete(*id))
            }
            Op::Rename(title) => {
                let title = validate_title(title)?;
                (
                    EventBody::BoardRenamed { title: title.clone() },
                    Change::Title(title),
                )
            }
            Op::Chat(text) => {
                if text.trim().is_empty() {
                    return Err(Error::bad("chat text must not be empty"));
                }
                check_text(text, limits)?;
                let body = EventBody::Chat {
                    id: Uuid::new_v4(),
                    text: text.clone(),
                };
                (body, Change::Nothing)
            }
        };
        self.seq += 1;
        self.commit(self.seq, &change);
        Ok(Applied {
            seq: self.seq,
            body,
            change,
        })
    }

    /// Applies a change that is already validated (the committed view
    /// catching up, or a board loaded from storage).
    pub fn commit(&mut self, seq: i64, change: &Change) {
        match change {
            Change::Upsert(s) => {
                self.stickers.insert(s.id, s.clone());
            }
            Change::Delete(id) => {
                self.stickers.remove(id);
            }
            Change::Title(t) => self.title.clone_from(t),
            Change::Nothing => {}
        }
        self.seq = seq;
    }

    fn create(&self, new: &NewSticker, at: &str, by: &str, limits: &Limits) -> Result<(EventBody, Change)> {
        for (name, v) in [("x", new.x), ("y", new.y)] {
            check_coord(name, v)?;
        }
        check_size("w", new.w)?;
        check_size("h", new.h)?;
        let z = new.z.unwrap_or(0.0);
        check_coord("z", z)?;
        let color = check_color(&new.color)?;
        check_text(&new.text, limits)?;
        let id = new.id.unwrap_or_else(Uuid::new_v4);
        if let Some(existing) = self.stickers.get(&id) {
            return Err(Error::Conflict {
                message: format!("sticker {id} exists"),
                sticker: Some(Box::new(existing.clone())),
            });
        }
        if self.stickers.len() >= limits.max_stickers {
            return Err(Error::LimitExceeded(format!(
                "a board holds at most {} stickers",
                limits.max_stickers
            )));
        }
        let sticker = Sticker {
            id,
            x: new.x,
            y: new.y,
            w: new.w,
            h: new.h,
            z,
            color,
            text: new.text.clone(),
            version: 1,
            updated_at: at.to_owned(),
            created_by: None,
            updated_by: None,
        };
        // the event's `by` names the author; the state keeps it
        let body = EventBody::StickerCreated {
            sticker: sticker.clone(),
        };
        Ok((body, Change::Upsert(with_creator(sticker, by))))
    }

    fn update(
        &self,
        id: Uuid,
        patch: &Patch,
        if_version: Option<i64>,
        at: &str,
        by: &str,
        limits: &Limits,
    ) -> Result<(EventBody, Change)> {
        let current = self
            .stickers
            .get(&id)
            .ok_or_else(|| Error::NotFound(format!("no sticker {id}")))?;
        let mut patch = patch.clone();
        if patch == Patch::default() {
            return Err(Error::bad("patch is empty"));
        }
        for (name, v) in [("x", patch.x), ("y", patch.y), ("z", patch.z)] {
            if let Some(v) = v {
                check_coord(name, v)?;
            }
        }
        for (name, v) in [("w", patch.w), ("h", patch.h)] {
            if let Some(v) = v {
                check_size(name, v)?;
            }
        }
        if let Some(c) = &patch.color {
            patch.color = Some(check_color(c)?);
        }
        if let Some(t) = &patch.text {
            check_text(t, limits)?;
        }
        if let Some(expected) = if_version {
            if expected != current.version {
                return Err(Error::Conflict {
                    message: format!("sticker is at version {}, not {expected}", current.version),
                    sticker: Some(Box::new(current.clone())),
                });
            }
        }
        let mut next = current.clone();
        apply_patch(&mut next, &patch);
        next.version += 1;
        next.updated_at = at.to_owned();
        next.updated_by = Writer::named(by);
        let body = EventBody::StickerUpdated {
            id,
            patch,
            version: next.version,
        };
        Ok((body, Change::Upsert(next)))
    }
}

/// A new sticker as the state keeps it: created and last changed by `by`.
fn with_creator(sticker: Sticker, by: &str) -> Sticker {
    Sticker {
        created_by: Writer::named(by),
        updated_by: Writer::named(by),
        ..sticker
    }
}

/// Applies the fields a patch carries.
pub fn apply_patch(s: &mut Sticker, p: &Patch) {
    let set = |dst: &mut f64, v: Option<f64>| {
        if let Some(v) = v {
            *dst = v;
        }
    };
    set(&mut s.x, p.x);
    set(&mut s.y, p.y);
    set(&mut s.w, p.w);
    set(&mut s.h, p.h);
    set(&mut s.z, p.z);
    if let Some(c) = &p.color {
        s.color.clone_from(c);
    }
    if let Some(t) = &p.text {
        s.text.clone_from(t);
    }
}

/// Applies a stored event as the live board would have made it: the op
/// it records must pass the live rules and make exactly this event, by a
/// plausible author at an RFC 3339 time. How an imported log is checked,
/// so that a file can hold nothing a live board could not.
pub fn replay(state: &mut BoardState, event: &Event, limits: &Limits) -> Result<()> {
    let seq = event.seq;
    let fail = |why: String| Error::bad(format!("event {seq}: {why}"));
    if seq != state.seq + 1 {
        return Err(fail(format!("out of sequence (expected {})", state.seq + 1)));
    }
    check_time(&event.at).map_err(|e| fail(e.to_string()))?;
    let by = &event.by;
    let name_ok = !by.name.trim().is_empty() && by.name.chars().count() <= NAME_MAX_CHARS;
    if !name_ok || by.session.is_empty() || by.session.len() > NAME_MAX_CHARS {
        return Err(fail("its author is not a member's session and name".into()));
    }
    let op = match &event.event {
        EventBody::StickerCreated { sticker: s } => Op::CreateSticker(NewSticker {
            id: Some(s.id),
            x: s.x,
            y: s.y,
            w: s.w,
            h: s.h,
            z: Some(s.z),
            color: s.color.clone(),
            text: s.text.clone(),
        }),
        EventBody::StickerUpdated { id, patch, version } => Op::UpdateSticker {
            id: *id,
            patch: patch.clone(),
            if_version: Some(version.checked_sub(1).ok_or_else(|| fail("bad version".into()))?),
        },
        EventBody::StickerDeleted { id } => Op::DeleteSticker(*id),
        EventBody::Chat { text, .. } => Op::Chat(text.clone()),
        EventBody::BoardRenamed { title } => Op::Rename(title.clone()),
    };
    let applied = state
        .apply(&op, &event.at, &by.name, limits)
        .map_err(|e| fail(e.public_message()))?;
    let same = match (&applied.body, &event.event) {
        // a chat's id is made by the board
        (EventBody::Chat { text: a, .. }, EventBody::Chat { text: b, .. }) => a == b,
        (made, given) => made == given,
    };
    if same {
        Ok(())
    } else {
        Err(fail("not what a board makes of its op".into()))
    }
}

/// An RFC 3339 time in UTC, as the server writes them.
pub fn check_time(at: &str) -> Result<()> {
    humantime::parse_rfc3339(at)
        .map(|_| ())
        .map_err(|_| Error::bad(format!("{at:?} is not an RFC 3339 UTC time")))
}

/// Folds one stored event into a state: what a client does with the log.
/// `by` is the name of its author (the event's `by.name`).
pub fn fold(state: &mut BoardState, seq: i64, at: &str, by: &str, body: &EventBody) {
    let change = match body {
        EventBody::StickerCreated { sticker } => Change::Upsert(with_creator(sticker.without_writers(), by)),
        EventBody::StickerUpdated { id, patch, version } => match state.stickers.get(id) {
            Some(cur) => {
                let mut next = cur.clone();
                apply_patch(&mut next, patch);
                next.version = *version;
                next.updated_at = at.to_owned();
                next.updated_by = Writer::named(by);
                Change::Upsert(next)
            }
            None => Change::Nothing,
        },
        EventBody::StickerDeleted { id } => Change::Delete(*id),
        EventBody::Chat { .. } => Change::Nothing,
        EventBody::BoardRenamed { title } => Change::Title(title.clone()),
    };
    state.commit(seq, &change);
}

/// A coordinate: finite and within ±1e7.
pub fn check_coord(name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v.abs() <= COORD_MAX {
        Ok(())
    } else {
        Err(Error::bad(format!("{name} must be a number within ±1e7")))
    }
}

/// A width or height: finite, in (0, 1e7].
pub fn check_size(name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 && v <= COORD_MAX {
        Ok(())
    } else {
        Err(Error::bad(format!("{name} must be a number in (0, 1e7]")))
    }
}

/// A `#rrggbb` colour, returned lowercase.
fn check_color(c: &str) -> Result<String> {
    let b = c.as_bytes();
    if b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit) {
        Ok(c.to_ascii_lowercase())
    } else {
        Err(Error::bad("color must be #rrggbb"))
    }
}

fn check_text(t: &str, limits: &Limits) -> Result<()> {
    if t.chars().count() > limits.max_text_chars {
        Err(Error::TooLarge(format!(
            "text is longer than {} chars",
            limits.max_text_chars
        )))
    } else {
        Ok(())
    }
}

/// A board title: trimmed, 1..200 chars.
pub fn validate_title(title: &str) -> Result<String> {
    let t = title.trim();
    if t.is_empty() {
        Err(Error::bad("title must not be empty"))
    } else if t.chars().count() > TITLE_MAX_CHARS {
        Err(Error::TooLarge(format!(
            "title is longer than {TITLE_MAX_CHARS} chars"
        )))
    } else {
        Ok(t.to_owned())
    }
}

/// A display name: trimmed, not empty, shortened to 64 chars.
pub fn validate_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::bad("name must not be empty"));
    }
    Ok(n.chars().take(NAME_MAX_CHARS).collect())
}

/// A presence state: a JSON object of at most 1 KiB compact.
pub fn validate_presence(state: &Value) -> Result<()> {
    if !state.is_object() {
        return Err(Error::bad("state must be an object"));
    }
    if json_len(state) > PRESENCE_MAX_BYTES {
        return Err(Error::TooLarge(format!(
            "state is over {PRESENCE_MAX_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A signal payload: at most 16 KiB compact.
pub fn validate_signal_payload(payload: &Value) -> Result<()> {
    if json_len(payload) > SIGNAL_MAX_BYTES {
        return Err(Error::TooLarge(format!(
            "payload is over {SIGNAL_MAX_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The length of a value's compact JSON, in bytes.
fn json_len(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    // Writing a Value into a counter cannot fail.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// The ops that turn `from` into `to` (content, not versions): deletions
/// first, then creations, then updates, then the title.
pub fn ops_to_reach(from: &BoardState, to: &BoardState) -> Vec<Op> {
    let mut ops: Vec<Op> = from
        .stickers
        .keys()
        .filter(|id| !to.stickers.contains_key(id))
        .map(|id| Op::DeleteSticker(*id))
        .collect();
    let mut ids: Vec<&Uuid> = to.stickers.keys().collect();
    ids.sort();
    let mut updates = Vec::new();
    for id in ids {
        let t = &to.stickers[id];
        match from.stickers.get(id) {
            None => ops.push(Op::CreateSticker(NewSticker {
                id: Some(t.id),
                x: t.x,
                y: t.y,
                w: t.w,
                h: t.h,
                z: Some(t.z),
                color: t.color.clone(),
                text: t.text.clone(),
            })),
            Some(f) => {
                let num = |a: f64, b: f64| (a != b).then_some(b);
                let patch = Patch {
                    x: num(f.x, t.x),
                    y: num(f.y, t.y),
                    w: num(f.w, t.w),
                    h: num(f.h, t.h),
                    z: num(f.z, t.z),
                    color: (f.color != t.color).then(|| t.color.clone()),
                    text: (f.text != t.text).then(|| t.text.clone()),
                };
                if patch != Patch::default() {
                    updates.push(Op::UpdateSticker {
                        id: *id,
                        patch,
                        if_version: None,
                    });
                }
            }
        }
    }
    ops.extend(updates);
    if from.title != to.title && !to.title.is_empty() {
        ops.push(Op::Rename(to.title.clone()));
    }
    ops
}

/// How many stickers `ops` change (create, update or delete): what a
/// restore tells the members.
pub fn stickers_changed(ops: &[Op]) -> usize {
    let ids: std::collections::HashSet<Uuid> = ops
        .iter()
        .filter_map(|op| match op {
            Op::CreateSticker(new) => new.id,
            Op::UpdateSticker { id, .. } | Op::DeleteSticker(id) => Some(*id),
            Op::Rename(_) | Op::Chat(_) => None,
        })
        .collect();
    ids.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_text_chars: 10,
        max_stickers: 2,
    };
    const AT: &str = "2026-01-01T00:00:00Z";

    fn new_sticker(id: Option<Uuid>) -> NewSticker {
        NewSticker {
            id,
            x: 1.0,
            y: 2.0,
            w: 100.0,
            h: 50.0,
            z: None,
            color: "#AABBCC".into(),
            text: "hi".into(),
        }
    }

    fn created(state: &mut BoardState) -> Uuid {
        let a = state
            .apply(&Op::CreateSticker(new_sticker(None)), AT, "Ada", &LIMITS)
            .expect("a valid create applies");
        match a.body {
            EventBody::StickerCreated { sticker } => sticker.id,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn create_assigns_seq_version_and_lowercase_color() {
        let mut s = BoardState::default();
        let a = s
            .apply(&Op::CreateSticker(new_sticker(None)), AT, "Ada", &LIMITS)
            .unwrap();
        assert_eq!(a.seq, 1);
        let EventBody::StickerCreated { sticker } = a.body else {
            panic!("not a create")
        };
        assert_eq!(sticker.version, 1);
        assert_eq!(sticker.z, 0.0);
        assert_eq!(sticker.color, "#aabbcc");
        assert_eq!(sticker.updated_at, AT);
        assert_eq!(
            sticker.created_by, None,
            "the event's `by` says who, not its body"
        );
        assert_eq!(s.stickers.len(), 1);
        assert_eq!(s.stickers[&sticker.id].created_by, Writer::named("Ada"));
        assert_eq!(s.stickers[&sticker.id].updated_by, Writer::named("Ada"));
    }

    #[test]
    fn create_with_existing_id_conflicts_with_that_sticker() {
        let mut s = BoardState::default();
        let id = Uuid::new_v4();
        s.apply(&Op::CreateSticker(new_sticker(Some(id))), AT, "Ada", &LIMITS)
            .unwrap();
        let err = s
            .apply(&Op::CreateSticker(new_sticker(Some(id))), AT, "Ada", &LIMITS)
            .unwrap_err();
        match err {
            Error::Conflict {
                sticker: Some(st), ..
            } => assert_eq!(st.id, id),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(s.seq, 1, "a failed op assigns no seq");
    }

    #[test]
    fn limits_and_validation() {
        let mut s = BoardState::default();
        created(&mut s);
        created(&mut s);
        let err = s
            .apply(&Op::CreateSticker(new_sticker(None)), AT, "Ada", &LIMITS)
            .unwrap_err();
        assert_eq!(err.code(), "limit_exceeded");

        let mut s = BoardState::default();
        let mut bad = new_sticker(None);
        bad.color = "red".into();
        assert_eq!(
            s.apply(&Op::CreateSticker(bad), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "bad_request"
        );
        let mut bad = new_sticker(None);
        bad.x = 2e7;
        assert_eq!(
            s.apply(&Op::CreateSticker(bad), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "bad_request"
        );
        let mut bad = new_sticker(None);
        bad.w = 0.0;
        assert_eq!(
            s.apply(&Op::CreateSticker(bad), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "bad_request"
        );
        let mut bad = new_sticker(None);
        bad.text = "ééééééééééé".into(); // 11 chars, 22 bytes
        assert_eq!(
            s.apply(&Op::CreateSticker(bad), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "too_large"
        );
        let mut ok = new_sticker(None);
        ok.text = "éééééééééé".into(); // 10 chars: at the limit
        assert!(s.apply(&Op::CreateSticker(ok), AT, "Ada", &LIMITS).is_ok());
        assert_eq!(s.seq, 1);
    }

    #[test]
    fn update_bumps_version_and_checks_if_version() {
        let mut s = BoardState::default();
        let id = created(&mut s);
        let patch = Patch {
            x: Some(5.0),
            color: Some("#FFFFFF".into()),
            ..Patch::default()
        };
        let a = s
            .apply(
                &Op::UpdateSticker {
                    id,
                    patch: patch.clone(),
                    if_version: Some(1),
                },
                "later",
                "Bob",
                &LIMITS,
            )
            .unwrap();
        assert_eq!(a.seq, 2);
        let st = &s.stickers[&id];
        assert_eq!((st.x, st.y, st.version), (5.0, 2.0, 2));
        assert_eq!(st.color, "#ffffff");
        assert_eq!(st.updated_at, "later");
        assert_eq!(st.created_by, Writer::named("Ada"), "the creator stays");
        assert_eq!(st.updated_by, Writer::named("Bob"), "the last editor");
        let err = s
            .apply(
                &Op::UpdateSticker {
                    id,
                    patch,
                    if_version: Some(1),
                },
                AT,
                "Ada",
                &LIMITS,
            )
            .unwrap_err();
        match err {
            Error::Conflict {
                sticker: Some(st), ..
            } => assert_eq!(st.version, 2),
            other => panic!("unexpected {other:?}"),
        }
        let empty = Op::UpdateSticker {
            id,
            patch: Patch::default(),
            if_version: None,
        };
        assert_eq!(
            s.apply(&empty, AT, "Ada", &LIMITS).unwrap_err().code(),
            "bad_request"
        );
        let missing = Op::UpdateSticker {
            id: Uuid::new_v4(),
            patch: Patch {
                x: Some(1.0),
                ..Patch::default()
            },
            if_version: None,
        };
        assert_eq!(
            s.apply(&missing, AT, "Ada", &LIMITS).unwrap_err().code(),
            "not_found"
        );
    }

    #[test]
    fn delete_rename_chat() {
        let mut s = BoardState::default();
        let id = created(&mut s);
        s.apply(&Op::DeleteSticker(id), AT, "Ada", &LIMITS).unwrap();
        assert!(s.stickers.is_empty());
        assert_eq!(
            s.apply(&Op::DeleteSticker(id), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "not_found"
        );
        let a = s
            .apply(&Op::Rename("  New  ".into()), AT, "Ada", &LIMITS)
            .unwrap();
        assert_eq!(a.change, Change::Title("New".into()));
        assert_eq!(s.title, "New");
        assert_eq!(
            s.apply(&Op::Rename(" ".into()), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "bad_request"
        );
        assert_eq!(
            s.apply(&Op::Rename("x".repeat(201)), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "too_large"
        );
        assert_eq!(
            s.apply(&Op::Chat(String::new()), AT, "Ada", &LIMITS)
                .unwrap_err()
                .code(),
            "bad_request"
        );
        let a = s.apply(&Op::Chat("hello".into()), AT, "Ada", &LIMITS).unwrap();
        assert_eq!(a.seq, 4);
        assert_eq!(a.change, Change::Nothing);
    }

    #[test]
    fn folding_the_events_gives_the_state() {
        let mut live = BoardState::default();
        let id = Uuid::new_v4();
        let ops = [
            Op::CreateSticker(new_sticker(Some(id))),
            Op::UpdateSticker {
                id,
                patch: Patch {
                    text: Some("b".into()),
                    ..Patch::default()
                },
                if_version: None,
            },
            Op::CreateSticker(new_sticker(None)),
            Op::Rename("T".into()),
            Op::DeleteSticker(id),
        ];
        let mut folded = BoardState::default();
        // who wrote what comes out of the log too
        for (op, by) in ops.iter().zip(["Ada", "Bob", "Cy", "Ada", "Bob"]) {
            let e = live.apply(op, AT, by, &LIMITS).unwrap();
            fold(&mut folded, e.seq, AT, by, &e.body);
            if e.seq == 2 {
                let s = &folded.stickers[&id];
                assert_eq!(
                    (&s.created_by, &s.updated_by),
                    (&Writer::named("Ada"), &Writer::named("Bob"))
                );
            }
        }
        assert_eq!(folded, live);
        assert_eq!(folded.seq, 5);
    }

    #[test]
    fn ops_to_reach_a_past_state() {
        let mut past = BoardState {
            title: "Then".into(),
            ..BoardState::default()
        };
        let kept = Uuid::new_v4();
        let gone = Uuid::new_v4();
        for id in [kept, gone] {
            past.apply(&Op::CreateSticker(new_sticker(Some(id))), AT, "Ada", &LIMITS)
                .unwrap();
        }
        let mut now = past.clone();
        let patch = Patch {
            x: Some(50.0),
            text: Some("new".into()),
            ..Patch::default()
        };
        now.apply(
            &Op::UpdateSticker {
                id: kept,
                patch,
                if_version: None,
            },
            AT,
            "Ada",
            &LIMITS,
        )
        .unwrap();
        now.apply(&Op::DeleteSticker(gone), AT, "Ada", &LIMITS).unwrap();
        let added = now
            .apply(&Op::CreateSticker(new_sticker(None)), AT, "Ada", &LIMITS)
            .unwrap();
        now.apply(&Op::Rename("Now".into()), AT, "Ada", &LIMITS).unwrap();

        let ops = ops_to_reach(&now, &past);
        assert!(
            matches!(ops.first(), Some(Op::DeleteSticker(_))),
            "deletions first: {ops:?}"
        );
        for op in &ops {
            now.apply(op, "later", "Ada", &LIMITS).unwrap();
        }
        let content = |s: &BoardState| {
            let mut v: Vec<_> = s
                .stickers
                .values()
                .map(|st| {
                    (
                        st.id,
                        st.x,
                        st.y,
                        st.w,
                        st.h,
                        st.z,
                        st.color.clone(),
                        st.text.clone(),
                    )
                })
                .collect();
            v.sort_by_key(|t| t.0);
            v
        };
        assert_eq!(content(&now), content(&past));
        assert_eq!(now.title, "Then");
        assert!(!now.stickers.contains_key(&match added.body {
            EventBody::StickerCreated { sticker } => sticker.id,
            _ => unreachable!(),
        }));
        assert!(ops_to_reach(&past, &past).is_empty());
        // kept changed, gone back, added removed; the title is no sticker
        assert_eq!(stickers_changed(&ops), 3);
    }

    #[test]
    fn names_titles_presence_payloads() {
        assert_eq!(validate_name("  Ada ").unwrap(), "Ada");
        assert_eq!(validate_name(&"n".repeat(100)).unwrap().chars().count(), 64);
        assert!(validate_name("   ").is_err());
        assert!(validate_title(&"é".repeat(200)).is_ok());
        assert!(validate_presence(&serde_json::json!({})).is_ok());
        assert!(validate_presence(&serde_json::json!([])).is_err());
        let big = serde_json::json!({ "k": "x".repeat(1020) });
        assert_eq!(validate_presence(&big).unwrap_err().code(), "too_large");
        let fits = serde_json::json!({ "k": "x".repeat(1016) }); // {"k":"…"} = 1024 bytes
        assert!(validate_presence(&fits).is_ok());
        assert!(validate_signal_payload(&serde_json::json!("x".repeat(17_000))).is_err());
    }
}
