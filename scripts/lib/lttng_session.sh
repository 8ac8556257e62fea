# SPDX-License-Identifier: MIT
# lttng_session.sh — a private LTTng-UST session for one script run: its own
# lttng-sessiond, a session recording hmap:* (docs/tracing-stack.md, LTTng),
# and nothing left behind.  Sourced (POSIX sh; bash too), not run.  Used by
# scripts/demo.sh and by the tests that record with LTTng; it lives here and
# not in tests/ so that scripts/ never reaches into tests/.
#
# Safety, whatever the caller does:
#   - as root, the daemon is a root lttng-sessiond that only ever sees a
#     private mount namespace (lttng_session_enter_ns or
#     lttng_session_unshare): tmpfs over
#     /var/run/lttng (its run directory) and /dev/shm (its and the apps'
#     buffers), LTTNG_HOME=/var/run/lttng.  A system session daemon is
#     neither seen nor disturbed, and two runs at once each have their own.
#     lttng_daemon_start refuses to mount anything outside such a namespace;
#   - not root, a per-user daemon with a fresh LTTNG_HOME from mktemp;
#   - the daemon is stopped by its own pid, never by name, and waited for;
#     `lttng destroy -a` can only reach the private daemon's sessions.
#
# Typical use (a test):
#   . "$src/scripts/lib/lttng_session.sh"
#   lttng_session_require babeltrace2          # SKIPPED (exit 77) if not
#   lttng_session_enter_ns MY_TEST_INNER "$0" "$@"
#   trap lttng_daemon_stop EXIT
#   lttng_daemon_start
#   lttng_session_start mytest "$work/ctf"
#   LTTNG_UST_REGISTER_TIMEOUT=-1 HMAP_LTTNG=1 ./app
#   lttng_session_stop                          # the trace is complete
#   lttng_daemon_stop

LTTNG_DAEMON_PID=
LTTNG_SESSION_NAME=
lttng_private_home_=

# Prints why a private session cannot run here and returns 0, or returns 1
# when it can: lttng and lttng-sessiond installed (and unshare, as root),
# plus every TOOL named.
lttng_session_why_not() { # [TOOL...]
    for t in lttng lttng-sessiond "$@"; do
        command -v "$t" >/dev/null || { echo "$t not installed"; return 0; }
    done
    if [ "$(id -u)" = 0 ] && ! command -v unshare >/dev/null; then
        echo "unshare not installed"
        return 0
    fi
    return 1
}

