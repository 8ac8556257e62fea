#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Go toolchains for the Go-binary tests (docs/go.md, "Set-up"): golang-1.19
# comes from Debian 12's main suite; 1.21, 1.22 and 1.23 only from
# bookworm-backports of the same archive (docs/go-binaries.md §1).  The
# backports suite is added by reusing the URIs and signing key of the Debian
# entry already configured here, so no archive host is ever named by the
# project.  A version that cannot be had is reported, never fatal: its tests
# say SKIPPED and why.  Sourced by scripts/deps.sh as root.
set -uo pipefail

go_backports_list=/etc/apt/sources.list.d/bucketscope-backports.sources

# The "URIs:" and "Signed-By:" of the first deb822 entry whose suites include
# bookworm, else the URI of the first "deb URI bookworm" line of sources.list.
go_debian_source() {
  local f uris="" key=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # deb822 stanzas are separated by blank lines.
    read -r uris key < <(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ {
        u=""; k=""; n=split($0, L, "\n");
        for (i=1;i<=n;i++) { if (L[i] ~ /^URIs:/) {sub(/^URIs:[ \t]*/,"",L[i]); u=L[i]}
                            if (L[i] ~ /^Signed-By:/) {sub(/^Signed-By:[ \t]*/,"",L[i]); k=L[i]} }
        if (u != "") { print u, k; exit } }' "$f")
    [ -n "$uris" ] && break
  done
  if [ -z "$uris" ] && [ -r /etc/apt/sources.list ]; then
    uris=$(awk '$1=="deb" && $0 ~ / bookworm( |$)/ { for (i=2;i<=NF;i++) if ($i ~ /:\/\//) {print $i; exit} }' /etc/apt/sources.list)
  fi
  [ -n "$uris" ] || return 1
  printf '%s\n%s\n' "$uris" "$key"
}

go_add_backports() {
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
  local src uris key
  src=$(go_debian_source) || { echo "deps: no Debian bookworm source configured: cannot add bookworm-backports" >&2; return 1; }
  uris=$(sed -n 1p <<<"$src")
  key=$(sed -n 2p <<<"$src")
  {
    echo "# Added by bucketscope scripts/deps.sh: Go 1.21-1.23 for the Go-binary tests."
    echo "Types: deb"
    echo "URIs: $uris"
    echo "Suites: bookworm-backports"
    echo "Components: main"
    [ -n "$key" ] && echo "Signed-By: $key"
  } >"$go_backports_list"
  echo "deps: added bookworm-backports from the configured source ($uris)"
  apt-get update -qq || { echo "deps: apt-get update failed after adding bookworm-backports" >&2; return 1; }
}

go_toolchains() {
  local v have=() missing=()
  for v in 1.21 1.22 1.23; do
    if [ -x /usr/lib/go-$v/bin/go ]; then have+=("$v"); else missing+=("$v"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "deps: Go ${missing[*]} missing (bookworm-backports); their Go-binary tests will be SKIPPED" >&2
    return 0
  fi
  go_add_backports || { echo "deps: Go ${missing[*]} unavailable: their Go-binary tests will be SKIPPED" >&2; return 0; }
  for v in "${missing[@]}"; do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         -t bookworm-backports "golang-$v-go" >/dev/null; then
      echo "deps: installed golang-$v-go from bookworm-backports"
    else
      echo "deps: golang-$v-go cannot be installed from bookworm-backports: Go $v tests will be SKIPPED" >&2
    fi
  done
}
