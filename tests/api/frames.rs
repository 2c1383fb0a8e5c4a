//! WebSocket frames the client library would not send: an oversized header,
//! invalid UTF-8, control frames against the rate limit.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

crate::on_both_backends!(
    an_oversized_header_is_refused_before_its_payload,
    invalid_utf8_text_closes_1007,
    pings_and_pongs_count_against_the_rate_limit,
    every_fragment_counts_against_the_rate_limit,
);

/// A WebSocket over a bare TCP socket, upgraded by hand, so that any bytes
/// can be written.
struct RawWs {
    tcp: TcpStream,
    /// Read and not yet parsed.
    buf: Vec<u8>,
}

/// A frame from the server (never masked, never fragmented here).
#[derive(Debug)]
struct ServerFrame {
    opcode: u8,
    payload: Vec<u8>,
}

impl RawWs {
    /// Upgrades and reads the welcome.
    async fn join(app: &TestApp, board: &TestBoard, token: &str) -> RawWs {
        let mut tcp = TcpStream::connect(&app.addr).await.expect("connect");
        let request = format!(
            "GET /ws/boards/{}?token={token}&name=Raw HTTP/1.1\r\nHost: {}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            board.id, app.addr
        );
        tcp.write_all(request.as_bytes())
            .await
            .expect("write the upgrade");
        let mut buf = Vec::new();
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(
                read_more(&mut tcp, &mut buf).await,
                "the server hung up during the upgrade"
            );
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        buf.drain(..head_end);
        let mut ws = RawWs { tcp, buf };
        let welcome = loop {
            let f = next_frame(&mut ws.tcp, &mut ws.buf).await.expect("a frame");
            if f.opcode == 0x1 {
                break serde_json::from_slice::<Value>(&f.payload).expect("JSON frame");
            }
        };
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        ws
    }
}

