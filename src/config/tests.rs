//! Behaviour tests for the config module (exact Redis 7.0.15 texts).

#![allow(clippy::field_reassign_with_default)]

use super::*;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// Tests that read or change the process cwd hold this lock.
static CWD_LOCK: Mutex<()> = Mutex::new(());

fn cwd_lock() -> MutexGuard<'static, ()> {
    CWD_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn load(text: &str) -> Result<Config, ConfigFileError> {
    let mut c = Config::default();
    c.load_config_text(text)?;
    Ok(c)
}

fn load_err(text: &str) -> ConfigFileError {
    match load(text) {
        Ok(_) => panic!("expected an error for {:?}", text),
        Err(e) => e,
    }
}

fn get1(c: &Config, name: &str) -> String {
    let v = c.get(&[name.as_bytes()]);
    assert_eq!(v.len(), 1, "CONFIG GET {} returned {:?}", name, v);
    v[0].1.clone()
}

fn set1(c: &mut Config, name: &str, value: &str) -> Result<Vec<&'static str>, String> {
    c.set(&[(name.as_bytes(), value.as_bytes())])
}

/// A scratch directory removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> TempDir {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "oxidis-config-test-{}-{}-{}",
        std::process::id(),
        tag,
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).expect("create temp dir");
    TempDir(d)
}

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ------------------------------------------------------------- fatal errors

