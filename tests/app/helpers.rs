//! Starting `paperboy` the way an operator would, in a fresh data directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use paperboy_core::{ArxivId, Paper};
use paperboy_store::{PaperStore, SqliteStore};

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// One instance: a temporary data directory and the binary pointed at it; its database is the
/// SQLite file there, or the PostgreSQL database it was given.
pub struct Instance {
    pub data_dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Instance {
    /// A fresh instance holding the demo sample. The sample is imported once per test run and
    /// its database files copied, so each test starts from the same data without re-importing.
    pub fn with_demo_data() -> Instance {
        static TEMPLATE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let directory =
                Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("demo-template-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&directory);
            let importer = Instance::new();
            let run = importer.import(&[
                fixture("demo/listings-2026-02.jsonl.gz"),
                fixture("demo/hf-daily-papers-2026-02.json.gz"),
            ]);
            assert_eq!(run.code, 0, "demo import failed: {}", run.stderr);
            std::fs::create_dir_all(&directory).expect("template dir");
            for entry in std::fs::read_dir(importer.data_dir.path()).expect("data dir").flatten() {
                std::fs::copy(entry.path(), directory.join(entry.file_name())).expect("copy");
            }
            directory
        });
        let instance = Instance::new();
        for entry in std::fs::read_dir(template).expect("template").flatten() {
            std::fs::copy(entry.path(), instance.data_dir.path().join(entry.file_name())).expect("copy");
        }
        instance
    }

    pub fn new() -> Instance {
        Instance {
            data_dir: tempfile::tempdir().expect("temp dir"),
            database_url: None,
        }
    }

    /// A replica: its own data directory (search index, journal), the database at `url`.
    pub fn on_postgres(url: &str) -> Instance {
        Instance {
            database_url: Some(url.to_owned()),
            ..Instance::new()
        }
    }

    /// The binary with this instance's data dir and no `PAPERBOY_*` variables from outside.
    pub fn command(&self) -> Command {
        self.command_of(env!("CARGO_BIN_EXE_paperboy"))
    }

    /// `paperboy-bench`, set up as [`Instance::command`] sets up `paperboy`.
    pub fn bench_command(&self) -> Command {
        self.command_of(env!("CARGO_BIN_EXE_paperboy-bench"))
    }

    fn command_of(&self, binary: &str) -> Command {
        let mut command = Command::new(binary);
        for (key, _) in std::env::vars() {
            if key.starts_with("PAPERBOY_") {
                command.env_remove(key);
            }
        }
        command
            .env_remove("RUST_LOG")
            // Tests serve recorded data; a test that harvests turns this on with its fake arXiv.
            .env("PAPERBOY_HARVEST_SCHEDULE", "false")
            .arg("--data-dir")
            .arg(self.data_dir.path());
        if let Some(url) = &self.database_url {
            command.env("PAPERBOY_DATABASE_URL", url);
        }
        command
    }

    pub fn run(&self, arguments: &[&str]) -> Run {
        let output = self.command().args(arguments).output().expect("paperboy runs");
        Run::from(output)
    }

    pub fn import<P: AsRef<std::ffi::OsStr>>(&self, files: &[P]) -> Run {
        let output = self
            .command()
            .arg("import")
            .args(files)
            .output()
            .expect("paperboy runs");
        Run::from(output)
    }

    pub fn stats(&self) -> serde_json::Value {
        let run = self.run(&["stats", "--json"]);
        assert_eq!(run.code, 0, "stats failed: {}", run.stderr);
        serde_json::from_str(&run.stdout).expect("stats --json prints JSON")
    }

