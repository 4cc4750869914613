#!/usr/bin/env bash
# Puts the lab back to its base state after configure.sh (and after an agent apply of
# the imported repo): no site, Debian's stock haproxy.cfg, no CIB objects but the base ones.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lab="$here/../lab"
"$lab" exec ha1 /bin/sh -c '
  for c in vip-prefers-ha1 haproxy-with-vip vip-then-haproxy; do cibadmin -D -o constraints -X "<rsc_location id=\"$c\"/>" 2>/dev/null; cibadmin -D -o constraints -X "<rsc_colocation id=\"$c\"/>" 2>/dev/null; cibadmin -D -o constraints -X "<rsc_order id=\"$c\"/>" 2>/dev/null; done
  crm_resource -r haproxy -m -p target-role -v Stopped >/dev/null 2>&1
  crm_resource -r vip -m -p target-role -v Stopped >/dev/null 2>&1
  for i in $(seq 1 40); do crm_mon -1 2>/dev/null | grep -Eq "(vip|haproxy).*Started" || break; sleep 0.25; done
  cibadmin -D -o resources -X "<primitive id=\"haproxy\"/>" 2>/dev/null
  cibadmin -D -o resources -X "<primitive id=\"vip\"/>" 2>/dev/null
  crm_attribute -t rsc_defaults -n resource-stickiness -D >/dev/null 2>&1
  true'
for h in ha1 ha2; do
    "$lab" exec "$h" /bin/sh -c 'if [ -e /etc/haproxy/haproxy.cfg.lab-base ]; then mv /etc/haproxy/haproxy.cfg.lab-base /etc/haproxy/haproxy.cfg; fi; rm -f /etc/haproxy/haproxy.cfg.agent-prev; true'
done
"$lab" exec gw /bin/sh -c 'rm -f /etc/apache2/sites-enabled/apps.conf* /etc/apache2/sites-available/apps.conf; rm -rf /etc/apache2/snippets; a2dismod -q -f rewrite headers proxy_http proxy ssl >/dev/null 2>&1; apache2ctl graceful 2>/dev/null; true'
