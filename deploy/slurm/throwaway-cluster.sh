#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, for CI, tests and a try-out: slurmctld and slurmd
# on 127.0.0.1 (free ports), munge with its own key and socket, config, state, spool and logs all under
# DIR. Nothing under /etc is used or changed; stop removes DIR.
#
#   throwaway-cluster.sh start DIR   # DIR new or empty; prints SLURM_CONF=DIR/slurm.conf (export it for sbatch, squeue, ...)
#   throwaway-cluster.sh stop DIR    # cancels its jobs, stops the daemons, deletes DIR (only a DIR that start made)
#
# Needs Debian's slurm-wlm and munge, python3 (free ports) and root (slurmd starts jobs as their user).
# The node is partition "test" with 8 CPUs (more than this machine has: tasks of a test array run side by
# side) and, when device nodes can be made (root), 4 fake GPUs as GRES: Slurm hands each job its
# CUDA_VISIBLE_DEVICES as on a real GPU node; nothing ever opens the fake devices.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
# What start leaves in DIR, and stop asks for before it deletes anything: `stop` removed whatever folder it was
# given (`stop $HOME` by a typo), and `start` wrote into a folder holding a user's files, which `stop` then removed.
marker=.throwaway-slurm-cluster

stop_pid() {
  local file=$1
  [ -s "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

if [ "$action" = stop ]; then
  [ -d "$dir" ] || exit 0
  # (A cluster started before the marker existed is known by its own configuration.)
  if [ ! -f "$dir/$marker" ] && ! grep -qx 'ClusterName=throwaway' "$dir/slurm.conf" 2>/dev/null; then
    echo "$dir: not a folder that '$0 start' made (no $marker in it); nothing stopped or deleted" >&2
    exit 2
  fi
  if [ -f "$dir/slurm.conf" ] && [ -s "$dir/slurmctld.pid" ]; then
    export SLURM_CONF="$dir/slurm.conf"
    # Jobs first: with proctrack/linuxproc their processes outlive slurmd.
    jobs=$(squeue -h -o %F 2>/dev/null | sort -u | tr '\n' ' ' || true)
    [ -n "${jobs// /}" ] && { scancel $jobs 2>/dev/null || true; }
    for _ in $(seq 1 100); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munge/munged.pid"
  rm -rf "$dir"
  exit 0
fi
[ "$action" = start ] || usage
if [ -e "$dir" ] && { [ ! -d "$dir" ] || [ -n "$(ls -A "$dir" 2>/dev/null)" ]; }; then
  echo "$dir: not a new or empty folder; stop deletes the folder it started, so give one that holds nothing else" >&2
  exit 2
fi

for tool in munged slurmctld slurmd sinfo python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install slurm-wlm munge python3" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "the throwaway Slurm cluster needs root (slurmd starts jobs as their user)" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
: > "$dir/$marker"
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/dev"
chmod 755 "$dir"
chmod 700 "$dir/munge"
# munged wants its socket in a folder others can enter, its key readable by its user only.
mkdir -p "$dir/run"
chmod 755 "$dir/run"
head -c 1024 /dev/urandom > "$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
munged --force --socket="$dir/run/munge.sock" --key-file="$dir/munge/munge.key" --log-file="$dir/munge/munged.log" \
  --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed"

read -r ctld_port slurmd_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

gres_node=""
gres_types=""
if mknod "$dir/dev/nvidia0" c 195 0 2>/dev/null; then
  for i in 1 2 3; do mknod "$dir/dev/nvidia$i" c 195 "$i"; done
  printf 'NodeName=localhost Name=gpu File=%s/dev/nvidia[0-3]\n' "$dir" > "$dir/gres.conf"
  gres_node="Gres=gpu:4"
  gres_types="GresTypes=gpu"
fi

user=$(id -un)
cat > "$dir/slurm.conf" <<EOF
ClusterName=throwaway
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.sock
CredType=cred/munge
SlurmUser=$user
SlurmdUser=$user
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
# Seconds between SIGTERM and SIGKILL when a job is cancelled or preempted (a real cluster: 30 or more).
KillWait=5
$gres_types
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 RealMemory=4000 $gres_node State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 1 100); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  [ "$state" = idle ] && { echo "SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "the throwaway Slurm node did not come up (state '${state:-none}'); logs in $dir/log" >&2
tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1
