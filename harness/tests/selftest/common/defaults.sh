#!/bin/sh
# Read by the self-test scripts' init commands the way packetdrill's test
# suites run ../common/defaults.sh: against the built-in stack the runner
# applies the sysctls that map to a stack setting and skips the rest with
# a notice. (synfin's Linux back end runs it in a private network
# namespace; do not run it by hand on a host you care about.)

sysctl -q net.ipv4.tcp_sack=0
echo 0 > /proc/sys/net/ipv4/tcp_window_scaling
sysctl -q net.ipv4.tcp_no_such_setting=1 # no stack setting: skipped
echo "defaults loaded"                   # not a sysctl: skipped
