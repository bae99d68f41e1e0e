#!/bin/sh
# The host's way in (the guest has no ssh): it writes NAME.cmd into /mnt/ctl; this runs it
# with sh and leaves NAME.out (stdout and stderr) and NAME.rc (the exit status, written last).
mkdir -p /mnt/ctl
while :; do
    for f in /mnt/ctl/*.cmd; do
        [ -e "$f" ] || continue
        n=${f%.cmd}
        mv "$f" "$n.run" || continue
        sh "$n.run" >"$n.out" 2>&1
        echo $? >"$n.rc.tmp" && mv "$n.rc.tmp" "$n.rc"
    done
    sleep 0.3
done