# For tests: a root session in a private mount namespace, or say SKIPPED
# with the reason and exit 77 (ctest's SKIP_RETURN_CODE).
lttng_session_require() { # [TOOL...]
    [ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (root lttng-sessiond in a private mount namespace)"; exit 77; }
    if lttng_session_why_not_=$(lttng_session_why_not "$@"); then
        echo "SKIPPED: $lttng_session_why_not_"
        exit 77
    fi
}

# Unless the environment variable GUARD is 1, re-executes COMMAND (the
# script itself: "$0" "$@") with GUARD=1 in a new private mount namespace;
# returns at once when GUARD is already 1.  Does nothing when not root: a
# per-user daemon needs no namespace.
lttng_session_enter_ns() { # GUARD COMMAND [ARG...]
    lttng_guard_=$1
    shift
    lttng_guard_value_=
    eval "lttng_guard_value_=\${$lttng_guard_:-}"
    if [ "$lttng_guard_value_" = 1 ] || [ "$(id -u)" != 0 ]; then return 0; fi
    eval "$lttng_guard_=1; export $lttng_guard_"
    LTTNG_SESSION_OUTER_NS=$(readlink /proc/self/ns/mnt) || return 1
    export LTTNG_SESSION_OUTER_NS
    exec unshare -m --propagation private "$@"
}

# Runs COMMAND in a new private mount namespace and returns its status: for
# a part of a script (sh -c '...' sourcing this file again).
lttng_session_unshare() { # COMMAND [ARG...]
    LTTNG_SESSION_OUTER_NS=$(readlink /proc/self/ns/mnt) || return 1
    LTTNG_SESSION_OUTER_NS=$LTTNG_SESSION_OUTER_NS unshare -m --propagation private "$@"
}

# True in a mount namespace made by lttng_session_enter_ns or
# lttng_session_unshare, so that mounts here stay here.  (Comparing with
# init's namespace is not enough: in a container /proc/1 may be unreadable.)
lttng_in_private_ns_() {
    lttng_ns_=$(readlink /proc/self/ns/mnt) &&
        [ -n "${LTTNG_SESSION_OUTER_NS:-}" ] && [ "$lttng_ns_" != "$LTTNG_SESSION_OUTER_NS" ]
}

# Starts the private session daemon and sets LTTNG_DAEMON_PID.  As root:
# only inside a private mount namespace.  Not root: LTTNG_HOME is a new
# directory under PARENT (default $TMPDIR or /tmp), removed by
# lttng_daemon_stop.
lttng_daemon_start() { # [PARENT]
    if [ "$(id -u)" = 0 ]; then
        lttng_in_private_ns_ || {
            echo "lttng_session.sh: not in a private mount namespace (lttng_session_enter_ns): refusing to mount over /var/run/lttng" >&2
            return 1
        }
        mount -t tmpfs none /var/run/lttng 2>/dev/null ||
            { mkdir -p /var/run/lttng && mount -t tmpfs none /var/run/lttng; } || return 1
        mount -t tmpfs none /dev/shm || return 1
        export LTTNG_HOME=/var/run/lttng
        lttng-sessiond --daemonize --no-kernel || return 1
        LTTNG_DAEMON_PID=$(cat /var/run/lttng/lttng-sessiond.pid) || return 1
    else
        lttng_private_home_=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/lttng-home.XXXXXX") || return 1
        export LTTNG_HOME="$lttng_private_home_"
        lttng-sessiond --daemonize --no-kernel || return 1
        LTTNG_DAEMON_PID=$(cat "$LTTNG_HOME/.lttng/lttng-sessiond.pid") || return 1
    fi
}

# Creates session NAME writing its CTF trace to OUTPUT, with one user-space
# channel "ch" and starts it.  Options:
#   --subbuf-size=SIZE   sub-buffer size (default 1M), --num-subbuf=N (8)
#   --blocking           apps wait for room instead of discarding (also
#                        needs LTTNG_UST_ALLOW_BLOCKING=1 in the app)
#   --event=PATTERN      events to enable, repeatable (default hmap:*)
#   --no-ids             no vpid/vtid context (by default every event
#                        carries them, as the analyzer needs)
lttng_session_start() { # NAME OUTPUT [OPTION...]
    LTTNG_SESSION_NAME=$1
    lttng_output_=$2
    shift 2
    lttng_subbuf_=1M lttng_nsubbuf_=8 lttng_blocking_='' lttng_events_='' lttng_ids_=1
    for o in "$@"; do
        case $o in
        --subbuf-size=*) lttng_subbuf_=${o#*=} ;;
        --num-subbuf=*) lttng_nsubbuf_=${o#*=} ;;
        --blocking) lttng_blocking_=--blocking-timeout=inf ;;
        --event=*) lttng_events_="$lttng_events_ ${o#*=}" ;;
        --no-ids) lttng_ids_= ;;
        *) echo "lttng_session_start: unknown option $o" >&2; return 2 ;;
        esac
    done
    [ -n "$lttng_events_" ] || lttng_events_='hmap:*'
    lttng create "$LTTNG_SESSION_NAME" --output="$lttng_output_" >/dev/null || return 1
    # shellcheck disable=SC2086 # $lttng_blocking_ is one option or nothing
    lttng enable-channel -u --subbuf-size="$lttng_subbuf_" --num-subbuf="$lttng_nsubbuf_" \
        $lttng_blocking_ ch >/dev/null || return 1
    set -f # the patterns are LTTng's, not the shell's
    for e in $lttng_events_; do
        lttng enable-event -u -c ch "$e" >/dev/null || { set +f; return 1; }
    done
    set +f
    if [ -n "$lttng_ids_" ]; then
        lttng add-context -u -t vpid -t vtid >/dev/null || return 1
    fi
    lttng start >/dev/null
}

# Stops and destroys the session: its trace is complete on disk after this.
lttng_session_stop() {
    lttng stop "$LTTNG_SESSION_NAME" >/dev/null || return 1
    lttng destroy "$LTTNG_SESSION_NAME" >/dev/null || return 1
    LTTNG_SESSION_NAME=
}

# Destroys whatever sessions the private daemon still has, stops it by its
# pid and waits (up to 10 s) until it is gone; removes a per-user LTTNG_HOME.
# Safe to call twice and when nothing was started: made for EXIT traps.
lttng_daemon_stop() {
    if [ -n "$LTTNG_DAEMON_PID" ]; then
        lttng destroy -a >/dev/null 2>&1 || true
        kill "$LTTNG_DAEMON_PID" 2>/dev/null || true
        lttng_wait_=0
        while kill -0 "$LTTNG_DAEMON_PID" 2>/dev/null && [ $lttng_wait_ -lt 100 ]; do
            sleep 0.1
            lttng_wait_=$((lttng_wait_ + 1))
        done
        LTTNG_DAEMON_PID=
    fi
    if [ -n "$lttng_private_home_" ]; then
        rm -rf "$lttng_private_home_"
        lttng_private_home_=
    fi
}
