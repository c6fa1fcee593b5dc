#!/bin/sh
# Backfill every sitemap listed in a file (one URL per line, # comments allowed), for cron.
#
#   15 3 * * * cd /var/lib/wirefeed && WIREFEED=/opt/wirefeed/.venv/bin/wirefeed WIREFEED_CONFIG=/etc/wirefeed/wirefeed.toml /opt/wirefeed/scripts/backfill_sitemaps.sh /etc/wirefeed/sitemaps.txt 3d >> /var/log/wirefeed/backfill.log 2>&1
#
# WIREFEED, WIREFEED_CONFIG: see wirefeed_env.sh; the `cd` runs it where scripts/crontab.example does.
#
# Each sitemap is its own resumable run: the same sitemap and window tomorrow resumes that run, skipping
# pages already stored, so a nightly job only fetches what is new. A job killed halfway (reboot, OOM)
# simply continues the next night. Exit status: 0 when every sitemap was read, 1 when one could not be,
# 2 when the script cannot start (no list, no config file, no wirefeed command).
set -u
usage="usage: WIREFEED_CONFIG=FILE [WIREFEED=COMMAND] backfill_sitemaps.sh SITEMAPS.txt [SINCE, default 3d]"
list=${1:?$usage}
since=${2:-3d}
script=backfill_sitemaps.sh
# shellcheck source=scripts/wirefeed_env.sh
. "$(dirname "$0")/wirefeed_env.sh"
check_wirefeed
[ -f "$list" ] || fail "sitemap list not found: $list"
status=0
# `|| [ -n ... ]`: a last line without a newline is a sitemap too.
while read -r sitemap || [ -n "$sitemap" ]; do
    case "$sitemap" in ''|'#'*) continue ;; esac
    # </dev/null: the list stays the loop's input, whatever the command reads.
    "$wirefeed" --config "$config" --log-format json backfill --sitemap "$sitemap" --since "$since" \
        --no-progress </dev/null || status=1
done < "$list"
exit $status
