//! A member changes its display name: the others see the same member
//! with its new name (`presence.updated`), as with any presence change,
//! rather than one member leaving and another joining. Its later events
//! carry the new name.

use actix::prelude::*;

use super::Board;
use crate::protocol::{Ref, ServerMessage, SessionId};

/// A member's new display name (already trimmed and shortened).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RenameMember {
    pub session: SessionId,
    pub reference: Option<Ref>,
    pub name: String,
}

impl Handler<RenameMember> for Board {
    type Result = ();

    fn handle(&mut self, m: RenameMember, ctx: &mut Context<Self>) {
        let Some(slot) = self.members.get_mut(&m.session) else {
            return; // cut or gone: nobody to answer
        };
        slot.member.name = m.name;
        let frame = ServerMessage::PresenceUpdated { member: &slot.member }.to_frame();
        self.reply_ok(&m.session, m.reference.as_ref(), ctx);
        self.broadcast(&frame, None, ctx);
    }
}