/// Reads more into `buf`; false at the end of the stream or on a reset.
async fn read_more(rd: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    match tokio::time::timeout(WAIT, rd.read(&mut chunk))
        .await
        .expect("data or the end within the wait")
    {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// The next frame, or None when the stream ends (or is reset) first.
async fn next_frame(rd: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> Option<ServerFrame> {
    loop {
        if let Some((frame, used)) = parse_server_frame(buf) {
            buf.drain(..used);
            return Some(frame);
        }
        if !read_more(rd, buf).await {
            return None;
        }
    }
}

/// Reads to the close frame; its code (None when the stream ends first).
async fn close_code(rd: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> Option<u16> {
    loop {
        let f = next_frame(rd, buf).await?;
        if f.opcode == 0x8 {
            return f.payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        }
    }
}

/// One unmasked server frame at the start of `buf`, and its length.
fn parse_server_frame(buf: &[u8]) -> Option<(ServerFrame, usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    assert_eq!(b1 & 0x80, 0, "a server frame is not masked");
    let (len, at) = match b1 & 0x7f {
        126 => (u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize, 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    let payload = buf.get(at..at + len)?.to_vec();
    Some((
        ServerFrame {
            opcode: b0 & 0x0f,
            payload,
        },
        at + len,
    ))
}

/// A masked client frame.
fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n <= 0xffff => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A header that declares far more than the frame limit is refused as soon as
/// it arrives: close 1009 at once, and the payload that follows is neither
/// kept nor read for long. A view token suffices.
async fn an_oversized_header_is_refused_before_its_payload(backend: Backend) {
    // the default limit (64 KiB) and heartbeat (15 s), so that only the
    // refusal can close within the test
    let app = spawn_app(backend).await;
    let b = app.board("B").await;
    let RawWs { tcp, mut buf } = RawWs::join(&app, &b, &b.view).await;
    let (mut rd, mut wr) = tcp.into_split();

    // a masked text frame declaring 2^40 bytes, then payload for up to 5 s
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    let started = Instant::now();
    wr.write_all(&header).await.expect("write the header");
    let writer = actix_web::rt::spawn(async move {
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 0usize;
        // about 12 MiB/s, at most 64 MiB, so that a server that buffers it
        // all (or a test that runs long) stays small
        while started.elapsed() < Duration::from_secs(5) && sent < 64 << 20 {
            if wr.write_all(&chunk).await.is_err() {
                return (sent, Some(started.elapsed()));
            }
            sent += chunk.len();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (sent, None)
    });

    let code = close_code(&mut rd, &mut buf).await;
    let closed_after = started.elapsed();
    assert!(
        code == Some(1009) && closed_after < Duration::from_secs(1),
        "closed {code:?} after {closed_after:?}"
    );
    // then the connection ends: end of stream (or a reset) on the read side
    while read_more(&mut rd, &mut buf).await {
        buf.clear();
    }
    let ended_after = started.elapsed();
    assert!(
        ended_after < Duration::from_secs(3),
        "the connection ended after {ended_after:?}"
    );
    // and writing the payload fails soon: the server stopped reading it
    let (sent, failed_after) = writer.await.expect("the writer");
    let failed_after = failed_after
        .unwrap_or_else(|| panic!("the server kept reading: {sent} bytes written without an error"));
    assert!(
        failed_after < Duration::from_secs(4),
        "writes failed only after {failed_after:?} ({sent} bytes)"
    );
}

/// A text frame that is not UTF-8 closes with 1007 (docs/protocol.md), in
/// one frame as across continuation frames.
async fn invalid_utf8_text_closes_1007(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = app.board("B").await;

    let RawWs { mut tcp, mut buf } = RawWs::join(&app, &b, &b.edit).await;
    let bad = b"{\"type\":\"ping\",\"x\":\"\xff\xfe\"}";
    tcp.write_all(&client_frame(true, 0x1, bad)).await.expect("write");
    assert_eq!(close_code(&mut tcp, &mut buf).await, Some(1007));

    // the same with tungstenite's raw frame, and split over two frames
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    a.send_raw(Message::Frame(Frame::message(
        bad.to_vec(),
        OpCode::Data(Data::Text),
        true,
    )))
    .await;
    assert_eq!(a.closed().await, Some(1007));
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    a.send_raw(Message::Frame(Frame::message(
        bad[..20].to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await;
    a.send_raw(Message::Frame(Frame::message(
        bad[20..].to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await;
    assert_eq!(a.closed().await, Some(1007));
}

/// What a client got back for the frames it sent: pongs to its WebSocket
/// pings, `pong` messages, and `rate_limited` replies with their refs.
#[derive(Debug, Default)]
struct Answers {
    ws_pongs: usize,
    pongs: Vec<Value>,
    limited: Vec<Value>,
}

impl Answers {
    fn count(&self) -> usize {
        self.ws_pongs + self.pongs.len() + self.limited.len()
    }
}

/// Reads until `n` answers arrived.
async fn answers(c: &mut Client, n: usize) -> Answers {
    let mut got = Answers::default();
    let deadline = tokio::time::Instant::now() + WAIT;
    while got.count() < n {
        let m = tokio::time::timeout_at(deadline, c.ws.next())
            .await
            .unwrap_or_else(|_| panic!("{n} answers within the wait, got {got:?}"))
            .expect("the socket is open")
            .expect("no socket error");
        match m {
            Message::Pong(_) => got.ws_pongs += 1,
            Message::Ping(_) => {}
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).expect("JSON frame");
                match v["type"].as_str() {
                    Some("pong") => got.pongs.push(v["ref"].clone()),
                    Some("reply") => {
                        assert_eq!(v["error"]["code"], "rate_limited", "{v}");
                        got.limited.push(v["ref"].clone());
                    }
                    _ => panic!("unexpected {v}"),
                }
            }
            other => panic!("unexpected frame {other:?}"),
        }
    }
    got
}

/// WebSocket pings and pongs count like text frames (PROTOCOL.md §5: every
/// frame counts): past the burst a ping gets a `rate_limited` reply (its
/// `ref` null: a control frame has none) instead of a pong, and ten seconds
/// of pings close the connection with 1008.
async fn pings_and_pongs_count_against_the_rate_limit(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_s = 5;
        c.rate_burst = 5;
    })
    .await;
    let b = app.board("B").await;

    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    for i in 0..20u8 {
        a.send_raw(Message::Ping(vec![i].into())).await;
    }
    let got = answers(&mut a, 20).await;
    assert!((5..=7).contains(&got.ws_pongs), "{got:?}");
    assert_eq!(got.ws_pongs + got.limited.len(), 20, "{got:?}");
    assert!(got.limited.iter().all(Value::is_null), "{got:?}");
    assert!(app.metric("corkboard_rate_limited_total").await >= 13.0);

    // unsolicited pongs use up the burst as well: the text ping after them
    // is refused, with its ref
    let (mut p, _) = app.join(&b, &b.edit, "P").await;
    for _ in 0..10 {
        p.send_raw(Message::Pong(Vec::new().into())).await;
    }
    p.send(json!({ "type": "ping", "ref": 1 })).await;
    let got = answers(&mut p, 6).await;
    assert_eq!(got.ws_pongs, 0, "{got:?}");
    assert!(got.pongs.is_empty(), "{got:?}");
    assert_eq!(got.limited.len(), 6, "{got:?}");
    assert_eq!(got.limited.iter().filter(|r| r.is_null()).count(), 5, "{got:?}");
    assert_eq!(got.limited.last(), Some(&json!(1)), "{got:?}");

    // ten seconds of nothing but pings close the connection with 1008
    let started = Instant::now();
    let closed = loop {
        for _ in 0..10 {
            if futures_util::SinkExt::send(&mut a.ws, Message::Ping(Vec::new().into()))
                .await
                .is_err()
            {
                break;
            }
        }
        let mut closed = None;
        while let Ok(m) = tokio::time::timeout(Duration::from_millis(100), a.ws.next()).await {
            match m {
                Some(Ok(Message::Close(f))) => {
                    closed = Some(f.map(|f| u16::from(f.code)));
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    closed = Some(None);
                    break;
                }
            }
        }
        if let Some(code) = closed {
            break code;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not closed for abuse"
        );
    };
    assert_eq!(closed, Some(1008));
    assert!(started.elapsed() >= Duration::from_secs(9));
}

/// Each fragment of a message counts: a message in more fragments than the
/// burst is refused (each refused fragment answered `rate_limited`) and
/// dropped whole.
async fn every_fragment_counts_against_the_rate_limit(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_s = 5;
        c.rate_burst = 5;
    })
    .await;
    let b = app.board("B").await;
    let (mut a, _) = app.join(&b, &b.edit, "A").await;
    let text = json!({ "type": "ping", "ref": 7 }).to_string();
    // ten fragments: nine of two bytes and the rest
    let bytes = text.as_bytes();
    let pieces: Vec<&[u8]> = (0..10)
        .map(|i| &bytes[i * 2..if i == 9 { bytes.len() } else { i * 2 + 2 }])
        .collect();
    for (i, piece) in pieces.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        a.send_raw(Message::Frame(Frame::message(
            piece.to_vec(),
            opcode,
            i == pieces.len() - 1,
        )))
        .await;
    }
    let got = answers(&mut a, 5).await;
    assert!(got.pongs.is_empty(), "{got:?}");
    assert!(got.limited.iter().all(Value::is_null), "{got:?}");
    // and nothing else: the message was dropped
    a.assert_silent(Duration::from_millis(300)).await;
    // once the limit refills, a message in fewer fragments than the burst
    // goes through
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (first, rest) = text.as_bytes().split_at(10);
    a.send_raw(Message::Frame(Frame::message(
        first.to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await;
    a.send_raw(Message::Frame(Frame::message(
        rest.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await;
    let got = answers(&mut a, 1).await;
    assert_eq!(got.pongs, vec![json!(7)], "{got:?}");
}
