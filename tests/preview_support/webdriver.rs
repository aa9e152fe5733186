//! A minimal WebDriver client (W3C protocol, JSON over HTTP) for the browser tests: Chromium
//! driven headless through `chromedriver`, spoken to with ureq, which the workspace already
//! has. A WebDriver crate (fantoccini, thirtyfour) would bring tokio and a hundred crates for
//! the six commands used here.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Chromium and its driver, when this machine has both.
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

impl Browser {
    /// Finds Chromium and chromedriver (`STIMPACK_CHROMIUM` / `STIMPACK_CHROMEDRIVER`, else on
    /// `PATH`); when either is missing, says so loudly on stderr and returns `None`.
    pub fn find(test: &str) -> Option<Browser> {
        let from_env = |var: &str| std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_file());
        let chromium = from_env("STIMPACK_CHROMIUM").or_else(|| {
            on_path(&[
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ])
        });
        let chromedriver = from_env("STIMPACK_CHROMEDRIVER").or_else(|| on_path(&["chromedriver"]));
        match (chromium, chromedriver) {
            (Some(chromium), Some(chromedriver)) => Some(Browser {
                chromium,
                chromedriver,
            }),
            (chromium, driver) => {
                // Straight to stderr: the test harness captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED browser test `{test}`: {} not found. Install them (Debian: \
                     `apt-get install chromium chromium-driver`; `.ci/run` does) or set \
                     STIMPACK_CHROMIUM and STIMPACK_CHROMEDRIVER. ***\n",
                    match (chromium.is_none(), driver.is_none()) {
                        (true, true) => "chromium and chromedriver",
                        (true, false) => "chromium",
                        _ => "chromedriver",
                    }
                );
                None
            }
        }
    }
}

/// A headless Chromium session, closed (and its driver stopped) when dropped.
pub struct Session {
    driver: Child,
    base: String,
    id: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Session {
    /// Starts chromedriver and a headless Chromium that may play media without a gesture.
    pub fn start(browser: &Browser) -> Session {
        let port = free_port();
        let driver = Command::new(&browser.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let profile = tempfile::tempdir().unwrap();
        let mut session = Session {
            driver,
            base,
            id: String::new(),
            agent,
            _profile: profile,
        };
        let started = Instant::now();
        loop {
            if let Ok(status) = session.call("GET", "/status", None) {
                if status["ready"] == true {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--autoplay-policy=no-user-gesture-required".to_string(),
            "--mute-audio".to_string(),
            "--window-size=1600,1000".to_string(),
            format!("--user-data-dir={}", session._profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": browser.chromium, "args": args}
        }}});
        let created = session.call("POST", "/session", Some(caps)).expect("a session");
        session.id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        session
    }

    /// One WebDriver command; `Err` with the driver's message when it fails.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let answer = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut answer = answer.map_err(|e| e.to_string())?;
        let ok = answer.status().is_success();
        let text = answer.body_mut().read_to_string().map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        let value = value.get("value").cloned().unwrap_or(value);
        if ok { Ok(value) } else { Err(value.to_string()) }
    }

    fn session(&self, path: &str) -> String {
        format!("/session/{}{path}", self.id)
    }

    /// Loads a page.
    pub fn goto(&self, url: &str) {
        self.call("POST", &self.session("/url"), Some(json!({"url": url})))
            .expect("navigates");
    }

    /// Runs a script (a function body; `arguments` are `args`) and returns its value.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            &self.session("/execute/sync"),
            Some(json!({"script": script, "args": args})),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Clicks the first element matching a CSS selector, as a user would.
    pub fn click(&self, css: &str) {
        let found = self
            .call(
                "POST",
                &self.session("/element"),
                Some(json!({"using": "css selector", "value": css})),
            )
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an element id")
            .to_string();
        self.call("POST", &self.session(&format!("/element/{id}/click")), None)
            .expect("clicks");
    }

    /// Presses and releases a key (`"3"`, `" "`, or a WebDriver key code such as `"\u{E015}"`).
    pub fn key(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}
        ]}]});
        self.call("POST", &self.session("/actions"), Some(actions))
            .expect("keys");
    }

    /// Polls a script until it returns `true`, for at most `limit`.
    pub fn wait_for(&self, script: &str, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self.js(script, json!([])) == true {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.call("DELETE", &self.session(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
