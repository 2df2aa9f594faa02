#!/usr/bin/env bash
# Brings up a throw-away single-node Slurm (munged, slurmctld, slurmd) for testing the
# batch templates in cluster/, and tears it down again. Needs root and Debian's
# slurmd slurmctld slurm-client munge packages (installed when missing).
#
#   Tests/slurm/local-slurm.sh start DIR    # state, logs and pids under DIR; prints the env to use
#   Tests/slurm/local-slurm.sh stop DIR
set -euo pipefail
cmd=${1:?start or stop}; dir=${2:?state directory}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

if [ "$cmd" = stop ]; then
    for p in slurmd slurmctld munged; do
        [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
    sleep 0.5
    exit 0
fi

if ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmd slurmctld slurm-client munge >/dev/null
fi
host=$(hostname -s)
# `nproc` honours OMP_NUM_THREADS (the tests pin it to 1); the node needs its real CPU count.
cpus=$(nproc --all)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p "$dir/spool/ctld" "$dir/spool/d" "$dir/munge"
# munge: a fresh key and its own socket, so no system munged is needed.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$dir/munge"; chmod 400 "$dir/munge/munge.key"
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
       --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" --force
cat > "$dir/slurm.conf" <<CONF
ClusterName=cascade-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire is also how long a requeued job waits before it may start again (120 s by default):
# 10 s keeps the requeue test short.
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CryptoType=crypto/munge
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=pmix
ReturnToService=2
SchedulerType=sched/backfill
# Look at pending jobs (a requeued one whose wait is over) every few seconds, not every 30-60 s.
SchedulerParameters=sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
# Batch jobs may requeue themselves (cluster/slurm-job.sh's scontrol requeue; JobRequeue=1 is also
# what --requeue asks for). The time limit is enforced with a minute's grace (OverTimeLimit), so a
# warning signal that Slurm's 30-second timer check sends late still leaves time to checkpoint,
# and after SIGTERM a step has KillWait seconds before SIGKILL.
JobRequeue=1
OverTimeLimit=1
KillWait=30
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 50); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then
        echo "export SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 0.2
done
echo "local-slurm: the node did not become idle; see $dir/*.log" >&2
exit 1