#[test]
fn non_integer_port_from_command_line_prints_redis_fatal_report_at_line_2() {
    let (_, _, opts) = cmdline_to_config_text(&args(&["--port", "abc"])).unwrap();
    let text = assemble_config_text("", "", &opts);
    let e = load_err(&text);
    assert_eq!(
        e.to_string(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
         Reading the configuration file, at line 2\n\
         >>> 'port \"abc\"'\n\
         argument couldn't be parsed into an integer\n"
    );
}

#[test]
fn out_of_range_port_reports_inclusive_bounds() {
    let e = load_err("port 70000");
    assert_eq!(e.line_no, 1);
    assert_eq!(e.line, "port 70000");
    assert_eq!(e.msg, "argument must be between 0 and 65535 inclusive");
}

#[test]
fn bool_directive_rejects_non_yes_no() {
    assert_eq!(
        load_err("daemonize maybe").msg,
        "argument must be 'yes' or 'no'"
    );
}

#[test]
fn unknown_directive_is_bad_directive() {
    let e = load_err("# comment\n\nfoo bar");
    assert_eq!(e.line_no, 3);
    assert_eq!(e.msg, "Bad directive or wrong number of arguments");
}

#[test]
fn single_arg_directive_with_extra_args_is_wrong_number_of_arguments() {
    assert_eq!(load_err("port 1 2").msg, "wrong number of arguments");
    assert_eq!(load_err("port").msg, "wrong number of arguments");
    // A trailing comment is not a comment in redis.conf.
    assert_eq!(
        load_err("port 6379 # main").msg,
        "wrong number of arguments"
    );
}

#[test]
fn unbalanced_quotes_are_reported() {
    let e = load_err("requirepass \"abc");
    assert_eq!(e.msg, "Unbalanced quotes in configuration line");
    assert_eq!(
        load_err("requirepass \"abc\"def").msg,
        "Unbalanced quotes in configuration line"
    );
}

#[test]
fn bad_enum_lists_accepted_values() {
    assert_eq!(
        load_err("loglevel loud").msg,
        "argument(s) must be one of the following: debug, verbose, notice, warning"
    );
    assert_eq!(
        load_err("oom-score-adj maybe").msg,
        "argument(s) must be one of the following: no, yes, relative, absolute"
    );
}

#[test]
fn sentinel_directive_with_arguments_is_an_error_outside_sentinel_mode() {
    assert_eq!(
        load_err("sentinel monitor m 127.0.0.1 6379 2").msg,
        "sentinel directive while not in sentinel mode"
    );
    assert!(load("sentinel").is_ok());
}

#[test]
fn cluster_mode_with_replicaof_fails_after_reading_without_line_info() {
    let e = load_err("cluster-enabled yes\nreplicaof 127.0.0.1 6379");
    assert_eq!(e.line_no, 0);
    assert_eq!(
        e.to_string(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n\
         replicaof directive not allowed in cluster mode\n"
    );
}

#[test]
fn unopenable_logfile_is_fatal() {
    let e = load_err("logfile /nonexistent-dir-oxidis/x.log");
    assert_eq!(e.msg, "Can't open the log file: No such file or directory");
}

#[test]
fn module_config_without_value_is_an_error() {
    assert_eq!(
        load_err("mymod.opt").msg,
        "Module config specified without value"
    );
}

#[test]
fn invalid_save_and_buffer_limit_values_report_redis_texts() {
    assert_eq!(load_err("save 900").msg, "Invalid save parameters");
    assert_eq!(load_err("save 0 1").msg, "Invalid save parameters");
    assert_eq!(
        load_err("client-output-buffer-limit normal 0 0").msg,
        "Wrong number of arguments in buffer limit configuration."
    );
    assert_eq!(
        load_err("client-output-buffer-limit master 0 0 0").msg,
        "Invalid client class specified in buffer limit configuration."
    );
    assert_eq!(
        load_err("client-output-buffer-limit pubsub 1x 0 0").msg,
        "Error in hard, soft or soft_seconds setting in buffer limit configuration."
    );
    assert_eq!(load_err("replicaof host 99999").msg, "Invalid master port");
    assert_eq!(load_err("replicaof host").msg, "wrong number of arguments");
}

// ------------------------------------------------------------- file parsing

#[test]
fn defaults_match_redis() {
    let c = Config::default();
    assert_eq!(c.port, 6379);
    assert_eq!(c.bind, vec!["*".to_string(), "-::*".to_string()]);
    assert_eq!(c.databases, 16);
    assert_eq!(c.hz, 10);
    assert_eq!(c.maxclients, 10000);
    assert_eq!(c.proto_max_bulk_len, 512 * 1024 * 1024);
    assert_eq!(c.client_query_buffer_limit, 1024 * 1024 * 1024);
    assert_eq!(c.save, vec![(3600, 1), (300, 100), (60, 10000)]);
    assert_eq!(c.loglevel, LogLevel::Notice);
    assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::NoEviction);
    assert_eq!(c.appendfsync, AppendFsync::Everysec);
    assert_eq!(c.tcp_backlog, 511);
    assert_eq!(c.tcp_keepalive, 300);
    assert_eq!(c.requirepass, None);
    assert_eq!(c.dbfilename, "dump.rdb");
    assert_eq!(c.enable_debug_command, ProtectedAction::No);
    assert!(c.latency_tracking);
    assert_eq!(c.latency_tracking_info_percentiles, vec![50.0, 99.0, 99.9]);
    assert_eq!(c.client_output_buffer_limit, CLIENT_BUFFER_LIMIT_DEFAULTS);
}

#[test]
fn names_are_case_insensitive_and_aliases_set_the_same_field() {
    let c = load("PORT 7000\nslave-read-only no\nhash-max-ziplist-entries 64\nslaveof 10.0.0.1 6380\nlua-time-limit 100")
        .unwrap();
    assert_eq!(c.port, 7000);
    assert!(!c.replica_read_only);
    assert_eq!(c.hash_max_listpack_entries, 64);
    assert_eq!(
        c.replicaof,
        Some(ReplicaOf {
            host: "10.0.0.1".into(),
            port: 6380
        })
    );
    assert_eq!(c.busy_reply_threshold, 100);
}

#[test]
fn replicaof_no_one_clears_master() {
    let c = load("replicaof 1.2.3.4 5\nreplicaof no one").unwrap();
    assert_eq!(c.replicaof, None);
}

#[test]
fn save_lines_accumulate_replace_defaults_and_empty_string_clears() {
    let c = load("save 900 1\nsave 300 10").unwrap();
    assert_eq!(c.save, vec![(900, 1), (300, 10)]);
    let c = load("save 900 1 300 10").unwrap();
    assert_eq!(c.save, vec![(900, 1), (300, 10)]);
    let c = load("save \"900 1 300 10\"").unwrap();
    assert_eq!(c.save, vec![(900, 1), (300, 10)]);
    let c = load("save 900 1\nsave \"\"").unwrap();
    assert!(c.save.is_empty());
    let c = load("save \"\"\nsave 60 5").unwrap();
    assert_eq!(c.save, vec![(60, 5)]);
    let c = load("port 1").unwrap();
    assert_eq!(c.save_params_string(), "3600 1 300 100 60 10000");
}

#[test]
fn save_after_an_include_resets_like_redis() {
    // Redis clears reading_config_file at the end of an included file, so
    // every later `save` line replaces instead of appending.
    let d = temp_dir("inc-save");
    let inc = d.join("inc.conf");
    std::fs::write(&inc, "port 1\n").unwrap();
    let text = format!("include {}\nsave 900 1\nsave 300 10", inc.display());
    let c = load(&text).unwrap();
    assert_eq!(c.save, vec![(300, 10)]);
}

#[test]
fn client_output_buffer_limit_lines_update_only_named_classes() {
    let c = load(
        "client-output-buffer-limit replica 1gb 512mb 120\nclient-output-buffer-limit normal 1 2 3",
    )
    .unwrap();
    assert_eq!(
        get1(&c, "client-output-buffer-limit"),
        "normal 1 2 3 slave 1073741824 536870912 120 pubsub 33554432 8388608 60"
    );
}

#[test]
fn quoted_values_support_sdssplitargs_escapes() {
    let c = load(r#"requirepass "a\x41\n\"b\"""#).unwrap();
    assert_eq!(c.requirepass.as_deref(), Some(&b"aA\n\"b\""[..]));
    let c = load(r"masteruser 'it\'s'").unwrap();
    assert_eq!(c.masteruser.as_deref(), Some("it's"));
    let c = load("requirepass \"\"").unwrap();
    assert_eq!(c.requirepass, None);
}

#[test]
fn memory_percent_and_octal_values_parse_like_redis() {
    let c = load("maxmemory 1gb\nrepl-backlog-size 1g\nmaxmemory-clients 10%\nunixsocketperm 700")
        .unwrap();
    assert_eq!(c.maxmemory, 1024 * 1024 * 1024);
    assert_eq!(c.repl_backlog_size, 1_000_000_000);
    assert_eq!(c.maxmemory_clients, -10);
    assert_eq!(c.unixsocketperm, 0o700);
    assert_eq!(get1(&c, "maxmemory-clients"), "10%");
    assert_eq!(get1(&c, "unixsocketperm"), "700");
    assert_eq!(c.maxmemory_clients_bytes(), 1024 * 1024 * 1024 / 10);
    assert_eq!(
        load_err("maxmemory -1").msg,
        "argument must be a memory value"
    );
    assert_eq!(
        load_err("maxmemory-clients 101%").msg,
        "percentage argument must be less or equal to 100"
    );
    assert_eq!(
        load_err("maxmemory-clients lots").msg,
        "argument must be a memory or percent value"
    );
    assert_eq!(
        load_err("unixsocketperm 1000").msg,
        "argument must be between 0 and 777 inclusive"
    );
    assert_eq!(
        load_err("unixsocketperm 9").msg,
        "argument couldn't be parsed as an octal number"
    );
    assert_eq!(
        load_err("proto-max-bulk-len 1kb").msg,
        "argument must be between 1048576 and 9223372036854775807 inclusive"
    );
    assert_eq!(
        load_err("maxclients -1").msg,
        "argument must be between 1 and 4294967295 inclusive"
    );
}

#[test]
fn hz_out_of_range_is_clamped_after_loading() {
    assert_eq!(load("hz 1000").unwrap().hz, 500);
    assert_eq!(load("hz 0").unwrap().hz, 1);
}

#[test]
fn bind_accepts_optional_addresses_and_empty_string() {
    let c = load("bind 127.0.0.1 -::1").unwrap();
    assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
    assert_eq!(get1(&c, "bind"), "127.0.0.1 -::1");
    assert!(load("bind \"\"").unwrap().bind.is_empty());
    let many = format!("bind {}", vec!["1.1.1.1"; 17].join(" "));
    assert_eq!(load_err(&many).msg, "Too many bind addresses specified.");
}

#[test]
fn file_level_directives_are_stored_for_the_server() {
    let c = load(
        "rename-command CONFIG \"\"\nrename-command FLUSHALL nuke\nuser alice on >pw ~* +@all\nloadmodule /m.so a b\nmymod.opt 1 2\nmymod.opt 3",
    )
    .unwrap();
    assert_eq!(c.rename_commands.len(), 2);
    assert_eq!(c.rename_commands[0].from, "CONFIG");
    assert_eq!(c.rename_commands[0].to, "");
    assert_eq!(c.rename_commands[1].line_no, 2);
    assert_eq!(c.rename_commands[1].line, "rename-command FLUSHALL nuke");
    assert_eq!(c.users.len(), 1);
    assert_eq!(c.users[0].args[0], b"alice".to_vec());
    assert_eq!(c.users[0].line_no, 3);
    assert_eq!(c.loadmodules[0].path, "/m.so");
    assert_eq!(c.loadmodules[0].args, vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(
        c.module_configs,
        vec![("mymod.opt".to_string(), "3".to_string())]
    );
}

#[test]
fn deprecated_directives_are_ignored_only_with_one_argument() {
    assert!(load("list-max-ziplist-entries 512\nlua-replicate-commands yes").is_ok());
    assert_eq!(
        load_err("list-max-ziplist-value 1 2").msg,
        "Bad directive or wrong number of arguments"
    );
}

#[test]
fn include_reads_files_recursively_and_globs_skip_when_nothing_matches() {
    let d = temp_dir("include");
    let inner = d.join("inner.conf");
    let outer = d.join("outer.conf");
    std::fs::write(&inner, "maxclients 77\n").unwrap();
    std::fs::write(&outer, format!("include {}\nport 1234\n", inner.display())).unwrap();
    let c = load(&format!("include {}", outer.display())).unwrap();
    assert_eq!(c.maxclients, 77);
    assert_eq!(c.port, 1234);
    let frag = d.join("frag");
    std::fs::create_dir_all(&frag).unwrap();
    assert!(load(&format!("include {}/*.conf", frag.display())).is_ok());
    std::fs::write(frag.join("b.conf"), "port 2\n").unwrap();
    std::fs::write(frag.join("a.conf"), "port 1\ntimeout 5\n").unwrap();
    let c = load(&format!("include {}/*.conf", frag.display())).unwrap();
    assert_eq!((c.port, c.timeout), (2, 5));
}

#[test]
fn include_of_missing_file_fails_with_open_error() {
    let e = load_err("include /nonexistent-oxidis.conf");
    assert_eq!(
        e.msg,
        "Fatal error, can't open config file '/nonexistent-oxidis.conf': No such file or directory"
    );
}

#[test]
fn errors_inside_included_file_report_that_files_line() {
    let d = temp_dir("inc-err");
    let inner = d.join("inner.conf");
    std::fs::write(&inner, "# x\nport nope\n").unwrap();
    let e = load_err(&format!("port 1\ninclude {}", inner.display()));
    assert_eq!((e.line_no, e.line.as_str()), (2, "port nope"));
}

#[test]
fn self_include_stops_instead_of_overflowing() {
    let d = temp_dir("inc-loop");
    let f = d.join("loop.conf");
    std::fs::write(&f, format!("include {}\n", f.display())).unwrap();
    let e = load_err(&format!("include {}", f.display()));
    assert_eq!(e.msg, "Too many nested include directives");
}

#[test]
fn sample_redis_conf_loads_and_every_directive_is_known() {
    let path = "/tmp/rsrc/redis-7.0.15/redis.conf";
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipping: {} not present", path);
        return;
    };
    let _g = cwd_lock();
    let here = std::env::current_dir().unwrap();
    let mut c = Config::default();
    let r = c.load_config_text(&text);
    std::env::set_current_dir(&here).unwrap();
    r.unwrap();
    assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
    assert_eq!(c.pidfile.as_deref(), Some("/var/run/redis_6379.pid"));

    let file_level = [
        "include",
        "rename-command",
        "user",
        "loadmodule",
        "sentinel",
    ];
    let known = |n: &str| canonical_name(n.as_bytes()).is_some() || file_level.contains(&n);
    let mut checked = 0;
    for line in text.lines() {
        let (commented, body) = match line.strip_prefix('#') {
            Some(rest) => (true, rest.strip_prefix(' ').unwrap_or(rest)),
            None => (false, line),
        };
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
            .collect();
        let starts_lower = name.starts_with(|c: char| c.is_ascii_lowercase());
        if !starts_lower || !body[name.len()..].starts_with(' ') {
            continue;
        }
        if commented {
            // Commented examples look like "# name value"; skip prose.
            let compound = name.contains('-') || name.contains('_');
            if !compound || line.contains("->") || name == "client-only" {
                continue;
            }
        }
        assert!(
            known(&name),
            "directive {:?} from redis.conf is unknown",
            name
        );
        checked += 1;
    }
    assert!(checked > 150, "only {} directives found", checked);
    // Single-word directives that appear only commented out.
    for n in [
        "include",
        "loadmodule",
        "bind",
        "unixsocket",
        "unixsocketperm",
        "port",
        "save",
        "replicaof",
        "masterauth",
        "masteruser",
        "requirepass",
        "aclfile",
        "maxclients",
        "maxmemory",
        "supervised",
        "activedefrag",
        "appendfsync",
        "server_cpulist",
        "bio_cpulist",
        "aof_rewrite_cpulist",
        "bgsave_cpulist",
    ] {
        assert!(text.contains(&format!("# {} ", n)) || text.contains(&format!("\n{} ", n)));
        assert!(known(n), "{} unknown", n);
    }
}

// ------------------------------------------------------------- command line

#[test]
fn cmdline_first_plain_argument_is_the_config_file_made_absolute() {
    let _g = cwd_lock();
    let (file, stdin, opts) =
        cmdline_to_config_text(&args(&["redis.conf", "--port", "7000"])).unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(file, Some(format!("{}/redis.conf", cwd.display())));
    assert!(!stdin);
    assert_eq!(opts, "port \"7000\" ");
    let (file, _, _) = cmdline_to_config_text(&args(&["/etc/r.conf"])).unwrap();
    assert_eq!(file.as_deref(), Some("/etc/r.conf"));
}

#[test]
fn cmdline_options_are_quoted_and_multi_word() {
    let (_, _, o) = cmdline_to_config_text(&args(&[
        "--replicaof",
        "127.0.0.1",
        "6379",
        "--maxmemory",
        "1gb",
    ]))
    .unwrap();
    assert_eq!(o, "replicaof \"127.0.0.1\" \"6379\" \nmaxmemory \"1gb\" ");
    let (_, _, o) =
        cmdline_to_config_text(&args(&["--port 6380", "--requirepass", "a b\"c"])).unwrap();
    assert_eq!(o, "port 6380 \nrequirepass \"a b\\\"c\" ");
}

#[test]
fn cmdline_empty_save_forms_become_save_empty_string() {
    let (_, _, o) = cmdline_to_config_text(&args(&["--save", "--port", "1"])).unwrap();
    assert_eq!(o, "save \"\"\nport \"1\" ");
    let (_, _, o) = cmdline_to_config_text(&args(&["--port", "1", "--save"])).unwrap();
    assert_eq!(o, "port \"1\" \nsave \"\"");
    let (_, _, o) = cmdline_to_config_text(&args(&["--save", ""])).unwrap();
    assert_eq!(o, "save \"\" ");
    let c = load(&assemble_config_text("", "", &o)).unwrap();
    assert!(c.save.is_empty());
}

#[test]
fn cmdline_value_after_bare_option_may_start_with_dashes() {
    let (_, _, o) =
        cmdline_to_config_text(&args(&["--masterauth", "--secret", "--port", "-1"])).unwrap();
    assert_eq!(o, "masterauth \"--secret\" \nport \"-1\" ");
    let (_, _, o) = cmdline_to_config_text(&args(&["--sentinel", "--port", "1"])).unwrap();
    assert_eq!(o, "sentinel \nport \"1\" ");
    assert!(load(&assemble_config_text("", "", &o)).is_ok());
}

#[test]
fn cmdline_dash_reads_stdin_only_first_or_last() {
    let (f, stdin, o) = cmdline_to_config_text(&args(&["-", "--port", "1"])).unwrap();
    assert_eq!((f, stdin, o.as_str()), (None, true, "port \"1\" "));
    let (_, stdin, _) = cmdline_to_config_text(&args(&["/r.conf", "--port", "1", "-"])).unwrap();
    assert!(stdin);
    let (_, stdin, o) = cmdline_to_config_text(&args(&["--port", "-", "--hz", "5"])).unwrap();
    assert!(!stdin);
    assert_eq!(o, "port \"-\" \nhz \"5\" ");
}

#[test]
fn assembled_text_puts_file_then_stdin_then_options() {
    let t = assemble_config_text("port 1\n", "port 2\n", "port \"3\" ");
    assert_eq!(t, "port 1\nport 2\n\nport \"3\" ");
    assert_eq!(load(&t).unwrap().port, 3);
}

// ------------------------------------------------------------- CONFIG GET

#[test]
fn config_get_renders_values_like_redis() {
    let _g = cwd_lock();
    let c = Config::default();
    assert_eq!(get1(&c, "port"), "6379");
    assert_eq!(get1(&c, "save"), "3600 1 300 100 60 10000");
    assert_eq!(
        get1(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    assert_eq!(get1(&c, "oom-score-adj-values"), "0 200 800");
    assert_eq!(get1(&c, "bind"), "* -::*");
    assert_eq!(get1(&c, "unixsocketperm"), "0");
    assert_eq!(get1(&c, "maxmemory-clients"), "0");
    assert_eq!(get1(&c, "maxmemory"), "0");
    assert_eq!(get1(&c, "proto-max-bulk-len"), "536870912");
    assert_eq!(get1(&c, "notify-keyspace-events"), "");
    assert_eq!(get1(&c, "appendonly"), "no");
    assert_eq!(get1(&c, "loglevel"), "notice");
    assert_eq!(get1(&c, "requirepass"), "");
    assert_eq!(get1(&c, "replicaof"), "");
    assert_eq!(get1(&c, "shutdown-on-sigint"), "default");
    assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
    assert_eq!(
        get1(&c, "proc-title-template"),
        "{title} {listen-addr} {server-mode}"
    );
    assert_eq!(
        get1(&c, "dir"),
        std::env::current_dir().unwrap().display().to_string()
    );
    assert_eq!(get1(&c, "enable-debug-command"), "no");
}

#[test]
fn config_get_patterns_match_aliases_skip_hidden_and_dedupe() {
    let c = Config::default();
    let all = c.get(&[b"*"]);
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    assert!(names.contains(&"replicaof") && names.contains(&"slaveof"));
    assert!(names.contains(&"hash-max-ziplist-entries"));
    assert!(!names.contains(&"key-load-delay"));
    let visible = entries().iter().filter(|e| e.flags & flags::HIDDEN == 0);
    let expected: usize = visible.map(|e| 1 + usize::from(e.alias.is_some())).sum();
    assert_eq!(all.len(), expected);
    assert_eq!(get1(&c, "key-load-delay"), "0");
    let v = c.get(&[b"port", b"PORT", b"p*rt"]);
    assert_eq!(v, vec![("port", "6379".to_string())]);
    let v = c.get(&[b"maxmemory*"]);
    let n: Vec<&str> = v.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        n,
        vec![
            "maxmemory-policy",
            "maxmemory-samples",
            "maxmemory-eviction-tenacity",
            "maxmemory",
            "maxmemory-clients"
        ]
    );
    assert!(c.get(&[b"nosuchconfig"]).is_empty());
}

#[test]
fn config_get_raw_echoes_exact_name_spelling() {
    let c = Config::default();
    assert_eq!(
        c.get_raw(&[b"MAXMEMORY"]),
        vec![(b"MAXMEMORY".to_vec(), b"0".to_vec())]
    );
    assert_eq!(c.get(&[b"MAXMEMORY"])[0].0, "maxmemory");
}

#[test]
fn enum_renderings_follow_redis_name_tables() {
    let mut c = Config::default();
    set1(&mut c, "oom-score-adj", "relative").unwrap();
    assert_eq!(get1(&c, "oom-score-adj"), "yes");
    set1(&mut c, "shutdown-on-sigint", "now save").unwrap();
    assert_eq!(c.shutdown_on_sigint, shutdown::SAVE | shutdown::NOW);
    assert_eq!(get1(&c, "shutdown-on-sigint"), "save now");
    assert_eq!(
        set1(&mut c, "shutdown-on-sigterm", "save nosave").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - shutdown options SAVE and NOSAVE can't be used simultaneously"
    );
    set1(&mut c, "maxmemory-policy", "ALLKEYS-LRU").unwrap();
    assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(get1(&c, "maxmemory-policy"), "allkeys-lru");
}

#[test]
fn notify_flag_strings_round_trip() {
    assert_eq!(
        notify_flags_from_str(b"KEA"),
        Some(notify::KEYSPACE | notify::KEYEVENT | notify::ALL)
    );
    assert_eq!(
        notify_flags_to_string(notify::KEYSPACE | notify::KEYEVENT | notify::ALL),
        "AKE"
    );
    assert_eq!(
        notify_flags_to_string(notify::EXPIRED | notify::KEYEVENT),
        "xE"
    );
    assert_eq!(
        notify_flags_to_string(notify::ALL | notify::KEY_MISS | notify::NEW),
        "Am"
    );
    assert_eq!(notify_flags_from_str(b"Kq"), None);
    let mut c = Config::default();
    set1(&mut c, "notify-keyspace-events", "Ex").unwrap();
    assert_eq!(get1(&c, "notify-keyspace-events"), "xE");
    assert_eq!(
        set1(&mut c, "notify-keyspace-events", "Z").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    );
}

// ------------------------------------------------------------- CONFIG SET

#[test]
fn config_set_unknown_option_error() {
    let mut c = Config::default();
    assert_eq!(
        set1(&mut c, "foo", "bar").unwrap_err(),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
}

#[test]
fn config_set_immutable_and_protected_errors() {
    let mut c = Config::default();
    assert_eq!(
        set1(&mut c, "daemonize", "yes").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    );
    assert_eq!(
        set1(&mut c, "DBFILENAME", "x.rdb").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'DBFILENAME') - can't set protected config"
    );
    c.enable_protected_configs = ProtectedAction::Local;
    assert!(set1(&mut c, "dbfilename", "x.rdb").is_err());
    let local = SetContext {
        loading: false,
        client_is_local: true,
    };
    assert_eq!(
        c.set_ex(&[(b"dbfilename", b"x.rdb")], local),
        Ok(vec!["dbfilename"])
    );
    assert_eq!(
        c.set_ex(&[(b"dbfilename", b"a/b")], local).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename"
    );
}

#[test]
fn config_set_duplicate_parameter_error() {
    let mut c = Config::default();
    assert_eq!(
        c.set(&[(b"port", b"1"), (b"PORT", b"2")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter"
    );
}

#[test]
fn config_set_bad_value_names_the_registered_config() {
    let mut c = Config::default();
    assert_eq!(
        set1(&mut c, "MAXMEMORY", "lots").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
    );
    assert_eq!(
        set1(&mut c, "slave-read-only", "maybe").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"
    );
    assert_eq!(
        set1(&mut c, "activedefrag", "yes").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
    );
}

#[test]
fn config_set_is_all_or_nothing() {
    let mut c = Config::default();
    let r = c.set(&[(b"maxmemory", b"100mb"), (b"port", b"abc")]);
    assert_eq!(
        r.unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"
    );
    assert_eq!(c.maxmemory, 0);
}

#[test]
fn config_set_returns_changed_canonical_names() {
    let mut c = Config::default();
    let r = c
        .set(&[
            (b"maxmemory", b"1mb"),
            (b"hz", b"10"),
            (b"slave-read-only", b"no"),
            (b"bind", b"* -::*"),
        ])
        .unwrap();
    assert_eq!(r, vec!["maxmemory", "replica-read-only", "bind"]);
    assert_eq!(c.maxmemory, 1024 * 1024);
    assert!(!c.replica_read_only);
}

#[test]
fn config_set_while_loading_refuses_deny_loading_configs() {
    let mut c = Config::default();
    let ctx = SetContext {
        loading: true,
        client_is_local: false,
    };
    assert_eq!(
        c.set_ex(&[(b"appendonly", b"yes")], ctx).unwrap_err(),
        LOADING_ERROR
    );
    assert!(c.set_ex(&[(b"maxmemory", b"1")], ctx).is_ok());
}

#[test]
fn config_set_multi_arg_values_split_on_spaces() {
    let mut c = Config::default();
    set1(&mut c, "save", "900 1 300 10").unwrap();
    assert_eq!(c.save, vec![(900, 1), (300, 10)]);
    set1(&mut c, "save", "60 5").unwrap();
    assert_eq!(c.save, vec![(60, 5)]);
    set1(&mut c, "save", "").unwrap();
    assert!(c.save.is_empty());
    assert_eq!(
        set1(&mut c, "save", "900  1").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
    );
    set1(&mut c, "client-output-buffer-limit", "pubsub 64mb 16mb 90").unwrap();
    assert_eq!(
        c.client_output_buffer_limit[OBUF_PUBSUB].hard_limit_bytes,
        64 << 20
    );
    set1(&mut c, "oom-score-adj-values", "0 100 900").unwrap();
    assert_eq!(c.oom_score_adj_values, [0, 100, 900]);
    assert_eq!(
        set1(&mut c, "oom-score-adj-values", "0 100 900").unwrap(),
        Vec::<&str>::new()
    );
    set1(&mut c, "latency-tracking-info-percentiles", "").unwrap();
    assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "");
    assert_eq!(
        set1(&mut c, "latency-tracking-info-percentiles", "101").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
    );
}

#[test]
fn config_set_hz_is_clamped_and_binary_password_kept() {
    let mut c = Config::default();
    set1(&mut c, "hz", "1000").unwrap();
    assert_eq!(get1(&c, "hz"), "500");
    c.set(&[(b"requirepass", b"p\x00\xffw")]).unwrap();
    assert_eq!(c.requirepass.as_deref(), Some(&b"p\x00\xffw"[..]));
    assert_eq!(c.get_raw(&[b"requirepass"])[0].1, b"p\x00\xffw".to_vec());
    set1(&mut c, "requirepass", "").unwrap();
    assert_eq!(c.requirepass, None);
    assert!(is_sensitive(b"MasterAuth"));
    assert!(!is_sensitive(b"port"));
}

#[test]
fn config_set_dir_chdirs_and_reports_strerror() {
    let _g = cwd_lock();
    let here = std::env::current_dir().unwrap();
    let mut c = Config::default();
    c.enable_protected_configs = ProtectedAction::Yes;
    assert_eq!(
        set1(&mut c, "dir", "/nonexistent-oxidis-dir").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
    );
    let td = temp_dir("dir");
    let d = td.canonicalize().unwrap();
    // A failing later pair puts the cwd back.
    assert!(c
        .set(&[(b"dir", d.to_str().unwrap().as_bytes()), (b"port", b"x")])
        .is_err());
    assert_eq!(std::env::current_dir().unwrap(), here);
    set1(&mut c, "dir", d.to_str().unwrap()).unwrap();
    assert_eq!(get1(&c, "dir"), d.display().to_string());
    assert_eq!(c.dir, d.display().to_string());
    std::env::set_current_dir(&here).unwrap();
}

// ------------------------------------------------------------- CONFIG REWRITE

#[test]
fn rewrite_keeps_comments_replaces_lines_in_place_and_appends_new_ones() {
    let _g = cwd_lock();
    let d = temp_dir("rewrite");
    let path = d.join("redis.conf");
    std::fs::write(
        &path,
        "# My comment\n  port 6379\n\n\n# another\nsave 900 1\nsave 300 10\nslave-read-only yes\nmaxmemory 100mb\nunknown-thing 1\n",
    )
    .unwrap();
    let mut c = Config::default();
    c.port = 7000;
    c.save = vec![(900, 1)];
    c.replica_read_only = false;
    c.maxmemory = 0;
    c.requirepass = Some(b"s3 cret".to_vec());
    c.maxmemory_clients = -10;
    c.rewrite(&path).unwrap();
    let cwd = std::env::current_dir().unwrap().display().to_string();
    let got = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        got,
        format!(
            "# My comment\nport 7000\n\n# another\nsave 900 1\n\nreplica-read-only no\nmaxmemory 0\n\
             # ??? unknown-thing 1\n\n# Generated by CONFIG REWRITE\nrequirepass \"s3 cret\"\n\
             maxmemory-clients 10%\ndir \"{}\"\n\
             latency-tracking-info-percentiles 50 99 99.9\n",
            cwd
        )
    );
    // Like Redis, the next rewrite keeps one trailing blank line (the empty
    // token after the final newline) and never repeats the signature.
    c.rewrite(&path).unwrap();
    let second = std::fs::read_to_string(&path).unwrap();
    assert_eq!(second, format!("{}\n", got));
    c.rewrite(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), second);
}

#[test]
fn rewrite_reuses_buffer_limit_lines_in_class_order_like_redis() {
    let _g = cwd_lock();
    let d = temp_dir("rewrite-cobl");
    let path = d.join("redis.conf");
    std::fs::write(&path, "client-output-buffer-limit replica 1gb 64mb 60\n").unwrap();
    let mut c = Config::default();
    c.client_output_buffer_limit[OBUF_REPLICA].hard_limit_bytes = 1 << 30;
    c.rewrite(&path).unwrap();
    let got = std::fs::read_to_string(&path).unwrap();
    // The "normal" class (at its default) takes the first old line; the
    // changed "replica" class is appended, exactly as Redis 7.0 does.
    assert!(got
        .starts_with("client-output-buffer-limit normal 0 0 0\n\n# Generated by CONFIG REWRITE\n"));
    assert!(got.contains("\nclient-output-buffer-limit replica 1gb 64mb 60\n"));
}

#[test]
fn rewrite_of_missing_file_writes_forced_options_and_default_bind_drops_bind_lines() {
    let _g = cwd_lock();
    let d = temp_dir("rewrite-new");
    let path = d.join("new.conf");
    let c = Config::default();
    c.rewrite(&path).unwrap();
    let cwd = std::env::current_dir().unwrap().display().to_string();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!(
            "# Generated by CONFIG REWRITE\ndir \"{}\"\nsave 3600 1\nsave 300 100\nsave 60 10000\n\
             latency-tracking-info-percentiles 50 99 99.9\n",
            cwd
        )
    );
    let path2 = d.join("bind.conf");
    std::fs::write(
        &path2,
        "bind 127.0.0.1 -::1\nloadmodule /x.so\nuser bob on\n",
    )
    .unwrap();
    c.rewrite_with_acl(&path2, Some(&["default on nopass ~* &* +@all".to_string()]))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&path2).unwrap(),
        format!(
            "\nuser default on nopass ~* &* +@all\n\n# Generated by CONFIG REWRITE\ndir \"{}\"\n\
             save 3600 1\nsave 300 100\nsave 60 10000\nlatency-tracking-info-percentiles 50 99 99.9\n",
            cwd
        )
    );
}

