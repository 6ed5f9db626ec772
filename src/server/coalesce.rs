//! Wakeup coalescing: whether the reactor, with nothing ready, waits on a short
//! timer and then polls, instead of blocking in epoll until a client's bytes
//! arrive.
//!
//! Blocking in epoll is right when load is light: the first request wakes the
//! loop at once. Under heavy load it costs the *clients*: a `send` that finds
//! the loop asleep has to wake it, and on a VM that wakeup (an inter-processor
//! interrupt to a halted vCPU) costs the sending process several microseconds of
//! kernel time, more than its own `send`. When many connections are active but
//! each poll finds only a few of them ready, the clients are the bottleneck,
//! not the server; then a timed wait of `wakeup-coalesce-us` lets their requests
//! pile up without anyone waking us, and the next poll takes them in one batch.
//! Both sides do less work per request; a request arriving during the wait is
//! answered later by up to the wait (plus the timer's own lateness).
//!
//! The wait is used only while the last poll found at least `MIN_READY` events,
//! they were at most half of the clients active in the last second, and their
//! reads carried `MIN_COMMANDS_PER_READ` commands or more on average: clients
//! that pipeline. A lone client, clients that send one command at a time, or
//! a few clients that all wait on us (each poll finds them all ready) never
//! see it; and once a few waits in a row end with most active clients ready,
//! they were waiting on us, so none is tried for `HOLD_OFF_MS`.
//!
//! Why only pipelining clients. With redis-benchmark -P 1 and 50 clients on
//! this project's 2-core VM, a 20 µs wait gave 11–19% more requests per second
//! and 6% less server CPU per request, but p99 latency 6–31% higher: a 20 µs
//! timer sleep lasts 30–40 µs there, and the replies then reach the clients in
//! bigger bursts, which they work through one by one. A request that waits on
//! a pipeline of its own barely notices: at -P 16 the wait took the cheap
//! tests (PING, SPOP, RPOP...) from 0.91–0.99 of Redis's rps to 1.01–1.07,
//! with p50 and p99 within a few percent of no wait and under Redis's. When
//! the server is the bottleneck (each poll finds most clients ready) it
//! disengages: a ZADD or HSET -P 16 run made about 40 waits per million
//! requests. Default 20 µs; `wakeup-coalesce-us 0` turns it off.

use std::time::Duration;

/// Events a poll must return before the next wait is coalesced.
const MIN_READY: usize = 4;
/// Commands the reads of a poll must carry on average (pipelining) before the
/// next wait is coalesced.
const MIN_COMMANDS_PER_READ: u64 = 4;
/// After this many timed waits in a row found most active clients ready (they
/// were waiting on us; a burst from busy clients makes one such wait, not a
/// run of them), the loop blocks as usual for `HOLD_OFF_MS` before trying again.
const WAITS_BEFORE_HOLD_OFF: u32 = 3;
/// How long the loop blocks as usual after such a run of waits.
const HOLD_OFF_MS: i64 = 100;

/// The decision, carried from one poll to the next.
#[derive(Debug, Default)]
pub struct Coalescer {
    engaged: bool,
    /// Timed waits in a row that ended with most active clients ready.
    waits_found_most_ready: u32,
    /// Until when (unix ms) no wait is coalesced.
    hold_off_until_ms: i64,
    /// Whether this thread's timer slack has been made fine enough for `sleep`.
    precise_sleeps: bool,
}

impl Coalescer {
    /// How long to wait before polling without blocking, or `None` to block in
    /// epoll as usual. `timeout_ms` is what the next timer allows (0: poll now).
    pub fn wait_before_poll(&self, interval_us: u64, timeout_ms: u64) -> Option<Duration> {
        if !self.engaged || interval_us == 0 || timeout_ms == 0 {
            return None;
        }
        Some(Duration::from_micros(interval_us.min(timeout_ms * 1000)))
    }

    /// Sleeps for `wait` (from `wait_before_poll`). The first call makes this
    /// thread's timer slack 1 µs: the default 50 µs would outlast the wait.
    pub fn sleep(&mut self, wait: Duration) {
        if !self.precise_sleeps {
            // SAFETY: PR_SET_TIMERSLACK only sets the calling thread's slack.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong) };
            self.precise_sleeps = true;
        }
        std::thread::sleep(wait);
    }

