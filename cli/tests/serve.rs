//! `xycz serve` as a user starts it: on a free loopback port, from a folder without the site's
//! sources, answering the portal and the API over plain HTTP, with accounts made by the CLI.

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{xycz, Data, UNIT_CODE, UNIT_NAME};
use serde_json::{json, Value};

/// Migrations and the first site build take under a second in a debug binary; this leaves room
/// for a busy machine.
const STARTUP: Duration = Duration::from_secs(60);

/// A running `xycz serve`, killed when the test ends, however it ends.
struct Server {
    child: Child,
    address: String,
    data: Data,
}

impl Server {
    /// Starts `xycz serve --addr 127.0.0.1:0` on a new data folder and waits for the line
    /// that names the bound address.
    fn start() -> Server {
        let data = Data::new();
        // Logs go to a file: a pipe nobody reads would stall the server once full.
        let log = File::create(data.path().join("serve.log")).unwrap();
        // An empty working folder: `content` and `templates` are then found in the checkout
        // the binary was built from, as `xycz serve` does anywhere on the build machine.
        let child = xycz()
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .current_dir(data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            address: String::new(),
            data,
        };

        let stdout = server.child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let Ok(line) = lines.recv_timeout(STARTUP) else {
            panic!("xycz serve printed no address:\n{}", server.log());
        };

        let rest = line
            .strip_prefix("xycz serve: http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        server.address = rest.split('/').next().unwrap_or_default().to_owned();
        assert!(server.address.starts_with("127.0.0.1:"), "{line}");
        assert!(!server.address.ends_with(":0"), "{line}");
        let site = data_site(&server.data);
        assert!(
            line.contains(&format!("（网站：{site}，接口：/api）")),
            "{line}"
        );
        server
    }

    /// What it logged on standard error so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("serve.log")).unwrap_or_default()
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        http(&self.address, "GET", path, cookie, None)
    }

    fn login(&self, username: &str, password: &str) -> Response {
        let body = json!({ "username": username, "password": password });
        http(&self.address, "POST", "/api/auth/login", None, Some(&body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the site of a data folder is built.
fn data_site(data: &Data) -> String {
    data.path().join("public").display().to_string()
}

/// An HTTP response, its header names in lower case.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `name=value` part of the session cookie this response sets.
    fn session_cookie(&self) -> String {
        let cookie = self.header("set-cookie");
        cookie.split(';').next().unwrap_or_default().to_owned()
    }
}

/// One HTTP/1.1 request on its own connection.
fn http(
    address: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    json: Option<&Value>,
) -> Response {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();

    let body = json.map(Value::to_string).unwrap_or_default();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if json.is_some() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();

    // Every answer here has a known length (files and JSON); a chunked one would fail this.
    let body = raw[split + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(key, _)| key == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok());
    assert_eq!(length, Some(body.len()), "{head}");
    Response {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

#[test]
fn the_portal_and_the_api_description_are_served() {
    let server = Server::start();

    let portal = server.get("/", None);
    assert_eq!(portal.status, 200, "{}", portal.body);
    assert!(portal.header("content-type").starts_with("text/html"));
    assert!(portal.body.contains("<title>"), "{}", portal.body);
    assert!(portal.body.contains("信用长治"), "{}", portal.body);
    assert!(portal.body.contains("政务登录"), "{}", portal.body);

    let api = server.get("/api/openapi.json", None);
    assert_eq!(api.status, 200, "{}", api.body);
    assert!(api.header("content-type").starts_with("application/json"));
    let api = api.json();
    assert!(
        api["openapi"].as_str().unwrap_or_default().starts_with('3'),
        "{api}"
    );
    assert!(api["paths"].get("/api/auth/login").is_some(), "{api}");

    let me = server.get("/api/me", None);
    assert_eq!(me.status, 401);
    assert_eq!(me.json()["message"], "请先登录");
}

#[test]
fn accounts_made_by_the_cli_log_in_while_it_serves() {
    let server = Server::start();
    let data = &server.data;
    let run = data.run(
        &[
            "unit",
            "add",
            "--name",
            UNIT_NAME,
            "--code",
            UNIT_CODE,
            "--dataset",
            "penalty,licensing",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{run}");
    let run = data.add_user("clerk", UNIT_CODE, "a-long-password");
    assert_eq!(run.code, 0, "{run}");

    let login = server.login("clerk", "a-long-password");
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.session_cookie();
    assert!(cookie.starts_with("xycz_session="), "{cookie}");
    // Plain HTTP on loopback: the browser must be able to send the cookie back.
    let set_cookie = login.header("set-cookie");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let who = login.json();
    assert_eq!(who["user"]["username"], "clerk");
    assert_eq!(who["role"], "reporter");
    assert_eq!(who["unit"]["name"], UNIT_NAME);
    assert_eq!(who["unit"]["code"], UNIT_CODE);
    assert_eq!(who["unit"]["datasets"], json!(["penalty", "licensing"]));
    assert!(
        !who["csrf"].as_str().unwrap_or_default().is_empty(),
        "{who}"
    );
    let me = server.get("/api/me", Some(&cookie));
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["user"]["username"], "clerk");

    let wrong = server.login("clerk", "not-the-password");
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let wrong = wrong.json();
    assert_eq!(wrong["code"], "bad_credentials");
    assert_eq!(wrong["message"], "用户名或密码错误");
    let unknown = server.login("nobody", "a-long-password").json();
    assert_eq!(unknown["message"], "用户名或密码错误");

    // A new password from the CLI ends the session and replaces the old password.
    let run = data.run(
        &["user", "passwd", "--username", "clerk", "--password-stdin"],
        "a-new-long-password\n",
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(server.get("/api/me", Some(&cookie)).status, 401);
    assert_eq!(server.login("clerk", "a-long-password").status, 401);
    let login = server.login("clerk", "a-new-long-password");
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.session_cookie();

    // Disabling from the CLI ends the session and refuses the next login.
    let run = data.run(&["user", "disable", "--username", "clerk"], "");
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(server.get("/api/me", Some(&cookie)).status, 401);
    let refused = server.login("clerk", "a-new-long-password");
    assert_eq!(refused.status, 403, "{}", refused.body);
    let refused = refused.json();
    assert_eq!(refused["code"], "account_disabled");
    assert_eq!(refused["message"], "账号已停用，请联系信用办");
}

/// systemd and container runtimes stop a service with SIGTERM: `xycz serve` then stops
/// accepting, finishes what it serves, closes the database and exits with success.
#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start();
    assert_eq!(server.get("/", None).status, 200);

    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "xycz serve did not stop on SIGTERM:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}\n{}", server.log());
    // The last connection to close folds SQLite's log into the database file.
    let db = server.data.path().join("xycz.db");
    assert!(db.is_file(), "{}", db.display());
    assert!(
        !server.data.path().join("xycz.db-wal").exists(),
        "the write-ahead log is left after a clean stop"
    );
}