#[test]
fn force_all_rewrite_reloads_to_identical_config_get_output() {
    let _g = cwd_lock();
    let here = std::env::current_dir().unwrap();
    let d = temp_dir("force-all");
    let path = d.join("redis.conf");
    std::fs::write(&path, "# header\nport 6380\n").unwrap();
    let mut c = load("port 6380\nsave 900 1\nshutdown-on-sigterm nosave now\nmaxmemory-clients 5%\nrequirepass \"a b\"\nnotify-keyspace-events KEA\nbind 127.0.0.1 -::1\nunixsocketperm 755\nreplicaof 10.1.1.1 7000\nlatency-tracking-info-percentiles 1.5 99.99").unwrap();
    c.masteruser = Some("we\"ird\n".into());
    let before = c.get(&[b"*"]);
    c.rewrite_ex(&path, None, true).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# header\nport 6380\n"));
    assert!(text.contains("\nhz 10\n"));
    assert!(text.contains("\nshutdown-on-sigterm nosave now\n"));
    assert!(text.contains("\nmasteruser \"we\\\"ird\\n\"\n"));
    let mut again = Config::default();
    let r = again.load_config_text(&text);
    std::env::set_current_dir(&here).unwrap();
    r.unwrap();
    assert_eq!(again.get(&[b"*"]), before);
}

