#!/bin/sh
# Backfill a directory of WARC files (e.g. CC-NEWS downloads), oldest file name first, without network.
#
#   scripts/backfill_warc.sh /data/cc-news/2024/05
#
# Each file is its own resumable run: rerun the script after an interruption and finished files are
# skipped in seconds, the interrupted one continues where it stopped. A damaged file is read up to the
# damaged record (reported with its offset) and the next file goes on.
set -u
dir=${1:?usage: backfill_warc.sh DIRECTORY}
wirefeed=${WIREFEED:-wirefeed}
status=0
for file in $(ls "$dir"/*.warc.gz "$dir"/*.warc 2>/dev/null | sort); do
    $wirefeed backfill --warc "$file" || status=1
done
exit $status
