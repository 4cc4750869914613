//! The rendered gateway site served by a real Apache, unmodified, in a
//! private mount, PID and network namespace: a copy of /etc/apache2 with
//! only this site and its modules enabled, a throw-away certificate at the
//! site's TLS paths (a tmpfs over /etc/ssl in that namespace only), and a
//! stand-in upstream on the VIP address (10.77.0.100 on the namespace's
//! loopback) that echoes what it received.
//!
//! What `apache2ctl -t` cannot show: that the redirects, the forwarded
//! headers, the Location edit, the cache rule and the routes behave as the
//! sample repo's comments say. Needs root, unshare, apache2, openssl, curl
//! and python3; a counted skip (`test_skip`) otherwise.

use agent::localcheck::find_tool;
use agent::render::render;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const UPSTREAM: &str = r#"
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://apps.lab/app/next")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        h = self.headers
        body = "path=%s host=%s proto=%s port=%s\n" % (self.path, h.get("Host"),
            h.get("X-Forwarded-Proto"), h.get("X-Forwarded-Port"))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *a):
        pass
http.server.HTTPServer(("10.77.0.100", 80), H).serve_forever()
"#;

const SCRIPT: &str = r#"
set -eu
mount -t tmpfs tmpfs /run
mount -t proc proc /proc
ip link set lo up
ip addr add 10.77.0.100/32 dev lo
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=apps.lab -keyout "$T/gw.key" -out "$T/gw.crt" 2>/dev/null
mount -t tmpfs tmpfs /etc/ssl
mkdir -p /etc/ssl/lab
cp "$T/gw.key" "$T/gw.crt" /etc/ssl/lab/
cp -a /etc/apache2 "$T/apache2"
rm -f "$T/apache2/sites-enabled/"*
cp "$SITE" "$T/apache2/sites-enabled/"
mkdir -p "$T/run/socks" "$T/lock" "$T/log"
printf 'export APACHE_RUN_DIR=%s/run\nexport APACHE_PID_FILE=%s/run/apache2.pid\nexport APACHE_LOCK_DIR=%s/lock\nexport APACHE_LOG_DIR=%s/log\n' \
  "$T" "$T" "$T" "$T" >> "$T/apache2/envvars"
# The host's own ports.conf (not the rendered site): listen on loopback only,
# so the stand-in upstream can have port 80 of the VIP address.
sed -i 's/Listen 80$/Listen 127.0.0.1:80/; s/Listen 443$/Listen 127.0.0.1:443/' "$T/apache2/ports.conf"
export APACHE_CONFDIR="$T/apache2"
a2enmod -q $MODULES >/dev/null
"$PY" "$T/upstream.py" &
apache2ctl start 2>/dev/null
i=0; until curl -s -o /dev/null http://127.0.0.1/ || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done
i=0; until curl -s -o /dev/null http://10.77.0.100/ || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done
set +e
R="--resolve apps.lab:443:127.0.0.1 --resolve apps.lab:80:127.0.0.1 --resolve gw.lab:443:127.0.0.1"
echo "plain=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' $R http://apps.lab/app/x)"
echo "root=$(curl -sk -o /dev/null -w '%{http_code} %{redirect_url}' $R https://apps.lab/)"
echo "app=$(curl -sk $R https://apps.lab/app/hello)"
echo "alias=$(curl -sk $R https://gw.lab/auth/realms)"
echo "location=$(curl -sk -o /dev/null -w '%{http_code} %header{location}' $R https://apps.lab/app/redirect)"
echo "cache=$(curl -sk -o /dev/null -w '%header{cache-control}' $R https://apps.lab/app/site.css)"
echo "nocache=$(curl -sk -o /dev/null -w '%header{cache-control}' $R https://apps.lab/app/page)"
apache2ctl stop
"#;

fn python() -> Option<std::path::PathBuf> {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

#[test]
fn sample_gateway_site_behaves_as_documented() {
    let root = Command::new("id").arg("-u").output().unwrap();
    let tools = ["unshare", "apache2ctl", "a2enmod", "openssl", "curl", "ip"];
    if String::from_utf8_lossy(&root.stdout).trim() != "0"
        || tools.iter().any(|t| find_tool(t).is_none())
        || python().is_none()
        || !Path::new("/etc/apache2/apache2.conf").exists()
    {
        test_skip::skip!(
            "needs root, python3, /etc/apache2 and {} (bash tests/setup)",
            tools.join(", ")
        );
    }
    let r = render(&agent_tests::sample::load_sample().state).unwrap();
    let site = r.files.iter().find(|f| f.host == "gw").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let site_path = dir.path().join("agent-apps.conf");
    std::fs::write(&site_path, &site.content).unwrap();
    std::fs::write(dir.path().join("upstream.py"), UPSTREAM).unwrap();
    let out = Command::new("unshare")
        .args([
            "--mount",
            "--pid",
            "--net",
            "--fork",
            "--propagation",
            "private",
        ])
        .args(["sh", "-c", SCRIPT])
        .env("T", dir.path())
        .env("SITE", &site_path)
        .env("MODULES", site.modules.join(" "))
        .env("PY", python().unwrap())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let got: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    let expect = [
        // redirectHttp: every plain-HTTP request goes to the same path on the HTTPS site.
        ("plain", "301 https://apps.lab/app/x"),
        // RedirectMatch ^/$ → /app/
        ("root", "302 https://apps.lab/app/"),
        // ProxyPreserveHost + X-Forwarded-Proto/Port, path kept.
        ("app", "path=/app/hello host=apps.lab proto=https port=443"),
        // ServerAlias and the /auth route.
        (
            "alias",
            "path=/auth/realms host=gw.lab proto=https port=443",
        ),
        // The Location edit turns the upstream's http:// redirect into https://.
        ("location", "302 https://apps.lab/app/next"),
        ("cache", "public, max-age=86400"),
        ("nocache", ""),
    ];
    for (k, v) in expect {
        assert_eq!(got.get(k).copied(), Some(v), "{k}; whole output:\n{text}");
    }
}
