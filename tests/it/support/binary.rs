//! Runs the real `proxy-gateway` binary, for what only a process can show: signals, exit
//! codes, what it prints, the embedded default store in its working directory.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

/// The binary cargo built for these tests.
pub fn path() -> &'static str {
    env!("CARGO_BIN_EXE_proxy-gateway")
}

/// A command for the binary with an empty environment (so the caller's PGW_* and DATABASE_URL
/// cannot leak in), run in `dir`.
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(path());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A started `serve` process and the lines it printed up to "listening".
pub struct Served {
    pub child: Child,
    pub addr: String,
    pub stderr_lines: Vec<String>,
    /// Everything printed to stderr after "listening", drained in the background so the pipe
    /// never fills and blocks the process.
    pub later_stderr: Arc<Mutex<String>>,
}

/// Starts `serve` and waits (up to 60 s) until it prints where it listens.
pub async fn serve(mut cmd: Command) -> Served {
    let mut child = cmd.spawn().expect("start proxy-gateway");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut stderr = BufReader::new(stderr);
    let mut lines = Vec::new();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let mut line = String::new();
            let n = stderr.read_line(&mut line).await.expect("read stderr");
            assert!(
                n > 0,
                "proxy-gateway exited before listening; it printed:\n{}",
                lines.join("")
            );
            lines.push(line.clone());
            if let Some(rest) = line.split("listening on http://").nth(1) {
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        }
    })
    .await
    .expect("proxy-gateway did not start listening within 60 s");
    let later_stderr = Arc::new(Mutex::new(String::new()));
    tokio::spawn(drain(stderr, later_stderr.clone()));
    Served {
        child,
        addr,
        stderr_lines: lines,
        later_stderr,
    }
}

async fn drain(mut stderr: BufReader<ChildStderr>, sink: Arc<Mutex<String>>) {
    let mut line = String::new();
    while stderr.read_line(&mut line).await.unwrap_or(0) > 0 {
        if let Ok(mut sink) = sink.lock() {
            sink.push_str(&line);
        }
        line.clear();
    }
}

/// Sends a signal to a child process.
pub fn signal(child: &Child, signal: nix::sys::signal::Signal) {
    let pid = child.id().expect("child still running");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).expect("send signal");
}
