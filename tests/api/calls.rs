//! Calls: signaling only, with a participant cap and cleanup on drop.

use serde_json::json;

use crate::helpers::*;

crate::on_both_backends!(calls_cap_relay_and_cleanup);

async fn calls_cap_relay_and_cleanup(backend: Backend) {
    let ice = json!([{ "urls": ["stun:stun.example.org:3478"] }, { "urls": "turn:turn.example.org", "username": "u", "credential": "c" }]);
    let ice_for_config = ice.clone();
    let app = spawn_app_with(backend, move |c| {
        c.call_max = 2;
        c.ice_servers = ice_for_config;
    })
    .await;
    let b = app.board("call").await;
    let (mut a, wa) = app.join(&b, &b.edit, "A").await;
    let (mut bb, wb) = app.join(&b, &b.view, "B").await;
    let (mut c, wc) = app.join(&b, &b.edit, "C").await;
    assert_eq!(wc["call"]["ice_servers"], ice);
    assert_eq!(wc["call"]["max"], 2);
    let (sa, sb, sc) = (
        wa["session"].clone(),
        wb["session"].clone(),
        wc["session"].clone(),
    );
    a.recv_type("presence.joined").await;
    a.recv_type("presence.joined").await;
    bb.recv_type("presence.joined").await;

    let r = a.request(json!({ "type": "call.join" }), 1).await;
    assert_eq!((r["ok"].clone(), r["peers"].clone()), (json!(true), json!([])));
    for m in [&mut a, &mut bb, &mut c] {
        assert_eq!(
            m.recv_type("call.joined").await,
            json!({ "type": "call.joined", "session": sa })
        );
    }
    let r = bb.request(json!({ "type": "call.join" }), 2).await;
    assert_eq!(r["peers"], json!([sa]));
    for m in [&mut a, &mut bb, &mut c] {
        assert_eq!(m.recv_type("call.joined").await["session"], sb);
    }
    let r = c.request(json!({ "type": "call.join" }), 3).await;
    assert_eq!(r["error"]["code"], "limit_exceeded");
    // joining again answers the same peers, without a second call.joined
    assert_eq!(
        a.request(json!({ "type": "call.join" }), 4).await["peers"],
        json!([sb])
    );

    let offer = json!({ "sdp": { "type": "offer", "sdp": "v=0" } });
    let r = a
        .request(json!({ "type": "signal", "to": sb, "payload": offer }), 5)
        .await;
    assert_eq!(r["ok"], true);
    assert_eq!(
        bb.recv_type("signal").await,
        json!({ "type": "signal", "from": sa, "payload": offer })
    );
    let code = |r: serde_json::Value| r["error"]["code"].as_str().unwrap_or("ok").to_owned();
    assert_eq!(
        code(
            c.request(json!({ "type": "signal", "to": sa, "payload": {} }), 6)
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        code(
            a.request(json!({ "type": "signal", "to": sc, "payload": {} }), 7)
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        code(
            a.request(json!({ "type": "signal", "to": "s-nobody", "payload": {} }), 8)
                .await
        ),
        "not_found"
    );
    let big = json!({ "type": "signal", "to": sb, "payload": "x".repeat(17 * 1024) });
    assert_eq!(code(a.request(big, 9).await), "too_large");
    assert_eq!(
        code(c.request(json!({ "type": "call.leave" }), 10).await),
        "forbidden"
    );

    let (_d, wd) = app.join(&b, &b.view, "D").await;
    assert_eq!(wd["call"]["participants"], json!([sa, sb]));
    let in_call: Vec<bool> = wd["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["in_call"] == true)
        .collect();
    assert_eq!(in_call.iter().filter(|x| **x).count(), 2);

    // a participant that disconnects leaves the call for everyone
    bb.close().await;
    assert_eq!(
        a.recv_type("call.left").await,
        json!({ "type": "call.left", "session": sb })
    );
    assert_eq!(c.recv_type("call.left").await["session"], sb);
    // now C fits
    assert_eq!(
        c.request(json!({ "type": "call.join" }), 11).await["peers"],
        json!([sa])
    );
    assert_eq!(a.request(json!({ "type": "call.leave" }), 12).await["ok"], true);
    assert_eq!(c.recv_type("call.left").await["session"], sa);
}
