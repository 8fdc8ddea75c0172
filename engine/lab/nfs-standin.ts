// LAB STAND-IN FOR NFS MOUNTS. This is not NFS.
//
// The machine's kernel has no NFS client or server (see docs/lab.md), so the
// lab base carries a `mount.nfs` / `mount.nfs4` replacement, diverted with
// dpkg-divert so that installing nfs-common later keeps it in place. For
// `SERVER:/path TARGET` it finds the lab host SERVER (by name or address),
// checks SERVER's /etc/exports (the export marked fsid=0 roots the NFSv4
// namespace) for this client, and bind-mounts that directory of SERVER's root
// filesystem, which every lab host sees under /run/tsplay-lab-peers/<host>.
// Numeric owners are therefore shared across hosts, as on real NFS. A missing
// or forbidden export fails like mount.nfs: exit 32 and "access denied by
// server". It announces itself as a lab stand-in on stderr and in
// /var/log/tsplay-lab-nfs.log; `findmnt` shows the underlying filesystem, not nfs.

/** Where the stand-in lives in the base; mount.nfs and mount.nfs4 are symlinks to it. */
export const STANDIN_PATH = '/usr/local/sbin/tsplay-lab-mount-nfs';
/** Directory under which each lab host sees every peer's root filesystem. */
export const PEERS_DIR = '/run/tsplay-lab-peers';
/** The stand-in's record of the mounts it made (target, spec, device:inode), on the host's /run: gone at its restart, as the mounts are. */
export const MOUNTED_LIST = '/run/tsplay-lab-nfs.mounts';

// awk program: reads /etc/tsplay-lab/hosts ("name address" lines), then the
// server's exports file; prints "OK <dir> <ro|rw>" or "DENY <dir>".
const EXPORTS_AWK = `
function ip2n(ip,   a) { if (split(ip, a, ".") != 4) return -1; return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
function masklen(m,   n, b) { n = ip2n(m); b = 0; while (n > 0 && n >= 2 ^ 31) { b++; n = (n - 2 ^ 31) * 2 } return b }
function cmatch(c,   p, bits, m, re) {
  if (c == "" || c == "*") return 1
  if (index(c, "/") > 0) {
    split(c, p, "/"); bits = p[2]; if (bits !~ /^[0-9]+$/) bits = masklen(bits)
    m = 2 ^ (32 - bits); return ip2n(p[1]) >= 0 && int(ip2n(p[1]) / m) == int(ip2n(selfaddr) / m)
  }
  if (c == selfaddr || c == selfname) return 1
  if (c ~ /[*?]/) { re = c; gsub(/\\./, "[.]", re); gsub(/\\*/, ".*", re); gsub(/\\?/, ".", re); return selfname ~ ("^" re "$") }
  if ((c in addrof) && addrof[c] == selfaddr) return 1
  return 0
}
function norm(p) { gsub(/\\/+/, "/", p); if (length(p) > 1) sub(/\\/$/, "", p); return p }
FNR == NR { addrof[$1] = $2; next }
{ sub(/#.*/, "") }
/\\\\$/ { sub(/\\\\$/, ""); held = held $0 " "; next }
{
  line = held $0; held = ""
  n = split(line, f, /[ \\t]+/); k = 0
  for (i = 1; i <= n; i++) if (f[i] != "") g[++k] = f[i]
  if (k == 0) next
  path = norm(g[1]); gsub(/"/, "", path)
  if (k == 1) g[++k] = "*(ro)"
  for (i = 2; i <= k; i++) {
    c = g[i]; o = ""
    if (index(c, "(") > 0) { o = substr(c, index(c, "(") + 1); sub(/\\).*/, "", o); c = substr(c, 1, index(c, "(") - 1) }
    if (cmatch(c)) {
      if (!(path in opts)) opts[path] = o
      if (("," o ",") ~ /,fsid=(0|root),/) v4root = path
      break
    }
  }
}
END {
  p = req
  if (vers == 4 && v4root != "") p = norm(v4root "/" req)
  best = ""
  for (e in opts) if ((p == e || substr(p, 1, length(e) + 1) == e "/" || e == "/") && length(e) > length(best)) best = e
  if (best == "") { print "DENY " p; exit }
  mode = "ro"; if (("," opts[best] ",") ~ /,rw,/) mode = "rw"
  print "OK " p " " mode
}
`;

