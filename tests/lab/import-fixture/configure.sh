#!/usr/bin/env bash
# Configures the lab's platform BY HAND, as a team would have before adopting the agent:
# the files of this directory (comments, an Include with CRLF lines, <IfModule>, a
# <Location>, RewriteRule [P], ProxyPass routes; haproxy.cfg with default-server, ACLs
# and use_backend, a stats page with a password, an extra `listen`; a CIB with its own
# ids and a location rule), written with `lab exec`, not with the agent. Waits until
# https://apps.lab/app/ answers through gw → VIP → HAProxy → a worker.
# Used by tests/tests/import_lab.rs and bench/import.sh; undo with restore.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lab="$here/../lab"
put() { # HOST PATH FILE
    "$lab" exec "$1" /bin/sh -c "mkdir -p \"\$(dirname '$2')\" && cat > '$2'" < "$3"
}
put gw /etc/apache2/snippets/forwarded.conf "$here/forwarded.conf"
put gw /etc/apache2/sites-available/apps.conf "$here/apps.conf"
"$lab" exec gw /bin/sh -c 'a2enmod -q ssl proxy proxy_http headers rewrite >/dev/null && a2ensite -q apps >/dev/null && apache2ctl -t 2>/dev/null && apache2ctl graceful'
for h in ha1 ha2; do
    "$lab" exec "$h" /bin/sh -c '[ -e /etc/haproxy/haproxy.cfg.lab-base ] || cp -p /etc/haproxy/haproxy.cfg /etc/haproxy/haproxy.cfg.lab-base'
    put "$h" /etc/haproxy/haproxy.cfg "$here/haproxy.cfg"
    "$lab" exec "$h" haproxy -c -q -f /etc/haproxy/haproxy.cfg
done
put ha1 /tmp/resources.xml "$here/resources.xml"
put ha1 /tmp/constraints.xml "$here/constraints.xml"
"$lab" exec ha1 /bin/sh -c 'cibadmin -R -o resources -x /tmp/resources.xml && cibadmin -R -o constraints -x /tmp/constraints.xml && crm_attribute -t rsc_defaults -n resource-stickiness -v 100'
for _ in $(seq 1 80); do
    if curl -sk -m 2 -o /dev/null -w '%{http_code}' --resolve apps.lab:443:10.77.0.10 https://apps.lab/app/ | grep -q 200; then
        exit 0
    fi
    sleep 0.5
done
echo "configure.sh: the hand-built platform never served https://apps.lab/app/" >&2
exit 1
