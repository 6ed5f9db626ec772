//! INFO: every section and field name Redis 7.0 reports. Fields of features that have
//! not landed yet carry the values an idle Redis shows, so monitoring tools and
//! clients that parse INFO keep working.

use std::fmt::Write;

use super::client::flags;
use super::{unix_us, Server, OXIDIS_VERSION, REDIS_VERSION};
use crate::command::{CmdResult, Ctx};
use crate::db::keyspace::Keyspace;
use crate::util::numbers::write_memory_human;

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections an INFO call asked for.
struct Selection {
    sections: Vec<String>,
    all: bool,
    everything: bool,
}

impl Selection {
    fn parse<'a>(args: impl Iterator<Item = &'a [u8]>) -> Selection {
        let mut s = Selection {
            sections: Vec::new(),
            all: false,
            everything: false,
        };
        let mut any = false;
        for a in args {
            any = true;
            let name = String::from_utf8_lossy(a).to_lowercase();
            match name.as_str() {
                "default" => s
                    .sections
                    .extend(DEFAULT_SECTIONS.iter().map(|x| x.to_string())),
                "all" => s.all = true,
                "everything" => {
                    s.all = true;
                    s.everything = true;
                }
                _ => s.sections.push(name),
            }
        }
        if !any {
            s.sections
                .extend(DEFAULT_SECTIONS.iter().map(|x| x.to_string()));
        }
        s
    }

    /// True when `name` is to be printed; `default_on` marks sections that `all` covers.
    fn wants(&self, name: &str, in_all: bool) -> bool {
        (self.all && in_all) || self.everything || self.sections.iter().any(|s| s == name)
    }
}

/// INFO [section ...]
pub fn info(ctx: &mut Ctx) -> CmdResult {
    let sel = Selection::parse(ctx.argv.iter().skip(1));
    let text = gen_info(ctx.srv, ctx.ks, Some(&*ctx.client), &sel);
    ctx.reply.verbatim(text.as_bytes(), "txt");
    Ok(())
}

/// The INFO text for the default sections (used by tools and the log on crashes).
pub fn default_info(srv: &Server, ks: &Keyspace) -> String {
    gen_info(srv, ks, None, &Selection::parse(std::iter::empty()))
}

fn human(bytes: usize) -> String {
    write_memory_human(bytes as u64)
}

fn cpu_times(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage writes into the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

fn uname() -> String {
    // SAFETY: uname writes into the struct we own.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return "Linux".into();
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&u.sysname),
        field(&u.release),
        field(&u.machine)
    )
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (pages.max(0) as u64) * (page.max(0) as u64)
}

