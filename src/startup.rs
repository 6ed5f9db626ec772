//! Start-up and the command line: what redis-server's `main()` does, in order — parse
//! arguments, load the config, set up logging, daemonize, bind, print the logo, and
//! hand over to the event loop.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use mio::Poll;

use crate::command::Registry;
use crate::config::{assemble_config_text, cmdline_to_config_text, read_config_file, Config};
use crate::db::keyspace::Keyspace;
use crate::server::reactor::{bind_listeners, install_signal_handlers, EventLoop};
use crate::server::timer::TimerWheel;
use crate::server::{random_hex_id, unix_ms, Server, OXIDIS_VERSION, REDIS_VERSION};

/// `-v` output, in redis-server's format so tools that parse `v=` keep working.
pub fn version_line() -> String {
    format!(
        "Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=oxidis-{OXIDIS_VERSION}"
    )
}

fn usage() -> String {
    "Usage: ./redis-server [/path/to/redis.conf] [options] [-]\n       ./redis-server - (read config from stdin)\n       ./redis-server -v or --version\n       ./redis-server -h or --help\n\nExamples:\n       ./redis-server (run the server with default conf)\n       echo 'maxmemory 128mb' | ./redis-server -\n       ./redis-server /etc/redis/6379.conf\n       ./redis-server --port 7777\n       ./redis-server --port 7777 --replicaof 127.0.0.1 8888\n       ./redis-server /etc/myredis.conf --loglevel verbose -\n       ./redis-server /etc/myredis.conf --loglevel verbose\n".to_string()
}

/// The flags clap handles; everything else is a config file and `--directive value`
/// pairs, parsed by the config module exactly as redis-server parses them.
fn clap_command() -> clap::Command {
    clap::Command::new("oxidis-server")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue),
        )
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::SetTrue),
        )
}

/// Our own start-up banner; the test harness waits for its ` PID: <pid>` line.
fn logo(port: i64, pid: u32) -> String {
    format!(
        "\n     ___  __ __ _ ____  _ ____         oxidis {OXIDIS_VERSION} (Redis {REDIS_VERSION} compatible) 64 bit\n    / _ \\ \\ \\/ /| |  _ \\| / ___|\n   | (_) | >  < | | |_) | \\___ \\       Running in standalone mode\n    \\___/ /_/\\_\\|_|____/|_|____/       Port: {port}\n                                       PID: {pid}\n"
    )
}

