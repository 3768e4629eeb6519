//! The reverse-proxy example of `docs/deploy.md`, run as written: Debian's nginx on loopback
//! with a self-signed certificate, using `docs/deploy/nginx-site.conf` itself (ports and
//! certificate paths swapped), in front of two instances on one PostgreSQL database.
//! Requests go to both, editors sign in over HTTPS, and forwarded headers are believed only
//! from the proxy.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use dateline_storage::testdb::TestDatabase;

use crate::resilience::url_text;
use crate::support::PASSWORD;
use crate::support::client::field_value;
use crate::support::process::{
    Server, editor_with_token, free_port, status_of, wait_for, wait_for_ok,
};

const SITE: &str = include_str!("../../docs/deploy/nginx-site.conf");
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// nginx, or `None` when it is not installed and the run does not require it.
fn nginx() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("DATELINE_TEST_NGINX").as_deref() != Ok("required"),
            "nginx is required here (apt-get install nginx)"
        );
        eprintln!("skipped: nginx is not installed (apt-get install nginx)");
    }
    found
}

/// A self-signed certificate for `localhost`, made with the openssl command line.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(made.success());
    (cert, key)
}

/// nginx running in the foreground; stopped (workers too) when dropped, even after a failure.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers; SIGKILL would leave them behind.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// Starts nginx with the documented site, its ports and paths swapped for the test's.
fn start_nginx(bin: &Path, dir: &Path, ports: [u16; 4], tls: &(PathBuf, PathBuf)) -> Nginx {
    let [http, https, a, b] = ports;
    let site = SITE
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{a}"))
        .replace("127.0.0.1:8082", &format!("127.0.0.1:{b}"))
        .replace(
            "/etc/dateline/tls/fullchain.pem",
            &tls.0.display().to_string(),
        )
        .replace(
            "/etc/dateline/tls/privkey.pem",
            &tls.1.display().to_string(),
        );
    assert!(
        site.contains(&format!("127.0.0.1:{a}")),
        "the documented upstreams moved"
    );
    let d = dir.display();
    let conf = format!(
        "daemon off;\nuser root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log;\n\
         events {{ worker_connections 128; }}\n\
         http {{\n access_log {d}/nginx-access.log;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n{site}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let nginx = Nginx(child);
    wait_for("nginx", || {
        std::net::TcpStream::connect(("127.0.0.1", https)).is_ok()
    });
    nginx
}

/// curl over HTTPS to the proxy, trusting the test's certificate; returns the head and body.
fn curl(cert: &Path, jar: &Path, args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-i", "--cacert"])
        .arg(cert)
        .arg("-b")
        .arg(jar)
        .arg("-c")
        .arg(jar)
        .args(args)
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[actix_web::test]
async fn nginx_with_tls_in_front_of_two_instances() {
    let Some(bin) = nginx() else { return };
    let Some(db) = TestDatabase::postgres().unwrap() else {
        eprintln!("skipped: set DATELINE_TEST_POSTGRES to run this on PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url_text(&db.url);
    editor_with_token(dir.path(), &url, "ed@example.com", "write");
    let tls = certificate(dir.path());
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let [http, https, a, b] = ports;
    let public = format!("https://localhost:{https}/");
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("DATELINE_SECRET_KEY", KEY),
        ("DATELINE_PUBLIC_URL", public.as_str()),
        ("DATELINE_TRUSTED_PROXIES", "127.0.0.1"),
        ("DATELINE_METRICS_ALLOW", "127.0.0.1/32"),
    ];
    let instances = [a, b].map(|port| Server::on_port(dir.path(), port, &[], &env));
    wait_for_ok(a, "/healthz/ready");
    wait_for_ok(b, "/healthz/ready");
    let _proxy = start_nginx(&bin, dir.path(), ports, &tls);
    let cert = tls.0.as_path();
    let jar = dir.path().join("cookies.txt");
    let site = |path: &str| format!("https://localhost:{https}{path}");

    // Plain HTTP is sent to HTTPS; HTTPS pages say to stay there.
    let plain = curl(cert, &jar, &[&format!("http://localhost:{http}/")]);
    assert_eq!(status_of(&plain), 301, "{plain}");
    let home = curl(cert, &jar, &[&site("/")]);
    assert_eq!(status_of(&home), 200, "{home}");
    assert!(
        home.to_lowercase().contains("strict-transport-security"),
        "{home}"
    );

    // Both instances serve.
    for _ in 0..6 {
        assert_eq!(status_of(&curl(cert, &jar, &[&site("/robots.txt")])), 200);
    }
    for server in &instances {
        assert!(
            server.log().contains("route=/robots.txt"),
            "{}",
            server.log()
        );
    }

    // An editor signs in over HTTPS: the session cookie is Secure and host-only, and the
    // same-origin check accepts the forwarded scheme.
    let form = curl(cert, &jar, &[&site("/login")]);
    let token = field_value(&form, "csrf_token").expect("a sign-in form");
    let origin = format!("https://localhost:{https}");
    let fields = format!(
        "csrf_token={token}&email=ed%40example.com&password={}",
        PASSWORD.replace(' ', "+")
    );
    let signed_in = curl(
        cert,
        &jar,
        &[
            "-H",
            &format!("Origin: {origin}"),
            "--data",
            &fields,
            &site("/login"),
        ],
    );
    assert_eq!(status_of(&signed_in), 303, "{signed_in}");
    let cookie = signed_in
        .lines()
        .find(|l| {
            l.to_lowercase()
                .starts_with("set-cookie: __host-dateline_session=")
        })
        .unwrap_or_else(|| panic!("{signed_in}"));
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(status_of(&curl(cert, &jar, &[&site("/admin")])), 200);

    // Forwarded headers count only from the proxy. Through it, the client is 127.0.0.2 even
    // when it claims to be 127.0.0.1, so metrics (for 127.0.0.1 alone here) are refused…
    let spoofed = curl(
        cert,
        &jar,
        &[
            "--interface",
            "127.0.0.2",
            "-H",
            "X-Forwarded-For: 127.0.0.1",
            &site("/metrics"),
        ],
    );
    assert_eq!(status_of(&spoofed), 403, "{spoofed}");
    // …while the monitoring host itself reads them from the instance directly.
    let direct = crate::support::process::http_get(a, "/metrics").unwrap();
    assert_eq!(direct.0, 200);
}
