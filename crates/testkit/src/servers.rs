//! Backend servers a test owns (and may stop and start again): PostgreSQL, NATS and Redis as
//! real processes from the machine's packages, on free ports with data in a temporary dir.
//! For outage tests; other tests share the machine's running servers.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct OwnServer {
    pub name: &'static str,
    pub port: u16,
    program: PathBuf,
    args: Vec<String>,
    /// Run as this user (PostgreSQL refuses to run as root).
    user: Option<&'static str>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// A port nothing listens on now, for a process the test starts next. Drawn below the kernel's
/// ephemeral range (32768 and up by default), which outgoing connections and `bind(0)` take
/// their ports from, so nothing else grabs it before that process binds; and never handed out
/// twice by one test binary, whose tests run side by side.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // test binaries run one after another; the offset only keeps apart runs that overlap
    let start = std::process::id().wrapping_mul(397) % COUNT;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(n < COUNT, "no free test port left");
        let port = (FIRST + (start + n) % COUNT) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `name` from PATH or the given directories, or a panic saying what to install.
fn find(name: &str, dirs: &[PathBuf], package: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(dirs.iter().cloned())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is needed for this test: install {package}"))
}

impl OwnServer {
    /// A PostgreSQL cluster of its own (initdb, trust auth for local TCP), user `postgres`.
    pub fn postgres() -> OwnServer {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
            .unwrap_or_default();
        versions.sort();
        versions.reverse();
        let initdb = find("initdb", &versions, "postgresql");
        let postgres = initdb.with_file_name("postgres");
        let dir = tempfile::tempdir().expect("temp dir");
        let user = is_root().then_some("postgres");
        if let Some(user) = user {
            let chown = Command::new("chown").args(["-R", user]).arg(dir.path()).status();
            assert!(chown.is_ok_and(|s| s.success()), "chown of the PostgreSQL data dir");
        }
        let data = dir.path().join("data");
        let status = as_user(user, &initdb)
            .args([
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        let port = free_port();
        let args = vec![
            "-D".into(),
            data.to_str().unwrap().into(),
            "-p".into(),
            port.to_string(),
            "-k".into(),
            dir.path().to_str().unwrap().into(),
            "-c".into(),
            "listen_addresses=127.0.0.1".into(),
            "-c".into(),
            "fsync=off".into(),
        ];
        Self::launch("PostgreSQL", postgres, args, user, dir, port)
    }

    /// A NATS server with JetStream (its store in the temp dir, kept across restarts).
    pub fn nats() -> OwnServer {
        let program = find("nats-server", &[], "nats-server");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let args = vec![
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-js".into(),
            "-sd".into(),
            dir.path().to_str().unwrap().into(),
        ];
        Self::launch("NATS", program, args, None, dir, port)
    }

    /// A Redis server that keeps nothing on disk.
    pub fn redis() -> OwnServer {
        let program = find("redis-server", &[], "redis-server");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let args = vec![
            "--bind".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
            "--dir".into(),
            dir.path().to_str().unwrap().into(),
        ];
        Self::launch("Redis", program, args, None, dir, port)
    }

    fn launch(
        name: &'static str,
        program: PathBuf,
        args: Vec<String>,
        user: Option<&'static str>,
        dir: tempfile::TempDir,
        port: u16,
    ) -> OwnServer {
        let mut server = OwnServer {
            name,
            port,
            program,
            args,
            user,
            dir,
            child: None,
        };
        server.start();
        server
    }

    /// nginx in a prefix of its own, listening on `127.0.0.1:<port>`: `http` is the content of
    /// its `http {}` block, given the port; `files` (path relative to the prefix, content) are
    /// what it includes. Workers run as the test's user so they can read the test's files.
    pub fn nginx(files: &[(String, String)], http: impl FnOnce(u16) -> String) -> OwnServer {
        let program = find("nginx", &[PathBuf::from("/usr/sbin")], "nginx");
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, content) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).expect("nginx include dir");
            std::fs::write(path, content).expect("writing an nginx include");
        }
        let port = free_port();
        let prefix = dir.path().display().to_string();
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n    access_log {prefix}/access.log;\n    client_body_temp_path {prefix}/body;\n    \
             proxy_temp_path {prefix}/proxy;\n    fastcgi_temp_path {prefix}/fastcgi;\n    \
             uwsgi_temp_path {prefix}/uwsgi;\n    scgi_temp_path {prefix}/scgi;\n{}\n}}\n",
            http(port)
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("writing nginx.conf");
        let test = Command::new(&program)
            .args(["-t", "-q", "-p", &prefix, "-c"])
            .arg(&conf_path)
            .output()
            .expect("nginx -t runs");
        assert!(
            test.status.success(),
            "nginx refuses the configuration: {}",
            String::from_utf8_lossy(&test.stderr)
        );
        let args = vec![
            "-p".into(),
            prefix,
            "-c".into(),
            conf_path.display().to_string(),
            "-g".into(),
            "daemon off;".into(),
        ];
        let mut server = OwnServer {
            name: "nginx",
            port,
            program,
            args,
            user: None,
            dir,
            child: None,
        };
        server.start();
        server
    }

    /// What nginx logged (errors and warnings).
    pub fn error_log(&self) -> String {
        self.file("error.log")
    }

    /// A file the server wrote in its directory (nginx's prefix), empty when there is none.
    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// Starts the server (again, on the same port and data) and waits until it accepts
    /// connections.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} is running", self.name);
        let log = std::fs::File::create(self.dir.path().join(format!("{}.log", self.name))).expect("log file");
        let child = as_user(self.user, &self.program)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.name));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "{} did not start", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server and waits for it to exit (a fast shutdown: connections are cut).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// `scheme://host:port` for clients.
    pub fn url(&self) -> String {
        match self.name {
            "PostgreSQL" => format!("postgres://postgres@127.0.0.1:{}/postgres", self.port),
            "NATS" => format!("nats://127.0.0.1:{}", self.port),
            "nginx" => format!("http://127.0.0.1:{}", self.port),
            _ => format!("redis://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A command run as `user` when given (setpriv execs in place, so signals reach the server).
fn as_user(user: Option<&str>, program: &std::path::Path) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("setpriv");
            command
                .args(["--reuid", user, "--regid", user, "--init-groups", "--"])
                .arg(program);
            command
        }
        None => Command::new(program),
    }
}
