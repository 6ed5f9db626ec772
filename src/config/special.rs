//! Configs with hand-written parse/render/rewrite logic: `dir`, `save`,
//! `client-output-buffer-limit`, `oom-score-adj-values`,
//! `notify-keyspace-events`, `bind`, `replicaof`,
//! `latency-tracking-info-percentiles`.

use super::parse::{cstr, fmt_double_trimmed, memtoull, repr, strerror, string2d, strtoll};
use super::rewrite::{format_memory, RewriteState};
use super::types::*;
use super::Config;

/// Set: `(config, args, reading_config_file)` → `Ok(true)` when Redis would
/// report "changed" (and so run the apply hook), `Ok(false)` for no change.
pub(crate) type SetFn = fn(&mut Config, &[Vec<u8>], bool) -> Result<bool, String>;

/// The behaviour of one special config.
pub(crate) struct SpecialOps {
    pub init: fn(&mut Config),
    pub set: SetFn,
    pub get: fn(&Config) -> Vec<u8>,
    pub rewrite: fn(&Config, &str, &mut RewriteState),
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(cstr(b)).into_owned()
}

fn wrong_args() -> String {
    "wrong number of arguments".to_string()
}

// ---------------------------------------------------------------- dir

/// The process's current directory as Redis's `getcwd` rendering.
pub(crate) fn cwd_string() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(crate) fn chdir(path: &str) -> Result<(), String> {
    std::env::set_current_dir(path).map_err(|e| strerror(&e))
}

pub(crate) static DIR: SpecialOps = SpecialOps {
    init: |c| c.dir = cwd_string(),
    set: |c, args, _| {
        if args.len() != 1 {
            return Err(wrong_args());
        }
        let target = lossy(&args[0]);
        // chdir("") fails with ENOENT in C; std would too, but be explicit.
        if target.is_empty() {
            return Err("No such file or directory".into());
        }
        chdir(&target)?;
        c.dir = cwd_string();
        Ok(true)
    },
    get: |_| cwd_string().into_bytes(),
    rewrite: |_, name, st| {
        let cwd = cwd_string();
        if cwd.is_empty() {
            st.mark_processed(name);
            return;
        }
        // rewriteConfigStringOption with no default: always forced.
        st.rewrite_line(name, format!("{} {}", name, repr(cwd.as_bytes())), true);
    },
};

// ---------------------------------------------------------------- save

pub(crate) static SAVE: SpecialOps = SpecialOps {
    init: |c| c.save = DEFAULT_SAVE.to_vec(),
    set: |c, args, reading| {
        let mut args = args;
        if args.len() == 1 && cstr(&args[0]).is_empty() {
            c.save.clear();
            args = &[];
        }
        if args.len() % 2 == 1 {
            return Err("Invalid save parameters".into());
        }
        let mut parsed = Vec::with_capacity(args.len());
        for (j, a) in args.iter().enumerate() {
            let r = strtoll(a, 10);
            let min = if j % 2 == 0 { 1 } else { 0 };
            if !r.full || r.value < min {
                return Err("Invalid save parameters".into());
            }
            parsed.push(r.value);
        }
        if !reading {
            c.save.clear();
        } else if !c.save_loaded {
            // The first `save` of the config file replaces the defaults,
            // later ones append.
            c.save_loaded = true;
            c.save.clear();
        }
        for pair in parsed.chunks(2) {
            if let [secs, changes] = pair {
                c.save.push((*secs, i64::from(*changes as i32)));
            }
        }
        Ok(true)
    },
    get: |c| c.save_params_string().into_bytes(),
    rewrite: |c, name, st| {
        if c.save.is_empty() {
            st.rewrite_line(name, "save \"\"".to_string(), true);
        } else {
            for (s, n) in &c.save {
                st.rewrite_line(name, format!("save {} {}", s, n), true);
            }
        }
        st.mark_processed(name);
    },
};

// ------------------------------------------------- client-output-buffer-limit

fn client_class(name: &[u8]) -> Option<usize> {
    let n = cstr(name).to_ascii_lowercase();
    match n.as_slice() {
        b"normal" => Some(OBUF_NORMAL),
        b"slave" | b"replica" => Some(OBUF_REPLICA),
        b"pubsub" => Some(OBUF_PUBSUB),
        _ => None, // "master" is a valid client type but not allowed here
    }
}

