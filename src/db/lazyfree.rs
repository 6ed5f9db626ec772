//! Lazy freeing: big values and whole databases are dropped on a background thread,
//! so UNLINK of a million-member set or FLUSHALL ASYNC never stalls the event loop.
//!
//! The thread owns nothing of the live dataset: it only receives values already
//! removed from the keyspace, and drops them (Redis's lazyfree bio thread). Small
//! values are dropped inline, where that is cheaper than the hand-off.

use std::cell::OnceCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};

/// Anything that can be dropped elsewhere.
type Garbage = Box<dyn Send>;

static PENDING: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

/// Values whose heap footprint exceeds this are freed in the background.
pub const LAZYFREE_THRESHOLD_BYTES: usize = 64 * 1024;

thread_local! {
    /// The event loop's end of the queue (`None` if the thread could not start).
    static QUEUE: OnceCell<Option<Sender<Garbage>>> = const { OnceCell::new() };
}

fn spawn_freer() -> Option<Sender<Garbage>> {
    let (tx, rx) = channel::<Garbage>();
    let spawned = std::thread::Builder::new()
        .name("lazyfree".into())
        .spawn(move || {
            for item in rx {
                drop(item);
                PENDING.fetch_sub(1, Ordering::Relaxed);
                FREED.fetch_add(1, Ordering::Relaxed);
            }
        });
    match spawned {
        Ok(_) => Some(tx),
        Err(e) => {
            log::warn!("Can't create the lazyfree thread, freeing inline: {e}");
            None
        }
    }
}

fn sender() -> Option<Sender<Garbage>> {
    QUEUE.with(|q| q.get_or_init(spawn_freer).clone())
}

/// Drops `item` on the lazyfree thread (inline if the thread is unavailable).
pub fn free_in_background<T: Send + 'static>(item: T) {
    let Some(tx) = sender() else {
        drop(item);
        return;
    };
    PENDING.fetch_add(1, Ordering::Relaxed);
    if let Err(returned) = tx.send(Box::new(item)) {
        PENDING.fetch_sub(1, Ordering::Relaxed);
        drop(returned);
    }
}

/// Frees a value removed from the keyspace: big ones in the background.
pub fn free_value(obj: crate::types::RObj) {
    if obj.value.heap_size() > LAZYFREE_THRESHOLD_BYTES {
        free_in_background(obj);
    } else {
        drop(obj);
    }
}

/// INFO `lazyfree_pending_objects`.
pub fn pending_objects() -> u64 {
    PENDING.load(Ordering::Relaxed)
}

/// INFO `lazyfreed_objects`.
pub fn freed_objects() -> u64 {
    FREED.load(Ordering::Relaxed)
}

/// Resets `lazyfreed_objects` (CONFIG RESETSTAT).
pub fn reset_stats() {
    FREED.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_free_drops_the_value() {
        use std::sync::Arc;
        let marker = Arc::new(());
        let clone = Arc::clone(&marker);
        free_in_background(vec![clone; 3]);
        for _ in 0..200 {
            if Arc::strong_count(&marker) == 1 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("value was not dropped in the background");
    }
}
