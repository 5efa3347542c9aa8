//! How often a call is sent to a peer that is down, counted from the client's log. A test binary
//! of its own: the log subscriber it installs is the process's, so no other test shares it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hybrid_core::{InternalApis, Secrets};
use hybrid_rpc::{InternalCredential, PeerOptions, link};
use hybrid_users_api::{GRPC, UserDirectory};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Counts the retries of internal calls the client logs.
struct Retries(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for Retries {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(bool);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                self.0 |= field.name() == "message" && format!("{value:?}").contains("retrying an internal call");
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn a_peer_that_is_down_gets_idempotent_calls_three_times() {
    let retries = Arc::new(AtomicUsize::new(0));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Retries(retries.clone()))).unwrap();
    let caller = InternalApis::default();
    let options = PeerOptions {
        timeout: Duration::from_millis(600),
        connect_timeout: Duration::from_millis(200),
    };
    // nothing listens on port 9 of localhost (discard, never served here)
    let credential = InternalCredential::new(&Secrets::from_keys([1; 32], &[]));
    (GRPC.connect)(
        &caller,
        link("users", "http://127.0.0.1:9", options, &credential).unwrap(),
    );
    let users = caller.get::<dyn UserDirectory>().unwrap();
    let err = users.get(1).await.unwrap_err();
    assert_eq!(err.status.as_u16(), 503, "{}", err.message);
    assert_eq!(retries.swap(0, Ordering::SeqCst), 2, "a read is sent three times");
    let err = users.create("new".into()).await.unwrap_err();
    assert_eq!(err.status.as_u16(), 503, "{}", err.message);
    assert_eq!(retries.load(Ordering::SeqCst), 0, "a create is sent once");
}
