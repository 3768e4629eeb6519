//! A PostgreSQL server of the test's own: a fresh cluster in a temporary directory on a free
//! loopback port, made with the machine's `initdb`. Tests that stop the database hard
//! (`pg_ctl stop -m immediate`, what `pg_ctlcluster … stop -m immediate` does) use it, so the
//! shared server every other test runs on never goes down under them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::free_port;

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

/// The newest installed PostgreSQL's programs: `pg_config --bindir`, else Debian's layout.
fn bin_dir() -> Option<PathBuf> {
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.join("initdb").exists());
    from_config.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// A running cluster with an empty database `dateline`, or `None` (the test is skipped, as
    /// every PostgreSQL test is) when DATELINE_TEST_POSTGRES is not set.
    pub fn start() -> Option<PrivatePostgres> {
        if std::env::var("DATELINE_TEST_POSTGRES").is_err() {
            eprintln!("skipped: set DATELINE_TEST_POSTGRES to run this on PostgreSQL");
            return None;
        }
        let bin = bin_dir().expect("PostgreSQL's initdb and pg_ctl (Debian: postgresql)");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pg = PrivatePostgres {
            dir,
            bin,
            port: free_port(),
        };
        if is_root() {
            // PostgreSQL refuses to run as root; its own account owns the cluster.
            let owner = Command::new("chown")
                .args(["postgres:postgres", &pg.dir.path().display().to_string()])
                .status()
                .expect("chown");
            assert!(owner.success(), "the postgres account owns the cluster");
        }
        let data = pg.data().display().to_string();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        pg.up();
        let port = pg.port.to_string();
        pg.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "dateline"],
        );
        Some(pg)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/dateline", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) {
        let status = self.command(program, args).status().expect(program);
        assert!(status.success(), "{program} {args:?} failed");
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdout(std::process::Stdio::null());
        cmd
    }

    /// Starts the server and waits until it accepts connections.
    pub fn up(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.path().display()
        );
        let data = self.data().display().to_string();
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// Stops the server the hard way: every process ends at once, without a checkpoint, as at
    /// a power cut. The next start recovers from the write-ahead log.
    pub fn stop_immediately(&self) {
        let data = self.data().display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}
