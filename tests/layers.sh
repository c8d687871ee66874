#!/bin/sh
# The layers of docs/DESIGN.md, checked on the objects the daemon links:
# a file may call files of its own layer or of layers below, never above,
# and the calls between files form no cycle.  Reads the symbol tables (nm),
# so it sees every call the linker resolves, whatever the source says.
# Ends with the plain closing line "layers: N passed, N failed".
set -u
BUILD=${BUILD:-build}

# file layer  (0 is the bottom)
layers='
log 0
err 0
names 0
clock 0
route 1
queue 1
recovery 1
stats 1
config 1
json 1
fields 1
tls 1
net 1
http-parse 1
metrics 1
migrations 2
checkpoint 2
store 2
report 2
faultvfs 2
printer 2
hq 2
backup 2
branch 3
window 3
ticket 3
webhook 3
complaint 3
retention 3
websession 3
webfiles 0
notify 0
events 4
publish 4
op-session 4
op-ticket 4
op-window 4
op-queue 4
op-complaint 4
op-report 4
op-webhook 4
op-backup 4
op-test 4
proto 4
barrier 5
server 6
http 6
http-api 7
reload 8
branchqd 8
'

# branchqd-test's objects: obj-test where a file is built twice.
objs=""
for f in $(echo "$layers" | awk 'NF == 2 { print $1 }'); do
	if [ -f "$BUILD/obj-test/$f.o" ]; then
		objs="$objs $BUILD/obj-test/$f.o"
	elif [ -f "$BUILD/obj/$f.o" ]; then
		objs="$objs $BUILD/obj/$f.o"
	else
		echo "layers: no object for $f in $BUILD/obj or $BUILD/obj-test (make tests first)"
		echo "layers: 0 passed, 1 failed"
		exit 1
	fi
done
for o in "$BUILD"/obj/*.o; do
	f=$(basename "$o" .o)
	case $f in client|client-*) continue ;; esac	# branchq: a program of its own
	echo "$layers" | grep -q "^$f " || {
		echo "layers: $f.o has no layer: add it to tests/layers.sh and docs/DESIGN.md"
		echo "layers: 0 passed, 1 failed"
		exit 1
	}
done

for o in $objs; do
	f=$(basename "$o" .o)
	nm -P "$o" | awk -v f="$f" '{ print f, $1, $2 }'
done | awk -v layers="$layers" '
BEGIN {
	n = split(layers, l, "\n")
	for (i = 1; i <= n; i++)
		if (split(l[i], p, " ") == 2)
			rank[p[1]] = p[2]
}
$3 ~ /^[TDBRC]$/ { def[$2] = $1 }
$3 == "U" { use[++nuse] = $1 " " $2 }
END {
	for (i = 1; i <= nuse; i++) {
		split(use[i], p, " ")
		from = p[1]; sym = p[2]
		if (!(sym in def) || def[sym] == from)
			continue
		to = def[sym]
		if (!((from, to) in edge)) {
			edge[from, to] = sym
			out[from] = out[from] " " to
			indeg[to]++
		}
	}
	bad = 0
	for (k in edge) {
		split(k, p, SUBSEP)
		if (rank[p[2]] > rank[p[1]]) {
			printf "layers: %s (layer %d) calls up into %s (layer %d): %s\n",
			    p[1], rank[p[1]], p[2], rank[p[2]], edge[k]
			bad++
		}
	}
	# Kahn: whatever cannot be ordered is on a cycle.
	for (f in rank)
		if (!(f in indeg) || indeg[f] == 0)
			queue[++qt] = f
	done = 0
	for (qh = 1; qh <= qt; qh++) {
		done++
		m = split(out[queue[qh]], next_, " ")
		for (j = 1; j <= m; j++)
			if (--indeg[next_[j]] == 0)
				queue[++qt] = next_[j]
	}
	total = 0
	for (f in rank)
		total++
	if (done != total) {
		printf "layers: files on a cycle, or called from one:"
		for (f in rank)
			if (indeg[f] > 0)
				printf " %s", f
		printf "\n"
		bad++
	}
	nedges = 0
	for (k in edge)
		nedges++
	printf "layers: %d files, %d calls between them, %d problems\n", total, nedges, bad
	printf "layers: %d passed, %d failed\n", bad == 0 ? 1 : 0, bad == 0 ? 0 : 1
	exit bad != 0
}'
