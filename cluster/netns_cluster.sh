#!/usr/bin/env bash
# A multi-host cluster on ONE machine, made of Linux network namespaces, for tests of fct's MPI
# code over a real network: ranks on different "hosts" talk TCP across a bridge, never shared
# memory, and a host's link can be cut (`ip link set fct-hI-veth down`) to test failures.
#
#   cluster/netns_cluster.sh up N          make hosts fct-h1..fct-hN (1 <= N <= 244); if the
#                                          cluster is already up with N hosts it says so, with
#                                          another N it is torn down and made again
#   cluster/netns_cluster.sh down          remove everything `up` made; safe to run twice
#   cluster/netns_cluster.sh status        hosts, hostnames, addresses, link state, byte counters;
#                                          exit 1 if no host is up
#   cluster/netns_cluster.sh exec HOST CMD...   run CMD (argv, no shell) inside HOST
#   cluster/netns_cluster.sh hostfile [SLOTS]   an Open MPI hostfile: "fct-hI slots=SLOTS" (1)
#
# Layout (see docs/netns-cluster.md):
#   root namespace:  bridge fctbr0 10.77.0.1/24; veth fct-hI-veth enslaved to it per host;
#                    /etc/hosts gets fct-h1..fct-hN between marker lines that `down` removes
#   host fct-hI:     network namespace fct-hI (`ip netns`, /run/netns/fct-hI) with lo and eth0
#                    10.77.0.(10+I)/24, default route via 10.77.0.1; UTS namespace bind-mounted at
#                    /run/fct-netns/fct-hI.uts with hostname fct-hI; /etc/netns/fct-hI/{hosts,
#                    hostname}, which `ip netns exec` bind-mounts over /etc inside the host
#
# Why each piece: Open MPI decides that two ranks share a node (and may use shared memory) from
# their hostnames, so every host needs its own UTS namespace, i.e. its own hostname; a network
# namespace alone would leave every rank on "the same node". A plain network namespace is not
# persistent for the UTS part, hence the bind-mounted ns file that keeps it alive between
# commands. Name resolution must agree everywhere: mpirun (in the root namespace) and every orted
# resolve fct-hI to the same 10.77.0.x address. The root namespace, reachable from every host
# at 10.77.0.1 (also named fct-gw and by this machine's hostname inside the hosts), is where
# mpirun runs; cluster/netns_rsh is the launcher agent that starts orted inside a host.
#
# Needs root and a kernel that allows network/UTS namespaces, veth and bridges; otherwise it
# exits 77 with one line saying why (tests skip on 77). Processes still running inside a host at
# `down` are sent SIGTERM, then SIGKILL after 3 s, since they would keep its namespace alive.
set -euo pipefail

readonly PREFIX=fct-h                 # host names: fct-h1, fct-h2, ...
readonly BRIDGE=fctbr0
readonly NET=10.77.0                  # the /24 the cluster lives in
readonly GW=$NET.1                    # the bridge's address: the root namespace, seen from hosts
readonly NS_DIR=/run/fct-netns        # UTS namespace files (bind mounts of nsfs)
readonly HOSTS_BEGIN="# >>> fct netns cluster (cluster/netns_cluster.sh up; removed by down) >>>"
readonly HOSTS_END="# <<< fct netns cluster <<<"

die() { echo "netns_cluster: $*" >&2; exit 1; }
skip() { echo "netns_cluster: $*" >&2; exit 77; }

host_addr() { echo "$NET.$((10 + ${1#"$PREFIX"}))"; }
host_veth() { echo "$1-veth"; }       # root end; at most 15 chars ("fct-h244-veth" is 13)
host_uts() { echo "$NS_DIR/$1.uts"; }

# The hosts that exist now, in order (from `ip netns list`: "fct-h1 (id: 0)").
hosts() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}[0-9]+\$" | sort -V || true
}

is_host() { [[ $1 =~ ^${PREFIX}[0-9]+$ && -e /run/netns/$1 ]]; }

# Exit 77 (skip) unless this process can make the namespaces and links `up` needs.
need_root() {
  [[ $(id -u) == 0 ]] || skip "needs root (network namespaces, veth, bridge); running as uid $(id -u)"
  local tool
  for tool in ip unshare nsenter mount umount; do
    command -v "$tool" >/dev/null || skip "'$tool' not found (iproute2 / util-linux)"
  done
}

# Root in a user namespace or a container without CAP_NET_ADMIN passes need_root but not this.
probe_kernel() {
  unshare --net --uts true 2>/dev/null ||
    skip "the kernel or the container refuses new network/UTS namespaces (unshare --net --uts failed)"
  local probe=fctprobe$$
  ip link add "$probe" type bridge 2>/dev/null ||
    skip "cannot create a Linux bridge here (no CAP_NET_ADMIN in this network namespace, or no bridge support)"
  ip link del "$probe"
  ip link add "$probe" type veth peer name "${probe}p" 2>/dev/null ||
    skip "cannot create a veth pair here (no veth support in this kernel)"
  ip link del "$probe"
}

