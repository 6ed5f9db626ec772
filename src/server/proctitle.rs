//! The process title `ps` and /proc/<pid>/cmdline show, set from
//! `proc-title-template` as Redis does (its setproctitle): the memory that held
//! argv and the environment strings is overwritten with the title, after the
//! environment has been copied elsewhere so nothing still points into it.
//!
//! Call `init` once at startup, after the arguments were read and before any
//! thread starts; `set` afterwards as often as needed.

use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicUsize, Ordering};

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// argv[0] as the process was started: the `{title}` of the main process.
static ARGV0: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Start and end of the writable title area (0 = not initialised).
static AREA_START: AtomicUsize = AtomicUsize::new(0);
static AREA_END: AtomicUsize = AtomicUsize::new(0);

/// arg_start, arg_end, env_start, env_end from /proc/self/stat.
fn arg_env_bounds() -> Option<[usize; 4]> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<usize>().ok();
    Some([field(48)?, field(49)?, field(50)?, field(51)?])
}

/// Claims the argv (and, when contiguous, environment) area for the title;
/// `argv0` is kept as the main process's `{title}`.
pub fn init(argv0: &str) {
    let _ = ARGV0.set(argv0.to_string());
    let Some([arg_start, arg_end, env_start, env_end]) = arg_env_bounds() else {
        return;
    };
    if arg_start == 0 || arg_end <= arg_start {
        return;
    }
    let end = if env_start == arg_end && env_end > env_start {
        env_end
    } else {
        arg_end
    };
    // SAFETY: single-threaded at startup; every environ entry that points into the
    // area is replaced by a leaked copy before the area is ever written.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let s = *p as usize;
            if (arg_start..end).contains(&s) {
                let copy = CString::from(std::ffi::CStr::from_ptr(*p));
                *p = copy.into_raw();
            }
            p = p.add(1);
        }
    }
    AREA_START.store(arg_start, Ordering::SeqCst);
    AREA_END.store(end, Ordering::SeqCst);
}

/// Shows `title` as the process title (truncated to the area).
pub fn set(title: &str) {
    let start = AREA_START.load(Ordering::SeqCst);
    let end = AREA_END.load(Ordering::SeqCst);
    if start == 0 {
        return;
    }
    let room = end - start - 1;
    let bytes = &title.as_bytes()[..title.len().min(room)];
    // SAFETY: [start, end) is this process's argv/environment string area, which
    // nothing references any more after `init`.
    unsafe {
        let base = start as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), base, bytes.len());
        std::ptr::write_bytes(base.add(bytes.len()), 0, end - start - bytes.len());
    }
}

/// Sets the title from the config's template, as redisSetProcTitle does; `title`
/// is a child's role ("redis-rdb-bgsave"), or `None` for the executable name.
pub fn apply(config: &crate::config::Config, title: Option<&str>, config_file: Option<&str>) {
    if !config.set_proc_title {
        return;
    }
    let title = title.unwrap_or_else(|| ARGV0.get().map(String::as_str).unwrap_or("redis-server"));
    if let Some(t) =
        config.expand_proc_title_template(&config.proc_title_template, title, config_file)
    {
        set(&t);
    }
}
