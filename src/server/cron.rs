//! serverCron: the periodic work the timer wheel schedules `hz` times a second —
//! instantaneous metrics, idle-client timeouts, active expiry, incremental rehashing
//! and table shrinking.

use super::client::flags;
use super::reactor::close_client_slot;
use super::{unix_ms, Server};
use crate::db::expire::active_expire_cycle;
use crate::db::keyspace::Keyspace;

/// Runs one cron tick.
pub fn server_cron(srv: &mut Server, ks: &mut Keyspace) {
    let now = unix_ms();
    srv.clock_base = (super::mono_ns(), now);
    ks.set_time(now);
    srv.cronloops += 1;
    let period_ms = 1000 / srv.hz.clamp(1, 500);

    // Instantaneous metrics every 100 ms.
    if period_ms >= 100
        || srv
            .cronloops
            .is_multiple_of((100 / period_ms.max(1)) as u64)
    {
        srv.stats
            .ops_samples
            .track(now, srv.stats.total_commands_processed);
        srv.stats
            .net_input_samples
            .track(now, srv.stats.total_net_input_bytes);
        srv.stats
            .net_output_samples
            .track(now, srv.stats.total_net_output_bytes);
    }

    // A signalled shutdown runs here, so DEBUG PAUSE-CRON holds it off and
    // SHUTDOWN ABORT can still cancel it (as in Redis).
    if srv.shutdown_asap && !srv.shutdown_prepared {
        if super::admin::prepare_shutdown(srv, ks, Default::default()) {
            srv.shutdown_prepared = true;
            return;
        }
        srv.shutdown_asap = false;
        super::reactor::cancel_signalled_shutdown();
    }

    clients_cron(srv, ks, now);
    super::tracking::limit_table(srv, None);

    if srv.active_expire_enabled && !ks.is_replica {
        // The slow cycle may use up to 25% of a cron period (ACTIVE_EXPIRE_CYCLE_SLOW).
        let budget_us = (period_ms as u64 * 1000) / 4;
        active_expire_cycle(ks, budget_us);
        // Deleted keys go to the propagator as DELs, events to subscribers.
        crate::command::dispatch::after_command(srv, ks, None, 0, None);
    }

    // Resize and rehash tables a little each tick, like databasesCron.
    for db in ks.dbs.iter_mut() {
        db.dict.shrink_if_needed();
        db.expires.shrink_if_needed();
        if srv.config.activerehashing && db.dict.is_rehashing() {
            db.dict.rehash_for_micros(1000);
        }
    }

    crate::persist::cron(srv, ks);
    super::replication::cron(srv, now);

    let used = crate::alloc::used_memory();
    if used > srv.stat_peak_memory {
        srv.stat_peak_memory = used;
    }
}

/// Closes idle clients (`timeout`), resets query buffer peaks, and counts the
/// clients active in the last second (for wakeup coalescing).
fn clients_cron(srv: &mut Server, ks: &mut Keyspace, now: i64) {
    let timeout_ms = srv.config.timeout * 1000;
    let mut idle = Vec::new();
    let mut active = 0;
    for c in srv.clients.iter_mut().flatten() {
        c.st.querybuf_peak = c.querybuf.len();
        if now - c.st.last_interaction_ms <= 1000 {
            active += 1;
        }
        if timeout_ms > 0
            && c.st.flags & (flags::SLAVE | flags::MASTER | flags::BLOCKED | flags::PUBSUB) == 0
            && now - c.st.last_interaction_ms > timeout_ms
        {
            idle.push(c.st.slot);
        }
    }
    srv.active_clients = active;
    for slot in idle {
        log::debug!("Closing idle client");
        close_client_slot(srv, ks, slot);
    }
}
