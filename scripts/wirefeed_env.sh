# Sourced by the backfill scripts: the wirefeed command and config file they run with, checked.
#
# WIREFEED: the wirefeed command (default: `wirefeed` on PATH, which cron's PATH rarely holds).
# WIREFEED_CONFIG: the config file naming the database (required: without it wirefeed would write
# wirefeed.db into whatever directory cron starts in).
# The sourcing script sets `script` (its name, for messages) and `usage` first; `fail` exits with 2.
wirefeed=${WIREFEED:-wirefeed}
config=${WIREFEED_CONFIG:-}
fail() {
    echo "$script: $1" >&2
    exit 2
}
check_wirefeed() {
    [ -n "$config" ] || fail "set WIREFEED_CONFIG to wirefeed's config file (e.g. /etc/wirefeed/wirefeed.toml); $usage"
    [ -f "$config" ] || fail "config file not found: $config (WIREFEED_CONFIG)"
    command -v "$wirefeed" >/dev/null 2>&1 || fail "wirefeed command not found: $wirefeed (set WIREFEED to its path, e.g. /opt/wirefeed/.venv/bin/wirefeed)"
}
