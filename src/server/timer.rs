//! The timer wheel: deadlines for the server cron, blocked-client timeouts and
//! replication heartbeats, checked once per event-loop turn.
//!
//! A hashed wheel of 1 ms slots: adding and cancelling are O(1), firing walks only the
//! slots whose time has come. The earliest deadline is cached so the reactor can size
//! its poll timeout without scanning the wheel every turn.

use std::collections::HashSet;

const SLOTS: usize = 1024;

/// Identifies a scheduled timer, for cancelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(u64);

struct Entry<T> {
    id: u64,
    deadline_ms: i64,
    item: T,
}

/// A wheel of timers carrying `T`.
pub struct TimerWheel<T> {
    slots: Vec<Vec<Entry<T>>>,
    /// Every slot before this time (ms) has been processed.
    cursor_ms: i64,
    next_id: u64,
    cancelled: HashSet<u64>,
    earliest: Option<i64>,
    len: usize,
}

impl<T> TimerWheel<T> {
    /// A wheel whose time starts at `now_ms`.
    pub fn new(now_ms: i64) -> TimerWheel<T> {
        TimerWheel {
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            cursor_ms: now_ms,
            next_id: 1,
            cancelled: HashSet::new(),
            earliest: None,
            len: 0,
        }
    }

    /// Number of live timers.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Schedules `item` at `deadline_ms`; a deadline in the past fires on the next turn.
    pub fn add(&mut self, deadline_ms: i64, item: T) -> TimerId {
        let id = self.next_id;
        self.next_id += 1;
        let at = deadline_ms.max(self.cursor_ms);
        self.slots[(at as usize) % SLOTS].push(Entry {
            id,
            deadline_ms: at,
            item,
        });
        self.earliest = Some(self.earliest.map_or(at, |e| e.min(at)));
        self.len += 1;
        TimerId(id)
    }

    /// Cancels a timer; cancelling one that already fired is harmless.
    pub fn cancel(&mut self, id: TimerId) {
        if self.cancelled.insert(id.0) {
            self.len = self.len.saturating_sub(1);
        }
    }

    /// Milliseconds until the next deadline from `now_ms` (0 if due), `None` if idle.
    pub fn timeout_ms(&self, now_ms: i64) -> Option<u64> {
        self.earliest.map(|e| (e - now_ms).max(0) as u64)
    }

    /// Removes and returns every timer due at `now_ms`, earliest first.
    pub fn expire(&mut self, now_ms: i64) -> Vec<T> {
        let mut fired: Vec<(i64, u64, T)> = Vec::new();
        if self.earliest.is_none_or(|e| e > now_ms) {
            self.cursor_ms = self
                .cursor_ms
                .max(now_ms.min(self.earliest.unwrap_or(now_ms)));
            return Vec::new();
        }
        // Walk slots from the cursor to now, at most one full turn of the wheel.
        let span = (now_ms - self.cursor_ms + 1).clamp(1, SLOTS as i64);
        for t in 0..span {
            let slot = ((self.cursor_ms + t) as usize) % SLOTS;
            let entries = &mut self.slots[slot];
            let mut i = 0;
            while i < entries.len() {
                if entries[i].deadline_ms <= now_ms {
                    let e = entries.swap_remove(i);
                    if !self.cancelled.remove(&e.id) {
                        fired.push((e.deadline_ms, e.id, e.item));
                    }
                } else {
                    i += 1;
                }
            }
        }
        self.cursor_ms = now_ms + 1;
        self.len -= fired.len().min(self.len);
        self.earliest = self
            .slots
            .iter()
            .flat_map(|s| s.iter())
            .filter(|e| !self.cancelled.contains(&e.id))
            .map(|e| e.deadline_ms)
            .min();
        fired.sort_by_key(|(d, id, _)| (*d, *id));
        fired.into_iter().map(|(_, _, item)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_deadline_order_once() {
        let mut w = TimerWheel::new(0);
        w.add(30, "c");
        w.add(10, "a");
        w.add(20, "b");
        assert_eq!(w.timeout_ms(0), Some(10));
        assert!(w.expire(5).is_empty());
        assert_eq!(w.expire(25), vec!["a", "b"]);
        assert_eq!(w.expire(40), vec!["c"]);
        assert!(w.expire(50).is_empty());
        assert!(w.is_empty());
    }

    #[test]
    fn cancelled_timer_never_fires() {
        let mut w = TimerWheel::new(0);
        let id = w.add(10, 1);
        w.add(10, 2);
        w.cancel(id);
        assert_eq!(w.expire(10), vec![2]);
    }

    #[test]
    fn far_deadline_survives_full_turns() {
        let mut w = TimerWheel::new(0);
        w.add(5000, "far");
        w.add(5, "near");
        assert_eq!(w.expire(100), vec!["near"]);
        assert!(w.expire(4000).is_empty());
        assert_eq!(w.timeout_ms(4000), Some(1000));
        assert_eq!(w.expire(6000), vec!["far"]);
    }

    #[test]
    fn late_expiry_catches_everything_due() {
        let mut w = TimerWheel::new(0);
        for i in 0..3000 {
            w.add(i, i);
        }
        let fired = w.expire(10_000);
        assert_eq!(fired.len(), 3000);
        assert_eq!(fired[0], 0);
        assert_eq!(fired[2999], 2999);
    }
}