/// Runs the server with `args` (argv[0] included); returns the exit code.
pub fn main(args: Vec<String>) -> i32 {
    if args.len() == 2 && matches!(args[1].as_str(), "-v" | "--version" | "-h" | "--help") {
        let m = match clap_command().try_get_matches_from(&args) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        };
        if m.get_flag("version") {
            println!("{}", version_line());
        } else {
            eprint!("{}", usage());
        }
        return 0;
    }
    let (file, use_stdin, directives) = match cmdline_to_config_text(&args[1..]) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let mut file_text = String::new();
    let mut config_file = None;
    if let Some(f) = &file {
        match read_config_file(f) {
            Ok(t) => file_text = t,
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        }
        config_file = std::fs::canonicalize(f).ok();
    }
    let mut stdin_text = String::new();
    if use_stdin {
        let _ = std::io::stdin().read_to_string(&mut stdin_text);
    }
    let text = assemble_config_text(&file_text, &stdin_text, &directives);
    let mut config = Config::default();
    if let Err(e) = config.load_config_text(&text) {
        // The report already ends with a newline.
        eprint!("{e}");
        return 1;
    }

    if config.daemonize {
        daemonize();
    }
    if let Err(e) = crate::logging::init(config.loglevel, &config.logfile) {
        eprintln!("{e}");
        return 1;
    }
    let pid = std::process::id();
    log::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::warn!(
        "Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid={pid}, just started"
    );
    if file.is_none() {
        log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf",
            args[0]
        );
    } else {
        log::warn!("Configuration loaded");
    }

    let poll = match Poll::new() {
        Ok(p) => p,
        Err(e) => {
            log::warn!("Failed creating the event loop. Error message: '{e}'");
            return 1;
        }
    };
    let registry = Registry::build();
    let now = unix_ms();
    crate::server::proctitle::init(&args[0]);
    crate::alloc::set_background_thread(config.jemalloc_bg_thread);
    let file_name = config_file.as_ref().map(|p| p.display().to_string());
    crate::server::proctitle::apply(&config, None, file_name.as_deref());
    let mut srv = Server {
        hz: config.hz.clamp(1, 500),
        config,
        config_file,
        executable: std::env::current_exe().unwrap_or_else(|_| PathBuf::from(&args[0])),
        poll,
        listeners: Vec::new(),
        clients: Vec::new(),
        free_slots: Vec::new(),
        client_count: 0,
        active_clients: 0,
        next_client_id: 1,
        pending_writes: Vec::new(),
        pending_reads: Vec::new(),
        to_close: Vec::new(),
        monitors: Vec::new(),
        registry,
        command_stats: vec![Default::default(); registry.commands.len()],
        latency: vec![Default::default(); registry.commands.len()],
        error_stats: Default::default(),
        stats: Default::default(),
        timers: TimerWheel::new(now),
        propagator: Default::default(),
        blocking: Default::default(),
        watch: Default::default(),
        pubsub: Default::default(),
        tracking: Default::default(),
        client_slots: Default::default(),
        in_exec: false,
        exec_ops: Vec::new(),
        start_time: Instant::now(),
        clock_base: (crate::server::mono_ns(), now),
        now_ns: crate::server::mono_ns(),
        start_unix_ms: now,
        run_id: random_hex_id(),
        replid: random_hex_id(),
        cronloops: 0,
        active_expire_enabled: true,
        cron_paused: false,
        persist: crate::persist::Persistence::new(now / 1000),
        replication: Default::default(),
        shutdown_asap: false,
        shutdown_prepared: false,
        stat_peak_memory: 0,
        stats_startup_memory: 0,
        pid,
    };
    let mut ks = Keyspace::new(srv.config.databases.max(1) as usize);
    ks.notify_flags = srv.config.notify_keyspace_events;
    ks.set_time(now);

    if let Err(e) = bind_listeners(&mut srv) {
        log::warn!("{e}");
        return 1;
    }
    if let Some(pidfile) = &srv.config.pidfile {
        let _ = std::fs::write(pidfile, format!("{pid}\n"));
    }
    // After binding, as Redis does: whoever waits for the PID line (the test
    // harness) may connect as soon as it sees it.
    if srv.config.always_show_logo {
        log::info!(target: "raw", "{}", logo(srv.config.port, pid));
    } else {
        log::info!("Running mode=standalone, port={}.", srv.config.port);
    }
    install_signal_handlers();
    log::warn!("Server initialized");
    srv.stats_startup_memory = crate::alloc::used_memory();
    let mut el = EventLoop { srv, ks };
    if !crate::persist::load_data_from_disk(&mut el) {
        return 1;
    }
    log::info!("Ready to accept connections");
    notify_systemd(&el.srv.config, "READY=1\n");
    el.run()
}

/// Forks into the background like redis-server's daemonize(): setsid, stdio to /dev/null.
fn daemonize() {
    // SAFETY: called before any thread is started; the parent exits at once.
    unsafe {
        if libc::fork() != 0 {
            libc::_exit(0);
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

/// Sends `msg` to systemd's notify socket when supervised by systemd.
fn notify_systemd(config: &Config, msg: &str) {
    if config.supervised != crate::config::SupervisedMode::Systemd
        && !(config.supervised == crate::config::SupervisedMode::Auto
            && std::env::var_os("NOTIFY_SOCKET").is_some())
    {
        return;
    }
    let Ok(path) = std::env::var("NOTIFY_SOCKET") else {
        return;
    };
    let sock = match std::os::unix::net::UnixDatagram::unbound() {
        Ok(s) => s,
        Err(_) => return,
    };
    let path = if let Some(abs) = path.strip_prefix('@') {
        format!("\0{abs}")
    } else {
        path
    };
    let _ = sock.send_to(msg.as_bytes(), path);
    log::info!("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
}
