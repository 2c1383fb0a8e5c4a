//! Points of PROTOCOL.md that an audit found the server missing, each
//! pinned over real sockets.

use serde_json::json;

use crate::helpers::*;

crate::on_both_backends!(an_op_id_retry_without_ref_gets_no_reply,);

/// §3: a reply answers a message that had a `ref` (and every failed one);
/// a successful retry of an applied op_id without a `ref` gets none.
async fn an_op_id_retry_without_ref_gets_no_reply(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let mut op = create_msg("once");
    op["op_id"] = json!(uuid::Uuid::new_v4().to_string());
    let first = a.request(op.clone(), 1).await;
    assert_eq!(first, json!({ "type": "reply", "ref": 1, "ok": true, "seq": 1 }));
    assert_eq!(a.recv_type("event").await["seq"], 1);

    a.send(op.clone()).await; // the retry, without a ref
                              // presence.set goes through the board after the retry: whatever the
                              // board answers the retry arrives before this reply
    a.send(json!({ "type": "presence.set", "state": {}, "ref": 2 }))
        .await;
    loop {
        let m = a.recv().await;
        assert_ne!(m["type"], "event", "the retry was applied again: {m}");
        if m["type"] == "reply" {
            assert_eq!(m["ref"], 2, "a reply to a message without ref: {m}");
            assert_eq!(m["ok"], true, "{m}");
            break;
        }
    }
    // with a ref the retry is answered with the original seq
    let again = a.request(op, 3).await;
    assert_eq!(again, json!({ "type": "reply", "ref": 3, "ok": true, "seq": 1 }));
}