export const STANDIN_SCRIPT = `#!/bin/sh
# tsplay LAB STAND-IN for mount.nfs / mount.nfs4 -- NOT NFS.
# The lab machine's kernel has no NFS; this bind-mounts the exporting lab
# host's directory (seen under ${PEERS_DIR}/<host>) after checking that
# host's /etc/exports. Installed by the tsplay lab (engine/lab/nfs-standin.ts).
set -u
prog=$\{0##*/}
case "$prog" in mount.nfs|mount.nfs4) ;; *) prog=mount.nfs ;; esac
note() {
  echo "$prog: tsplay lab stand-in (not NFS): $*" >&2
  echo "$(date '+%Y-%m-%d %H:%M:%S') $prog (tsplay lab stand-in, not NFS): $*" >> /var/log/tsplay-lab-nfs.log 2>/dev/null || true
}
fail() { code=$1; shift; echo "$prog: $*" >&2; note "failed: $*"; exit "$code"; }
[ $# -ge 2 ] || fail 1 "usage: $prog remotetarget dir [-rvVwfnsh] [-o nfsoptions]"
spec=$1; target=$2; shift 2
opts=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) opts="$opts,$\{2:-}"; [ $# -ge 2 ] && shift; shift ;;
    -o*) opts="$opts,$\{1#-o}"; shift ;;
    -r) opts="$opts,ro"; shift ;;
    *) shift ;;
  esac
done
case "$spec" in *:/*) ;; *) fail 32 "remote share not in 'host:dir' format" ;; esac
server=$\{spec%%:*}; req=$\{spec#*:}
vers=3; [ "$prog" = mount.nfs4 ] && vers=4
case ",$opts," in *,vers=4*|*,nfsvers=4*) vers=4 ;; esac
[ -d "$target" ] || fail 32 "mount point $target does not exist"
# mount -a cannot tell a bind from the fstab's SERVER:/path (findmnt shows the
# underlying filesystem), so it calls us again for a share already mounted, on
# every run. Real NFS is not asked twice: a mount this stand-in made, still
# there (the same directory on the target), is left as it is at once, by what
# it recorded (${MOUNTED_LIST}), without reading the exports again.
if [ -r ${MOUNTED_LIST} ] && mountpoint -q "$target"; then
  now=$(stat -c %d:%i "$target" 2>/dev/null) || now=
  while IFS='\t' read -r t s d; do
    if [ "$t" = "$target" ] && [ "$s" = "$spec" ] && [ "$d" = "$now" ]; then note "$spec is already mounted on $target"; exit 0; fi
  done < ${MOUNTED_LIST}
fi
selfname=$(cat /etc/hostname)
selfaddr=$(awk -v n="$selfname" '$1 == n { print $2; exit }' /etc/tsplay-lab/hosts)
# Find the lab host by name, by address, or by what the name resolves to.
srv=$(awk -v s="$server" '$1 == s || $2 == s { print $1; exit }' /etc/tsplay-lab/hosts)
if [ -z "$srv" ]; then
  a=$(getent ahostsv4 "$server" 2>/dev/null | awk 'NR == 1 { print $1 }')
  [ -n "$a" ] && srv=$(awk -v s="$a" '$2 == s { print $1; exit }' /etc/tsplay-lab/hosts)
fi
[ -n "$srv" ] || fail 32 "Failed to resolve server $server: Name or service not known (not a lab host)"
if [ "$srv" = "$selfname" ]; then root=""; else root="${PEERS_DIR}/$srv"; fi
[ "$srv" = "$selfname" ] || [ -d "$root/etc" ] || fail 32 "mount system call failed for $spec: server $srv is not reachable"
verdict=$(awk -v req="$req" -v vers="$vers" -v selfaddr="$selfaddr" -v selfname="$selfname" '${EXPORTS_AWK}' /etc/tsplay-lab/hosts "$root/etc/exports" 2>/dev/null)
case "$verdict" in
  OK\\ *) ;;
  *) fail 32 "access denied by server while mounting $spec" ;;
esac
dir=$(echo "$verdict" | awk '{ print $2 }'); mode=$(echo "$verdict" | awk '{ print $3 }')
case ",$opts," in *,ro,*) mode=ro ;; esac
[ -d "$root$dir" ] || fail 32 "mounting $spec failed, reason given by server: No such file or directory"
# Already mounted, not by a recorded mount: do not stack a second bind.
if mountpoint -q "$target" && [ "$(stat -c %d:%i "$target")" = "$(stat -c %d:%i "$root$dir")" ]; then
  note "$srv:$dir is already mounted on $target for $spec"
  exit 0
fi
mount --bind "$root$dir" "$target" || fail 32 "bind mount of $srv:$dir on $target failed"
if [ "$mode" = ro ]; then mount -o remount,bind,ro "$target" || { umount "$target"; fail 32 "read-only remount failed"; }; fi
printf '%s\\t%s\\t%s\\n' "$target" "$spec" "$(stat -c %d:%i "$target")" >> ${MOUNTED_LIST} 2>/dev/null || true
note "bind-mounted $srv:$dir ($mode) on $target for $spec"
exit 0
`;