pub(crate) static CLIENT_OUTPUT_BUFFER_LIMIT: SpecialOps = SpecialOps {
    init: |c| c.client_output_buffer_limit = CLIENT_BUFFER_LIMIT_DEFAULTS,
    set: |c, args, _| {
        if args.len() % 4 != 0 {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut staged: [Option<ClientBufferLimit>; 3] = [None; 3];
        for chunk in args.chunks(4) {
            let [class, hard, soft, secs] = chunk else {
                continue;
            };
            let Some(class) = client_class(class) else {
                return Err("Invalid client class specified in buffer limit configuration.".into());
            };
            let hard = memtoull(hard);
            let soft = memtoull(soft);
            let secs = strtoll(secs, 10);
            // Redis stores the seconds in an int before checking the sign.
            let secs_int = i64::from(secs.value as i32);
            match (hard, soft) {
                (Some(h), Some(s)) if secs_int >= 0 && secs.full => {
                    staged[class] = Some(ClientBufferLimit {
                        hard_limit_bytes: h,
                        soft_limit_bytes: s,
                        soft_limit_seconds: secs_int,
                    });
                }
                _ => {
                    return Err(
                        "Error in hard, soft or soft_seconds setting in buffer limit \
                                configuration."
                            .into(),
                    );
                }
            }
        }
        for (slot, v) in c.client_output_buffer_limit.iter_mut().zip(staged) {
            if let Some(v) = v {
                *slot = v;
            }
        }
        Ok(true)
    },
    get: |c| {
        let names = ["normal", "slave", "pubsub"];
        names
            .iter()
            .zip(c.client_output_buffer_limit.iter())
            .map(|(n, l)| {
                format!(
                    "{} {} {} {}",
                    n, l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes()
    },
    rewrite: |c, name, st| {
        let names = ["normal", "replica", "pubsub"];
        for (j, n) in names.iter().enumerate() {
            let l = c.client_output_buffer_limit[j];
            let force = l != CLIENT_BUFFER_LIMIT_DEFAULTS[j];
            let line = format!(
                "{} {} {} {} {}",
                name,
                n,
                format_memory(l.hard_limit_bytes as i64),
                format_memory(l.soft_limit_bytes as i64),
                l.soft_limit_seconds
            );
            st.rewrite_line(name, line, force);
        }
    },
};

// ------------------------------------------------------ oom-score-adj-values

pub(crate) static OOM_SCORE_ADJ_VALUES: SpecialOps = SpecialOps {
    init: |c| c.oom_score_adj_values = OOM_SCORE_ADJ_VALUES_DEFAULTS,
    set: |c, args, _| {
        if args.len() != 3 {
            return Err(wrong_args());
        }
        let mut vals = [0i64; 3];
        for (slot, a) in vals.iter_mut().zip(args) {
            let r = strtoll(a, 10);
            if !r.full || r.value < -2000 || r.value > 2000 {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                );
            }
            *slot = r.value;
        }
        let changed = vals != c.oom_score_adj_values;
        c.oom_score_adj_values = vals;
        Ok(changed)
    },
    get: |c| {
        let v = c.oom_score_adj_values;
        format!("{} {} {}", v[0], v[1], v[2]).into_bytes()
    },
    rewrite: |c, name, st| {
        let v = c.oom_score_adj_values;
        let force = v != OOM_SCORE_ADJ_VALUES_DEFAULTS;
        st.rewrite_line(name, format!("{} {} {} {}", name, v[0], v[1], v[2]), force);
    },
};

// --------------------------------------------------- notify-keyspace-events

pub(crate) static NOTIFY_KEYSPACE_EVENTS: SpecialOps = SpecialOps {
    init: |c| c.notify_keyspace_events = 0,
    set: |c, args, _| {
        if args.len() != 1 {
            return Err(wrong_args());
        }
        match notify::flags_from_str(&args[0]) {
            Some(f) => {
                c.notify_keyspace_events = f;
                Ok(true)
            }
            None => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    },
    get: |c| notify::flags_to_string(c.notify_keyspace_events).into_bytes(),
    rewrite: |c, name, st| {
        let flags = notify::flags_to_string(c.notify_keyspace_events);
        let line = format!("{} {}", name, repr(flags.as_bytes()));
        st.rewrite_line(name, line, c.notify_keyspace_events != 0);
    },
};

// ---------------------------------------------------------------- bind

/// Most addresses `bind` accepts.
pub const BIND_MAX: usize = 16;

pub(crate) static BIND: SpecialOps = SpecialOps {
    init: |c| c.bind = DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
    set: |c, args, _| {
        if args.len() > BIND_MAX {
            return Err("Too many bind addresses specified.".into());
        }
        if args.len() == 1 && cstr(&args[0]).is_empty() {
            c.bind.clear();
        } else {
            c.bind = args.iter().map(|a| lossy(a)).collect();
        }
        Ok(true)
    },
    get: |c| c.bind.join(" ").into_bytes(),
    rewrite: |c, name, st| {
        let is_default = c.bind.len() == DEFAULT_BIND.len()
            && c.bind.iter().zip(DEFAULT_BIND.iter()).all(|(a, b)| a == b);
        if is_default {
            st.mark_processed(name);
            return;
        }
        let addrs = if c.bind.is_empty() {
            "\"\"".to_string()
        } else {
            c.bind.join(" ")
        };
        st.rewrite_line(name, format!("{} {}", name, addrs), true);
    },
};

// ---------------------------------------------------------------- replicaof

pub(crate) static REPLICAOF: SpecialOps = SpecialOps {
    init: |c| c.replicaof = None,
    set: |c, args, _| {
        let [host, port] = args else {
            return Err(wrong_args());
        };
        c.replicaof = None;
        if cstr(host).eq_ignore_ascii_case(b"no") && cstr(port).eq_ignore_ascii_case(b"one") {
            return Ok(true);
        }
        let r = strtoll(port, 10);
        // masterport is an int in Redis.
        let p = i64::from(r.value as i32);
        if !(0..=65535).contains(&p) || !r.full {
            return Err("Invalid master port".into());
        }
        c.replicaof = Some(ReplicaOf {
            host: lossy(host),
            port: p,
        });
        Ok(true)
    },
    get: |c| match &c.replicaof {
        Some(r) => format!("{} {}", r.host, r.port).into_bytes(),
        None => Vec::new(),
    },
    rewrite: |c, name, st| match (&c.replicaof, c.cluster_enabled) {
        (Some(r), false) => {
            st.rewrite_line(name, format!("{} {} {}", name, r.host, r.port), true);
        }
        _ => st.mark_processed(name),
    },
};

// ------------------------------------------ latency-tracking-info-percentiles

pub(crate) static LATENCY_TRACKING_INFO_PERCENTILES: SpecialOps = SpecialOps {
    init: |c| c.latency_tracking_info_percentiles = vec![50.0, 99.0, 99.9],
    set: |c, args, _| {
        if args.len() == 1 && args[0].is_empty() {
            c.latency_tracking_info_percentiles.clear();
            return Ok(true);
        }
        let mut v = Vec::with_capacity(args.len());
        for a in args {
            let Some(p) = string2d(a) else {
                return Err("Invalid latency-tracking-info-percentiles parameters".into());
            };
            if !(0.0..=100.0).contains(&p) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            v.push(p);
        }
        c.latency_tracking_info_percentiles = v;
        Ok(true)
    },
    get: |c| {
        c.latency_tracking_info_percentiles
            .iter()
            .map(|p| fmt_double_trimmed(*p))
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes()
    },
    rewrite: |c, name, st| {
        let mut line = name.to_string();
        if c.latency_tracking_info_percentiles.is_empty() {
            line.push_str(" \"\"");
        } else {
            for p in &c.latency_tracking_info_percentiles {
                line.push(' ');
                line.push_str(&fmt_double_trimmed(*p));
            }
        }
        st.rewrite_line(name, line, true);
    },
};

// ------------------------------------------------------- proc-title-template

/// Expand a `proc-title-template` (Redis `sdstemplate` with the
/// `redisProcTitleGetVariable` variables). `None` if malformed or an unknown
/// variable is used.
pub(crate) fn expand_proc_title(
    c: &Config,
    template: &str,
    title: &str,
    config_file: Option<&str>,
) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(open) = rest.find('{') else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return None;
        }
        if let Some(r) = after.strip_prefix('{') {
            out.push('{');
            rest = r;
            continue;
        }
        let close = after.find('}')?;
        let var = &after[..close];
        let value = match var {
            "title" => title.to_string(),
            "listen-addr" => {
                if c.port != 0 || c.tls_port != 0 {
                    format!(
                        "{}:{}",
                        c.bind.first().map(String::as_str).unwrap_or("*"),
                        if c.port != 0 { c.port } else { c.tls_port }
                    )
                } else {
                    format!("unixsocket:{}", c.unixsocket.as_deref().unwrap_or(""))
                }
            }
            "server-mode" => {
                if c.cluster_enabled {
                    "[cluster]".to_string()
                } else {
                    String::new()
                }
            }
            "config-file" => config_file.unwrap_or("-").to_string(),
            "port" => c.port.to_string(),
            "tls-port" => c.tls_port.to_string(),
            "unixsocket" => c.unixsocket.clone().unwrap_or_default(),
            _ => return None,
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    Some(out)
}
