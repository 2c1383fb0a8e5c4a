//! Slow request bodies time out, as slow headers do (actix-web times out
//! only the headers): a body must start within `body_timeout` and then
//! arrive at 1 KiB/s on average (Apache's `mod_reqtimeout` rule, so a
//! large upload on a slow link still gets through). A body that does not
//! is answered 408 and its connection closed, instead of holding a
//! socket and a worker's attention for as long as the client likes.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::Stream;
use serde_json::json;
use tokio::time::{sleep_until, Instant, Sleep};

/// The average rate a body must keep once it has started.
const MIN_BYTES_PER_S: u64 = 1024;

/// The middleware: wraps the body of every request that may carry one.
/// WebSocket upgrades are GETs, so their frames are never timed here.
pub async fn body_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    timeout: Duration,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let body = TimedBody {
        inner: req.take_payload(),
        clock: None,
        timeout,
        received: 0,
        timed_out: timed_out.clone(),
        done: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(body),
    });
    let res = next.call(req).await?;
    if !timed_out.load(Ordering::Relaxed) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, _) = res.into_parts();
    let mut late = HttpResponse::build(StatusCode::REQUEST_TIMEOUT).json(json!({
        "error": {
            "code": "bad_request",
            "message": format!(
                "the request body did not arrive in time (it must start within {timeout:?} \
                 and then keep {MIN_BYTES_PER_S} bytes/s)"
            ),
        }
    }));
    late.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(req, late))
}

/// A request body with a deadline that moves on as bytes arrive. The
/// clock starts when the handler first reads (a handler busy elsewhere
/// first does not count against the client).
struct TimedBody {
    inner: Payload,
    /// The first read, and the deadline as it stands.
    clock: Option<(Instant, Pin<Box<Sleep>>)>,
    timeout: Duration,
    received: u64,
    timed_out: Arc<AtomicBool>,
    done: bool,
}

impl Stream for TimedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let timeout = this.timeout;
        let (start, sleep) = this.clock.get_or_insert_with(|| {
            let now = Instant::now();
            (now, Box::pin(sleep_until(now + timeout)))
        });
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let allowed = timeout + Duration::from_millis(this.received * 1000 / MIN_BYTES_PER_S);
                sleep.as_mut().reset(*start + allowed);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                this.done = true;
                Poll::Ready(other)
            }
            Poll::Pending => match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    this.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