# In place (cat >, not mv): /etc/hosts is often a bind mount in containers, which a rename breaks.
hosts_drop_block() {
  [[ -f /etc/hosts ]] || return 0
  grep -qxF "$HOSTS_BEGIN" /etc/hosts || return 0
  local kept
  kept=$(awk -v b="$HOSTS_BEGIN" -v e="$HOSTS_END" '$0 == b {skip = 1; next} $0 == e {skip = 0; next} !skip' /etc/hosts)
  printf '%s\n' "$kept" >/etc/hosts
}

hosts_lines() {
  local i
  for ((i = 1; i <= $1; i++)); do
    printf '%s\t%s\n' "$(host_addr "$PREFIX$i")" "$PREFIX$i"
  done
}

# Processes still inside a host keep its namespaces alive after `ip netns del`.
kill_host_procs() {
  local h=$1 pids i
  pids=$(ip netns pids "$h" 2>/dev/null | tr '\n' ' ') || pids=
  [[ -n ${pids// /} ]] || return 0
  echo "netns_cluster: $h: stopping processes still inside: $pids" >&2
  # shellcheck disable=SC2086 # one word per pid
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    pids=$(ip netns pids "$h" 2>/dev/null | tr '\n' ' ') || pids=
    [[ -n ${pids// /} ]] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

down() {
  need_root
  local h f
  for h in $(hosts); do
    kill_host_procs "$h"
    # Deleting the root end of a veth deletes its peer (eth0 in the host) too.
    ip link del "$(host_veth "$h")" 2>/dev/null || true
    ip netns del "$h" 2>/dev/null || true
    rm -rf -- "/etc/netns/$h"
  done
  # Leftovers of a half-made `up` (a host namespace that failed before `ip netns add` finished
  # leaves none, but veths and ns files may remain).
  for f in /sys/class/net/"$PREFIX"*-veth; do
    if [[ -e $f ]]; then ip link del "${f##*/}" 2>/dev/null || true; fi
  done
  if [[ -d $NS_DIR ]]; then
    for f in "$NS_DIR"/*.uts; do
      [[ -e $f ]] || continue
      umount "$f" 2>/dev/null || true
      rm -f -- "$f"
    done
    # The directory is a private bind mount of itself (see make_ns_dir).
    if mountpoint -q "$NS_DIR"; then umount "$NS_DIR" 2>/dev/null || true; fi
    rmdir "$NS_DIR" 2>/dev/null || true
  fi
  rmdir /etc/netns 2>/dev/null || true   # only if empty: other tools use it too
  ip link del "$BRIDGE" 2>/dev/null || true
  hosts_drop_block
  echo "netns_cluster: down"
}

# unshare --uts=FILE bind-mounts the namespace onto FILE, which the kernel refuses under a shared
# mount (systemd makes / shared); a private bind mount of the directory onto itself avoids that.
make_ns_dir() {
  mkdir -p "$NS_DIR"
  if ! mountpoint -q "$NS_DIR"; then
    mount --bind "$NS_DIR" "$NS_DIR"
  fi
  mount --make-private "$NS_DIR"
}

# Is the cluster complete with exactly N hosts (everything `up N` makes)?
is_up() {
  local n=$1 i h have
  have=$(hosts | wc -l)
  ((have == n)) || return 1
  [[ -e /sys/class/net/$BRIDGE ]] || return 1
  for ((i = 1; i <= n; i++)); do
    h=$PREFIX$i
    is_host "$h" || return 1
    mountpoint -q "$(host_uts "$h")" || return 1
    [[ -e /sys/class/net/$(host_veth "$h") && -f /etc/netns/$h/hosts ]] || return 1
  done
  grep -qxF "$HOSTS_BEGIN" /etc/hosts 2>/dev/null
}

add_host() {
  local h=$1 n=$2 addr veth uts
  addr=$(host_addr "$h")
  veth=$(host_veth "$h")
  uts=$(host_uts "$h")

  ip netns add "$h"
  # The host end is created directly inside the namespace and named eth0 there, as on a real host.
  ip link add "$veth" type veth peer name eth0 netns "$h"
  ip link set "$veth" master "$BRIDGE"
  ip link set "$veth" up
  ip -n "$h" link set lo up
  ip -n "$h" addr add "$addr/24" dev eth0
  ip -n "$h" link set eth0 up
  ip -n "$h" route add default via "$GW"

  : >"$uts"
  unshare --uts="$uts" true
  nsenter --uts="$uts" hostname "$h"

  # `ip netns exec` bind-mounts each file of /etc/netns/<name>/ over /etc/<file>.
  mkdir -p "/etc/netns/$h"
  {
    printf '# Generated by cluster/netns_cluster.sh for host %s.\n' "$h"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    # The root namespace (where mpirun runs) under its own hostname too: names it hands out
    # must not resolve to this host's own loopback.
    printf '%s\tfct-gw %s\n' "$GW" "$(hostname)"
    hosts_lines "$n"
  } >"/etc/netns/$h/hosts"
  echo "$h" >"/etc/netns/$h/hostname"
}

building=0
up_exit() {
  local rc=$?
  if ((building)); then
    ((rc == 77)) || echo "netns_cluster: up failed; removing what it made" >&2
    down >/dev/null 2>&1 || true
  fi
  exit "$rc"
}

up() {
  local n=${1:-}
  if ! [[ $n =~ ^[1-9][0-9]*$ ]] || ((n > 244)); then die "usage: $0 up N (1 <= N <= 244)"; fi
  need_root
  if is_up "$n"; then
    echo "netns_cluster: already up with $n hosts"
    status
    return 0
  fi
  probe_kernel
  # Anything left from an earlier cluster (another N, a half-made one) goes first.
  if [[ -n $(hosts) || -e /sys/class/net/$BRIDGE || -d $NS_DIR ]]; then
    echo "netns_cluster: removing the previous cluster first"
    down >/dev/null
  fi
  # Another interface in our /24 would make routing in the root namespace ambiguous.
  local other
  other=$(ip -4 -o addr show to "$NET.0/24" | awk '{print $2}' | grep -vx "$BRIDGE" || true)
  [[ -z $other ]] || die "$NET.0/24 is already used by interface(s) $other; not touching it"

  # From here on, a failure (set -e) leaves nothing half-made behind.
  building=1
  trap up_exit EXIT
  ip link add "$BRIDGE" type bridge
  ip addr add "$GW/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  make_ns_dir

  local i
  for ((i = 1; i <= n; i++)); do
    add_host "$PREFIX$i" "$n"
  done

  hosts_drop_block
  {
    echo "$HOSTS_BEGIN"
    hosts_lines "$n"
    echo "$HOSTS_END"
  } >>/etc/hosts
  building=0
  trap - EXIT
  echo "netns_cluster: up with $n hosts on $BRIDGE ($GW/24)"
  status
}

status() {
  local list h name addr veth link rx tx
  list=$(hosts)
  if [[ -z $list ]]; then
    echo "netns_cluster: no hosts (run: $0 up N)"
    return 1
  fi
  printf '%-9s %-9s %-15s %-13s %-5s %14s %14s\n' HOST HOSTNAME ADDRESS VETH LINK RX_BYTES TX_BYTES
  for h in $list; do
    name=$(nsenter --uts="$(host_uts "$h")" hostname 2>/dev/null) || name='?'
    addr=$(ip -n "$h" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}') || addr=
    veth=$(host_veth "$h")
    link=$(cat "/sys/class/net/$veth/operstate" 2>/dev/null) || link=missing
    # Counters of the root end: RX is what the host sent, TX what it received.
    rx=$(cat "/sys/class/net/$veth/statistics/rx_bytes" 2>/dev/null) || rx=-
    tx=$(cat "/sys/class/net/$veth/statistics/tx_bytes" 2>/dev/null) || tx=-
    printf '%-9s %-9s %-15s %-13s %-5s %14s %14s\n' "$h" "$name" "${addr:--}" "$veth" "$link" "$rx" "$tx"
  done
}

exec_in() {
  local h=${1:-}
  (($# >= 2)) || die "usage: $0 exec HOST CMD..."
  shift
  need_root
  is_host "$h" || die "no host '$h' (hosts: $(hosts | tr '\n' ' '))"
  # UTS first (the ns file is visible here), then the network namespace with its /etc overlay.
  exec nsenter --uts="$(host_uts "$h")" -- ip netns exec "$h" "$@"
}

hostfile() {
  local slots=${1:-1} list h
  [[ $slots =~ ^[1-9][0-9]*$ ]] || die "usage: $0 hostfile [SLOTS]"
  list=$(hosts)
  [[ -n $list ]] || die "no hosts (run: $0 up N)"
  for h in $list; do
    echo "$h slots=$slots"
  done
}

cmd=${1:-}
(($#)) && shift
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  status) status ;;
  exec) exec_in "$@" ;;
  hostfile) hostfile "$@" ;;
  *) echo "usage: $0 up N | down | status | exec HOST CMD... | hostfile [SLOTS]" >&2; exit 2 ;;
esac
