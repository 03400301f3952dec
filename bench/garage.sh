#!/usr/bin/env bash
# Starts a single-node Garage on free loopback ports in a fresh folder and prints the variables
# a benchmark needs (GARAGE_ENDPOINT, keys, bucket). Stop it with: kill "$GARAGE_PID".
set -euo pipefail
dir=$(mktemp -d -t ferry-garage.XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rpc=$(port); api=$(port)
cat >"$dir/garage.toml" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$api"
TOML
g() { garage -c "$dir/garage.toml" "$@"; }
# Started directly, not through g(): `g … &` would fork a subshell, and $! would name that
# subshell instead of Garage, which then outlived every `kill "$GARAGE_PID"`.
garage -c "$dir/garage.toml" server >"$dir/garage.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do g status >/dev/null 2>&1 && break; sleep 0.1; done
node=$(g node id -q | cut -d@ -f1)
g layout assign -z dc1 -c 10G "$node" >/dev/null
g layout apply --version 1 >/dev/null
key_id="GK$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
g key import --yes -n bench "$key_id" "$secret" >/dev/null
g bucket create bench >/dev/null
g bucket allow --read --write --owner bench --key bench >/dev/null
echo "export GARAGE_PID=$pid GARAGE_DIR=$dir GARAGE_ENDPOINT=http://127.0.0.1:$api"
echo "export GARAGE_KEY=$key_id GARAGE_SECRET=$secret GARAGE_BUCKET=bench GARAGE_REGION=garage"
