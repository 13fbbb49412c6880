//! The `xycz` binary run as a user runs it, on a temporary data folder of its own.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// The seat of the city's market regulator: a valid 统一社会信用代码 (the README's example).
pub const UNIT_CODE: &str = "11140400PF0B26Q50G";
pub const UNIT_NAME: &str = "长治市市场监督管理局";

/// What a finished run left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The `xycz` binary without the caller's `XYCZ_*` settings: a developer's
/// `XYCZ_DATABASE_URL` must not send a test's accounts to their database.
pub fn xycz() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xycz"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("XYCZ_") {
            command.env_remove(name);
        }
    }
    command
}

/// A data folder (database, objects, built site) that disappears with the test.
pub struct Data {
    dir: TempDir,
}

impl Data {
    pub fn new() -> Data {
        Data {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `xycz ARGS --data DIR` with `stdin` as its standard input, to the end.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = xycz()
            .args(args)
            .arg("--data")
            .arg(self.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();

        // A command that fails before it reads its input closes the pipe first; what it
        // printed then says more than the broken pipe.
        let mut input = child.stdin.take().unwrap();
        if let Err(e) = input.write_all(stdin.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        drop(input);

        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `xycz user add` with the password on standard input, as the README shows it.
    pub fn add_user(&self, username: &str, unit_code: &str, password: &str) -> Run {
        self.run(
            &[
                "user",
                "add",
                "--username",
                username,
                "--unit-code",
                unit_code,
                "--role",
                "reporter",
                "--password-stdin",
            ],
            &format!("{password}\n"),
        )
    }
}