fn gen_info(
    srv: &Server,
    ks: &Keyspace,
    caller: Option<&super::client::ClientState>,
    sel: &Selection,
) -> String {
    let mut s = String::with_capacity(4096);
    let section = |s: &mut String, title: &str| {
        if !s.is_empty() {
            s.push_str("\r\n");
        }
        let _ = write!(s, "# {title}\r\n");
    };
    let now_us = unix_us();
    let uptime = srv.uptime_secs();
    let cfg = &srv.config;

    if sel.wants("server", true) {
        section(&mut s, "Server");
        let _ = write!(
            s,
            "redis_version:{REDIS_VERSION}\r\noxidis_version:{OXIDIS_VERSION}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
            uname(),
            srv.pid,
            srv.run_id,
            cfg.port,
            now_us,
            uptime,
            uptime / 86400,
            srv.hz,
            cfg.hz,
            ks.lru_clock,
            srv.executable.display(),
            srv.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        );
    }

    if sel.wants("clients", true) {
        section(&mut s, "Clients");
        let mut max_in = 0;
        let mut max_out = 0;
        let mut blocked = 0;
        for c in srv.clients_iter() {
            max_in = max_in.max(c.st.querybuf_peak);
            max_out = max_out.max(c.reply.buf.capacity());
            if c.st.has(flags::BLOCKED) {
                blocked += 1;
            }
        }
        let _ = write!(
            s,
            "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:0\r\n",
            srv.client_count - srv.monitors.len().min(srv.client_count),
            cfg.maxclients,
            max_in,
            max_out,
            blocked,
            srv.tracking.clients,
        );
    }

    if sel.wants("memory", true) {
        section(&mut s, "Memory");
        let used = crate::alloc::used_memory();
        let rss = crate::alloc::rss_bytes();
        let peak = srv.stat_peak_memory.max(used);
        let startup = srv.stats_startup_memory;
        let overhead = startup
            + srv
                .clients_iter()
                .map(|c| c.reply.buf.capacity() + c.querybuf.capacity())
                .sum::<usize>();
        let dataset = used.saturating_sub(overhead);
        let sysmem = total_system_memory();
        let frag = if used > 0 {
            rss as f64 / used as f64
        } else {
            0.0
        };
        let _ = write!(
            s,
            "used_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{overhead}\r\nused_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{used}\r\nallocator_active:{used}\r\nallocator_resident:{rss}\r\ntotal_system_memory:{sysmem}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:32768\r\nused_memory_vm_eval:32768\r\nused_memory_lua_human:32.00K\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\nnumber_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:32768\r\nused_memory_vm_total:65536\r\nused_memory_vm_total_human:64.00K\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\nused_memory_scripts_human:0B\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:1.00\r\nallocator_frag_bytes:0\r\nallocator_rss_ratio:1.00\r\nallocator_rss_bytes:0\r\nrss_overhead_ratio:1.00\r\nrss_overhead_bytes:0\r\nmem_fragmentation_ratio:{frag:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\nmem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:{}\r\nmem_cluster_links:0\r\nmem_aof_buffer:{}\r\nmem_allocator:libc\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
            human(used),
            human(rss),
            human(peak),
            if peak > 0 { used as f64 * 100.0 / peak as f64 } else { 0.0 },
            if used > startup { dataset as f64 * 100.0 / (used - startup) as f64 } else { 0.0 },
            human(sysmem as usize),
            cfg.maxmemory,
            human(cfg.maxmemory as usize),
            cfg.maxmemory_policy.name(),
            rss as i64 - used as i64,
            overhead.saturating_sub(startup),
            crate::aof::buffer_memory(srv),
            crate::db::lazyfree::pending_objects(),
            crate::db::lazyfree::freed_objects(),
        );
    }

    if sel.wants("persistence", true) {
        section(&mut s, "Persistence");
        let p = &srv.persist;
        let rdb_child = p.child_is(crate::persist::child::Purpose::Rdb);
        let rdb_running_secs = match &p.child {
            Some(c) if rdb_child => c.started.elapsed().as_secs() as i64,
            _ => -1,
        };
        let (progress, keys_total) = p
            .child
            .as_ref()
            .map_or((Default::default(), 0), |c| (c.progress, c.keys_total));
        let fork_perc = if keys_total > 0 {
            progress.keys as f64 * 100.0 / keys_total as f64
        } else {
            0.0
        };
        let _ = write!(
            s,
            "loading:{}\r\nasync_loading:0\r\ncurrent_cow_peak:{}\r\ncurrent_cow_size:{}\r\ncurrent_cow_size_age:{}\r\ncurrent_fork_perc:{:.2}\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:{}\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n{}module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n{}",
            p.loading as i32,
            progress.cow_peak,
            progress.cow_bytes,
            progress
                .cow_updated
                .map_or(0, |t| t.elapsed().as_secs()),
            fork_perc,
            progress.keys,
            keys_total,
            ks.dirty,
            rdb_child as i32,
            p.rdb.lastsave_unix,
            if p.rdb.last_bgsave_ok { "ok" } else { "err" },
            p.rdb.last_bgsave_time_sec,
            rdb_running_secs,
            p.rdb.saves,
            p.rdb.last_cow_size,
            p.rdb.last_load_keys_expired,
            p.rdb.last_load_keys_loaded,
            crate::aof::info_fields(srv),
            crate::aof::info_extra(srv),
        );
    }

    if sel.wants("stats", true) {
        section(&mut s, "Stats");
        let st = &srv.stats;
        let kst = &ks.stats;
        let _ = write!(
            s,
            "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:{}\r\nexpired_stale_perc:{:.2}\r\nexpired_time_cap_reached_count:{}\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:{}\r\ntotal_forks:{}\r\nmigrate_cached_sockets:{}\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:{}\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
            st.total_connections_received,
            st.total_commands_processed,
            st.ops_samples.per_second(),
            st.total_net_input_bytes,
            st.total_net_output_bytes,
            st.net_input_samples.per_second() as f64 / 1024.0,
            st.net_output_samples.per_second() as f64 / 1024.0,
            st.rejected_connections,
            srv.replication.sync_full,
            kst.expired_keys,
            kst.expired_stale_perc * 100.0,
            kst.expired_time_cap_reached_count,
            kst.expire_cycle_time_used_us / 1000,
            kst.evicted_keys,
            kst.keyspace_hits,
            kst.keyspace_misses,
            srv.pubsub.channels.len(),
            srv.pubsub.patterns.len(),
            srv.pubsub.shard_channels.len(),
            srv.persist.latest_fork_usec,
            srv.persist.total_forks,
            srv.persist.migrate.len(),
            srv.tracking.table.len(),
            srv.tracking.total_items,
            srv.tracking.prefixes.len(),
            st.unexpected_error_replies,
            st.total_error_replies,
            st.total_reads_processed,
            st.total_writes_processed,
        );
    }

    if sel.wants("replication", true) {
        section(&mut s, "Replication");
        let mut replicas = String::new();
        super::replication::info_lines(srv, &mut replicas);
        let _ = write!(
            s,
            "role:master\r\n{}master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
            replicas, srv.replid, srv.propagator.offset, cfg.repl_backlog_size,
        );
    }

    if sel.wants("cpu", true) {
        section(&mut s, "CPU");
        let (sys, user) = cpu_times(libc::RUSAGE_SELF);
        let (csys, cuser) = cpu_times(libc::RUSAGE_CHILDREN);
        let (tsys, tuser) = cpu_times(libc::RUSAGE_THREAD);
        let _ = write!(
            s,
            "used_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:{csys:.6}\r\nused_cpu_user_children:{cuser:.6}\r\nused_cpu_sys_main_thread:{tsys:.6}\r\nused_cpu_user_main_thread:{tuser:.6}\r\n"
        );
    }

    if sel.wants("modules", true) || sel.wants("module_list", true) {
        section(&mut s, "Modules");
    }

    if sel.wants("commandstats", true) {
        section(&mut s, "Commandstats");
        for cmd in &srv.registry.commands {
            let st = &srv.command_stats[cmd.id];
            if st.calls == 0 && st.rejected_calls == 0 && st.failed_calls == 0 {
                continue;
            }
            let per_call = if st.calls > 0 {
                st.usec as f64 / st.calls as f64
            } else {
                0.0
            };
            let _ = write!(
                s,
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                cmd.full_name, st.calls, st.usec, per_call, st.rejected_calls, st.failed_calls
            );
        }
    }

    if sel.wants("errorstats", true) {
        section(&mut s, "Errorstats");
        for (code, count) in &srv.error_stats {
            let _ = write!(s, "errorstat_{code}:count={count}\r\n");
        }
    }

    if sel.wants("latencystats", true) {
        section(&mut s, "Latencystats");
        for cmd in &srv.registry.commands {
            let h = &srv.latency[cmd.id];
            if h.count() == 0 {
                continue;
            }
            let _ = write!(s, "latency_percentiles_usec_{}:", cmd.full_name);
            for (i, p) in cfg.latency_tracking_info_percentiles.iter().enumerate() {
                let sep = if i > 0 { "," } else { "" };
                let usec = h.value_at(*p) as f64 / 1000.0;
                let _ = write!(
                    s,
                    "{sep}p{}={usec:.3}",
                    super::latency::percentile_label(*p)
                );
            }
            s.push_str("\r\n");
        }
    }

    if sel.wants("cluster", true) {
        section(&mut s, "Cluster");
        s.push_str("cluster_enabled:0\r\n");
    }

    if sel.wants("keyspace", true) {
        section(&mut s, "Keyspace");
        for (i, db) in ks.dbs.iter().enumerate() {
            let keys = db.dict.len();
            if keys == 0 {
                continue;
            }
            let _ = write!(
                s,
                "db{i}:keys={keys},expires={},avg_ttl={}\r\n",
                db.expires.len(),
                db.avg_ttl
            );
        }
    }
    let _ = caller;
    s
}
