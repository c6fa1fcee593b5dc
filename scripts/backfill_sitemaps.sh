#!/bin/sh
# Backfill every sitemap listed in a file (one URL per line, # comments allowed), for cron.
#
#   15 3 * * * /opt/wirefeed/scripts/backfill_sitemaps.sh /etc/wirefeed/sitemaps.txt 3d >> /var/log/wirefeed/backfill.log 2>&1
#
# Each sitemap is its own resumable run: the same sitemap and window tomorrow resumes that run, skipping
# pages already stored, so a nightly job only fetches what is new. A job killed halfway (reboot, OOM)
# simply continues the next night. Exit status: 0 when every sitemap was read, 1 when one could not be.
set -u
list=${1:?usage: backfill_sitemaps.sh SITEMAPS.txt [SINCE, default 3d]}
since=${2:-3d}
wirefeed=${WIREFEED:-wirefeed}
status=0
while read -r sitemap; do
    case "$sitemap" in ''|'#'*) continue ;; esac
    $wirefeed --log-format json backfill --sitemap "$sitemap" --since "$since" --no-progress || status=1
done < "$list"
exit $status
