#!/bin/sh
# Backfill a directory of WARC files (e.g. CC-NEWS downloads), oldest file name first, without network.
#
#   cd /var/lib/wirefeed && WIREFEED=/opt/wirefeed/.venv/bin/wirefeed WIREFEED_CONFIG=/etc/wirefeed/wirefeed.toml /opt/wirefeed/scripts/backfill_warc.sh /data/cc-news/2024/05
#
# WIREFEED, WIREFEED_CONFIG: see wirefeed_env.sh; the `cd` runs it where scripts/crontab.example does.
#
# Each file is its own resumable run: rerun the script after an interruption and finished files are
# skipped in seconds, the interrupted one continues where it stopped. A damaged file is read up to the
# damaged record (reported with its offset) and the next file goes on. Exit status: 0 when every file
# was read, 1 when one could not be, 2 when the script cannot start (no directory or no WARC file in it,
# no config file, no wirefeed command).
set -u
usage="usage: WIREFEED_CONFIG=FILE [WIREFEED=COMMAND] backfill_warc.sh DIRECTORY"
dir=${1:?$usage}
script=backfill_warc.sh
# shellcheck source=scripts/wirefeed_env.sh
. "$(dirname "$0")/wirefeed_env.sh"
check_wirefeed
[ -d "$dir" ] || fail "not a directory: $dir"
status=0
found=0
# One glob, expanded in name order, .warc and .warc.gz files together; names with spaces stay whole.
for file in "$dir"/*.warc*; do
    case "$file" in *.warc|*.warc.gz) ;; *) continue ;; esac
    [ -f "$file" ] || continue  # the pattern itself when nothing matches
    found=1
    "$wirefeed" --config "$config" backfill --warc "$file" || status=1
done
[ "$found" = 1 ] || fail "no .warc or .warc.gz file in $dir"
exit $status