#[test]
fn rewrite_error_is_reported_with_strerror() {
    let c = Config::default();
    let r = c.rewrite(Path::new("/nonexistent-oxidis-dir/redis.conf"));
    assert_eq!(r.unwrap_err(), "No such file or directory");
}

#[test]
fn debug_info_lists_debug_configs_without_signature() {
    let c = Config::default();
    let s = c.debug_info();
    assert!(s.starts_with("io-threads-do-reads no\n"));
    assert!(s.contains("\nproto-max-bulk-len 512mb\n"));
    assert!(s.contains("\nclient-query-buffer-limit 1gb\n"));
    assert!(!s.contains("Generated"));
}

// ------------------------------------------------------------- helpers

#[test]
fn split_args_and_repr_follow_sds_rules() {
    assert_eq!(
        split_args(b"set \"a b\" 'c\\'d' e\\x").unwrap(),
        vec![
            b"set".to_vec(),
            b"a b".to_vec(),
            b"c'd".to_vec(),
            b"e\\x".to_vec()
        ]
    );
    assert_eq!(split_args(b"  ").unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(split_args(b"\"\\xzz\"").unwrap(), vec![b"xzz".to_vec()]);
    assert!(split_args(b"'abc").is_none());
    assert_eq!(repr(b"a\"b\\\n\x01\x7f"), "\"a\\\"b\\\\\\n\\x01\\x7f\"");
}

#[test]
fn proc_title_template_is_validated() {
    let mut c = Config::default();
    assert_eq!(
        set1(&mut c, "proc-title-template", "{nope}").unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"
    );
    assert!(set1(&mut c, "proc-title-template", "{title}").is_err());
    set1(&mut c, "proc-title-template", "redis {{ {port}").unwrap();
    assert_eq!(
        c.expand_proc_title_template(&c.proc_title_template, "t", None)
            .as_deref(),
        Some("redis { 6379")
    );
}

#[test]
fn random_input_never_panics() {
    // xorshift PRNG, deterministic.
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let names: Vec<&str> = entries()
        .iter()
        .flat_map(|e| [Some(e.name), e.alias])
        .flatten()
        .filter(|n| !matches!(*n, "dir" | "logfile"))
        .chain([
            "rename-command",
            "user",
            "loadmodule",
            "sentinel",
            "x.y",
            "bogus",
        ])
        .collect();
    let atoms = [
        "",
        "\"",
        "'",
        "\\",
        "\\x4",
        "\"\\x41\"",
        "yes",
        "no",
        "-1",
        "0",
        "1",
        "99999999999999999999",
        "1gb",
        "5%",
        "-5%",
        "777",
        " ",
        "\t",
        "#",
        "normal",
        "replica",
        "a b",
        "\"\"",
        "KEA",
        "\u{00e9}",
        "18446744073709551615",
        "9223372036854775808",
        "-9223372036854775809",
        "0x10",
        "1e3",
        "nan",
    ];
    for _ in 0..4000 {
        let mut line = String::new();
        line.push_str(names[(next() % names.len() as u64) as usize]);
        for _ in 0..(next() % 6) {
            line.push(' ');
            line.push_str(atoms[(next() % atoms.len() as u64) as usize]);
            if next() % 4 == 0 {
                line.push_str(atoms[(next() % atoms.len() as u64) as usize]);
            }
        }
        let mut c = Config::default();
        let _ = c.load_config_text(&line);
        let name = names[(next() % names.len() as u64) as usize];
        let val = atoms[(next() % atoms.len() as u64) as usize];
        let _ = c.set(&[(name.as_bytes(), val.as_bytes())]);
        let _ = c.get(&[line.as_bytes()]);
        let _ = split_args(line.as_bytes());
    }
    // Raw printable/control bytes, never naming a directive with effects
    // outside the process (dir, logfile, include).
    for _ in 0..4000 {
        let len = (next() % 24) as usize;
        let raw: Vec<u8> = (0..len)
            .map(|_| {
                let r = next() % 100;
                if r < 90 {
                    b" \t\"'\\xabc0123456789%-KEA\x0b\x0c\r"[(r % 27) as usize]
                } else {
                    (next() % 256) as u8
                }
            })
            .map(|b| if b == b'\n' { b' ' } else { b })
            .collect();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let first = split_args(text.as_bytes())
            .and_then(|a| a.into_iter().next())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if [&b"dir"[..], b"logfile", b"include"].contains(&first.as_slice()) {
            continue;
        }
        let mut c = Config::default();
        let _ = c.load_config_text(&text);
        let _ = c.set(&[(b"save", &raw), (b"client-output-buffer-limit", &raw)]);
        let _ = c.set(&[(b"maxmemory-clients", &raw), (b"unixsocketperm", &raw)]);
        let _ = c.get(&[&raw]);
    }
}