    /// Takes in what a poll returned and its events brought: `ready` events,
    /// after a coalesced wait or not (`waited`), whose `reads` carried
    /// `commands`, while `active` clients sent something in the last second.
    /// Called only while `wakeup-coalesce-us` is set.
    pub fn observe(&mut self, waited: bool, ready: usize, load: Load, now_ms: i64) {
        let Load {
            active,
            reads,
            commands,
        } = load;
        let most_ready = ready * 2 > active;
        if waited {
            self.waits_found_most_ready = if most_ready {
                self.waits_found_most_ready + 1
            } else {
                0
            };
            if self.waits_found_most_ready >= WAITS_BEFORE_HOLD_OFF {
                // The clients were waiting on us: the waits only delayed them.
                self.hold_off_until_ms = now_ms + HOLD_OFF_MS;
                self.waits_found_most_ready = 0;
            }
        }
        let pipelined = reads > 0 && commands >= MIN_COMMANDS_PER_READ * reads;
        self.engaged =
            ready >= MIN_READY && !most_ready && pipelined && now_ms >= self.hold_off_until_ms;
    }
}

/// What the clients did around one poll, for `Coalescer::observe`.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Clients that sent something in the last second.
    pub active: usize,
    /// Socket reads the poll's events led to, and the commands they carried.
    pub reads: u64,
    pub commands: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: u64 = 20;
    const NOW: i64 = 1_000_000;

    /// `active` clients whose reads carry 16 commands each.
    fn piped(active: usize) -> Load {
        Load {
            active,
            reads: 10,
            commands: 160,
        }
    }

    #[test]
    fn blocks_until_a_poll_finds_a_few_of_many_clients_ready() {
        let mut c = Coalescer::default();
        assert_eq!(c.wait_before_poll(US, 100), None);
        c.observe(false, 6, piped(50), NOW);
        assert_eq!(c.wait_before_poll(US, 100), Some(Duration::from_micros(US)));
        // Still a few of many after the wait: keep coalescing.
        c.observe(true, 16, piped(50), NOW);
        assert_eq!(c.wait_before_poll(US, 100), Some(Duration::from_micros(US)));
    }

    #[test]
    fn a_lone_client_or_clients_all_waiting_on_us_never_wait() {
        let mut c = Coalescer::default();
        c.observe(false, 1, piped(1), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
        c.observe(false, 8, piped(8), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
        c.observe(false, 3, piped(50), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
    }

    #[test]
    fn clients_that_do_not_pipeline_never_wait() {
        let mut c = Coalescer::default();
        let unpiped = |commands| Load {
            active: 50,
            reads: 10,
            commands,
        };
        c.observe(false, 10, unpiped(10), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
        c.observe(false, 10, unpiped(39), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
        c.observe(false, 10, unpiped(40), NOW);
        assert!(c.wait_before_poll(US, 100).is_some());
        // Events that led to no read (a client closing, a write becoming
        // possible) say nothing about pipelining.
        c.observe(
            false,
            10,
            Load {
                reads: 0,
                commands: 0,
                active: 50,
            },
            NOW,
        );
        assert_eq!(c.wait_before_poll(US, 100), None);
    }

    #[test]
    fn holds_off_once_waits_keep_finding_most_clients_ready() {
        let mut c = Coalescer::default();
        c.observe(false, 6, piped(16), NOW);
        assert!(c.wait_before_poll(US, 100).is_some());
        // One burst after a wait is no reason to stop: the next poll blocks,
        // and a poll finding a few of many ready engages it again.
        c.observe(true, 12, piped(16), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
        c.observe(false, 6, piped(16), NOW);
        assert!(c.wait_before_poll(US, 100).is_some());
        // A run of waits that each found most clients ready holds it off.
        for _ in 0..WAITS_BEFORE_HOLD_OFF {
            c.observe(false, 6, piped(16), NOW);
            c.observe(true, 12, piped(16), NOW);
        }
        assert_eq!(c.wait_before_poll(US, 100), None);
        // A poll that would engage it again is ignored while holding off...
        c.observe(false, 6, piped(16), NOW + HOLD_OFF_MS - 1);
        assert_eq!(c.wait_before_poll(US, 100), None);
        // ...and taken once the hold-off is over.
        c.observe(false, 6, piped(16), NOW + HOLD_OFF_MS);
        assert!(c.wait_before_poll(US, 100).is_some());
    }

    #[test]
    fn disengages_when_load_drops() {
        let mut c = Coalescer::default();
        c.observe(false, 10, piped(50), NOW);
        c.observe(true, 0, piped(50), NOW);
        assert_eq!(c.wait_before_poll(US, 100), None);
    }

    #[test]
    fn never_waits_past_a_due_timer_or_when_turned_off() {
        let mut c = Coalescer::default();
        c.observe(false, 10, piped(50), NOW);
        assert_eq!(c.wait_before_poll(US, 0), None);
        assert_eq!(c.wait_before_poll(5000, 2), Some(Duration::from_millis(2)));
        c.observe(false, 10, piped(50), NOW);
        assert_eq!(c.wait_before_poll(0, 100), None);
    }
}