    pub async fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.data_dir.path().join("paperboy.db"))
            .await
            .expect("database opens")
    }

    pub async fn paper(&self, id: &str) -> Option<Paper> {
        self.store()
            .await
            .paper(&ArxivId::parse(id).expect("valid id"))
            .await
            .expect("paper loads")
    }

    /// Every paper, in id order.
    pub async fn all_papers(&self) -> Vec<Paper> {
        let store = self.store().await;
        let mut all = Vec::new();
        loop {
            let page = store
                .papers_after(all.last().map(|p: &Paper| &p.id), 1000)
                .await
                .expect("page");
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// `papers` papers made by `paperboy-bench corpus` from the recorded listings, as a listings
    /// file in the data directory.
    pub fn generated_corpus(&self, papers: usize) -> PathBuf {
        let generated = self
            .bench_command()
            .args(["corpus", "--papers", &papers.to_string()])
            .arg(fixture("fixtures/recorded/listings-sample.jsonl"))
            .output()
            .expect("paperboy runs");
        assert!(generated.status.success(), "bench corpus failed");
        let corpus = self.data_dir.path().join("corpus.jsonl");
        std::fs::write(&corpus, generated.stdout).expect("the corpus is written");
        corpus
    }

    /// Starts a long-running subcommand (`serve`, `demo`) on a port the system picks.
    pub fn spawn_server(&self, subcommand: &str) -> Server {
        Server::start(self.command(), subcommand)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

pub struct Server {
    pub child: Child,
    pub base_url: String,
    log: tempfile::NamedTempFile,
}

impl Server {
    fn start(mut command: Command, subcommand: &str) -> Server {
        command.arg(subcommand);
        Server::start_command(command)
    }

    /// Starts `command` (a `serve` or `demo` with its flags) on a port the system picks.
    pub fn start_command(mut command: Command) -> Server {
        // Logs go to a file, not a pipe nobody reads: a full pipe would block the server.
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut child = command
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.reopen().expect("log file")))
            .spawn()
            .expect("server starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("paperboy listening on ") {
                    let _ = sender.send(address.to_owned());
                }
            }
        });
        let Ok(base_url) = receiver.recv_timeout(Duration::from_secs(120)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not start: {}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
        };
        Server { child, base_url, log }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client()
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("request answered")
    }

    pub async fn text(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.expect("body")
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// A client that does not follow redirects, so tests see them.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Signs `email` in through the link mailed to it and returns the session cookie (`name=value`).
    /// Asks for a sign-in link for `email` from this site's own page.
    pub async fn ask_for_sign_in_link(&self, email: &str) -> reqwest::Response {
        self.client()
            .post(format!("{}/login", self.base_url))
            .header(reqwest::header::ORIGIN, &self.base_url)
            .form(&[("email", email)])
            .send()
            .await
            .expect("login answered")
    }

    /// Presses the button on the page of the sign-in `link` (a path, as in the mail).
    pub async fn press_sign_in(&self, link: &str) -> reqwest::Response {
        let token_path = link.split('?').next().expect("a path");
        self.client()
            .post(format!("{}{token_path}", self.base_url))
            .header(reqwest::header::ORIGIN, &self.base_url)
            .form(&[("next", "/")])
            .send()
            .await
            .expect("sign-in answered")
    }

    pub async fn sign_in(&self, smtp: &SmtpServer, email: &str) -> String {
        let asked = self.ask_for_sign_in_link(email).await;
        assert_eq!(asked.status(), 200, "a sign-in link for {email} is sent");
        let mail = smtp.wait_for_message_to(email);
        let response = self.press_sign_in(&link_in(&mail, &self.base_url, "/login/")).await;
        assert_eq!(response.status(), 303, "signed in");
        response.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .expect("a cookie")
            .split(';')
            .next()
            .expect("name=value")
            .to_owned()
    }

    /// Sends SIGTERM and waits for a clean exit, returning the exit code.
    pub fn terminate(mut self) -> i32 {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let code = status.code().unwrap_or(-1);
                if code != 0 {
                    eprintln!("server exited with {status}; its log:\n{}", self.log());
                }
                return code;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed (and reaped) when the test ends, however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every piece of `text` between `start` and the following `end`.
pub fn between_all<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(start) {
        rest = &rest[at + start.len()..];
        match rest.find(end) {
            Some(stop) => {
                found.push(&rest[..stop]);
                rest = &rest[stop..];
            }
            None => break,
        }
    }
    found
}

impl Instance {
    /// Like [`spawn_server`](Instance::spawn_server), with extra `PAPERBOY_*` settings.
    pub fn spawn_server_with(&self, subcommand: &str, settings: &[(&str, &str)]) -> Server {
        let mut command = self.command();
        for (key, value) in settings {
            command.env(key, value);
        }
        Server::start(command, subcommand)
    }
}

/// A real SMTP server process (Python's aiosmtpd) that files every message in a maildir.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port()
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(free_port())
    }

    pub fn start_on(port: u16) -> SmtpServer {
        SmtpServer::start_with("Mailbox", port)
    }

    /// With another handler from `tests/support/smtp_handlers.py` (e.g. `RefusingMailbox`).
    /// The server is aiosmtpd as `tests/support/smtp_server.py` runs it: like Postfix, it keeps
    /// a message whose final `.` has arrived even if the client vanishes before the reply.
    pub fn start_with(handler: &str, port: u16) -> SmtpServer {
        let maildir = tempfile::tempdir().expect("maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.path().join(sub)).expect("maildir subdirectory");
        }
        let child = Command::new("python3")
            .arg(fixture("tests/support/smtp_server.py"))
            .arg(port.to_string())
            .arg(maildir.path())
            .arg(handler)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 tests/support/smtp_server.py starts (pip install aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start; is it installed (pip install aiosmtpd)?"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, port, maildir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        std::fs::read_dir(self.maildir.path().join("new"))
            .expect("maildir")
            .flatten()
            .filter_map(|entry| std::fs::read(entry.path()).ok())
            .collect()
    }

    /// How many messages have arrived so far.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.path().join("new"))
            .expect("maildir")
            .count()
    }

    /// How many messages to `recipient` have arrived, once a moment has passed with none more.
    pub fn settled_count_to(&self, recipient: &str) -> usize {
        let header = format!("To: {recipient}");
        let count = || {
            self.messages()
                .iter()
                .filter(|message| String::from_utf8_lossy(message).contains(&header))
                .count()
        };
        let mut seen = count();
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = count();
            if now == seen {
                return now;
            }
            seen = now;
        }
    }

    /// The decoded text of the first message to `recipient`, waiting for it to arrive.
    pub fn wait_for_message_to(&self, recipient: &str) -> String {
        self.wait_for_message_to_containing(recipient, "")
    }

    /// The decoded text of the first message to `recipient` that contains `needle`, waiting for
    /// it to arrive.
    pub fn wait_for_message_to_containing(&self, recipient: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            for entry in std::fs::read_dir(self.maildir.path().join("new"))
                .expect("maildir")
                .flatten()
            {
                let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let text = decode_quoted_printable(&raw);
                if text
                    .lines()
                    .any(|line| line.starts_with("To:") && line.contains(recipient))
                    && text.contains(needle)
                {
                    return text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no message to {recipient} with {needle:?} arrived"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of the first link in `mail` to `base_url` whose path starts with `prefix`.
pub fn link_in(mail: &str, base_url: &str, prefix: &str) -> String {
    between_all(mail, base_url, "\n")
        .into_iter()
        .find(|rest| rest.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {mail}"))
        .trim()
        .to_owned()
}

/// Undoes quoted-printable (soft line breaks and `=XX`), enough to read links in a message.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'='
            && index + 2 < bytes.len()
            && let Ok(value) = u8::from_str_radix(&joined[index + 1..index + 3], 16)
        {
            out.push(value);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A server with a real SMTP server beside it and one member signed in through the mailed link.
pub struct SignedIn {
    pub smtp: SmtpServer,
    pub instance: Instance,
    pub server: Server,
    /// The session cookie, `name=value`.
    pub cookie: String,
    /// The CSRF value the member's forms carry.
    pub csrf: String,
    /// The member's profile id (`/users/<id>`).
    pub profile: String,
}

impl SignedIn {
    /// Serves `instance` with mail going to a fresh SMTP server, the digest clock off and
    /// `settings` on top, and signs `email` in.
    pub async fn start(instance: Instance, email: &str, settings: &[(&str, &str)]) -> SignedIn {
        let smtp = SmtpServer::start();
        let url = smtp.url();
        let mut all = vec![
            ("PAPERBOY_SMTP_URL", url.as_str()),
            ("PAPERBOY_DIGEST_SCHEDULE", "false"),
        ];
        all.extend_from_slice(settings);
        let server = instance.spawn_server_with("serve", &all);
        let cookie = server.sign_in(&smtp, email).await;
        let mut member = SignedIn {
            smtp,
            instance,
            server,
            cookie,
            csrf: String::new(),
            profile: String::new(),
        };
        let account = member.page("/account").await;
        member.csrf = between_all(&account, "name=\"csrf\" value=\"", "\"")[0].to_owned();
        member.profile = between_all(&account, "href=\"/users/", "\"")[0].to_owned();
        member
    }

    /// Makes a personal API token named `name` on the account page and returns it (it is shown
    /// once).
    pub async fn make_api_token(&self, name: &str) -> String {
        let page = self
            .server
            .client()
            .post(format!("{}/account/tokens", self.server.base_url))
            .header("cookie", &self.cookie)
            .header("origin", &self.server.base_url)
            .form(&[("name", name), ("csrf", &self.csrf)])
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("a page");
        format!("pb_{}", between_all(&page, "pb_", " ")[0])
    }

    /// The page at `path` as the member sees it.
    pub async fn page(&self, path: &str) -> String {
        self.server
            .client()
            .get(format!("{}{path}", self.server.base_url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("a page")
    }
}
