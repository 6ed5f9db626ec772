//! Start-up order: the logo's ` PID: <pid>` line, which Redis's test harness
//! (and other supervisors) take as "the server is up", comes only once the
//! server listens, as in Redis, so a client connecting right after it is
//! never refused.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::{free_port, fresh_dir};

#[test]
fn a_client_connecting_as_soon_as_the_pid_line_shows_is_accepted() {
    // The old order (logo, then bind) refused about 2 connections in 100.
    const STARTS: usize = 100;
    let dir = fresh_dir("startup");
    let mut started = 0;
    while started < STARTS {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_oxidis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--always-show-logo", "yes"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start oxidis-server");
        // Kept open until the server is killed, so its later log lines
        // have somewhere to go.
        let mut log = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let saw_pid = log
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains(" PID: "));
        // No PID line: the port was taken by a parallel test; try another.
        if saw_pid {
            let connected = TcpStream::connect(("127.0.0.1", port));
            assert!(connected.is_ok(), "start {started}: {connected:?}");
            started += 1;
        }
        child.kill().expect("kill the server");
        child.wait().expect("reap the server");
        drop(log);
    }
}
