# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# bench/lib.sh: what bench/run and bench/ab share (sourced, run from the
# source tree): the bench credentials, the server configuration, the
# provisioning and one login.

CLIENT_ID=bench
CLIENT_SECRET=bench-client-secret-1
BENCH_USER_NAME=bench
BENCH_USER_PASSWORD=bench-password-1

# argon2 cost: the values of the reference configuration (production-like).
ref_value() {
	local v
	v=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p" etc/authsvc.conf | head -n 1)
	echo "${v:-$2}"
}
T_COST=$(ref_value argon2_t_cost 3)
M_COST=$(ref_value argon2_m_cost_kib 65536)
PARALLEL=$(ref_value argon2_parallelism 1)

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# bench_conf FILE PORT DATABASE_URL PLUGIN_DIR: the server configuration
bench_conf() {
	cat >"$1" <<CONF
# Written by bench/. Loopback only, throw-away database.
listen = "127.0.0.1:$2";
database_url = "$3";
sql_dir = "$(pwd -P)/host/sql";
plugin_dir = "$4";
log_level = "warn";
tokens = {
  issuer = "authsvc-bench";
  algorithm = "RS256";
  key_passphrase = "bench-key-passphrase-0";
};
activity = {
  enabled = true;
  actor = "user_id";
};
password = {
  argon2_t_cost = $T_COST;
  argon2_m_cost_kib = $M_COST;
  argon2_parallelism = $PARALLEL;
};
plugins = {
  local = {
    file = "local.so";
    settings = {
      login_token = true;
    };
  };
};
CONF
}

# bench_provision ADMIN_BIN CONF: migrate; tenant, role, client and user bench
bench_provision() {
	local admin=("$1" -c "$2")
	"${admin[@]}" migrate >/dev/null
	"${admin[@]}" tenant add --key bench --name "Bench tenant" >/dev/null
	"${admin[@]}" role add --name bench --permissions ViewLoginActivity >/dev/null
	printf '%s\n' "$CLIENT_SECRET" |
		"${admin[@]}" client add --client-id "$CLIENT_ID" --secret-stdin \
			--redirect-url http://127.0.0.1/callback >/dev/null
	printf '%s\n' "$BENCH_USER_PASSWORD" |
		"${admin[@]}" user add --username "$BENCH_USER_NAME" --password-stdin \
			--email bench@example.com --tenant bench --role bench --client "$CLIENT_ID" >/dev/null
}

# login_pair [URL]: login-token once (default $URL); prints "<access> <refresh>"
# or fails. Exported with its variables for xargs -P.
login_pair() {
	curl -sS -m 30 -X POST "${1:-$URL}/auth/login-token" -H 'Content-Type: application/json' \
		-d "{\"client_id\":\"$CLIENT_ID\",\"client_secret\":\"$CLIENT_SECRET\",\"username\":\"$BENCH_USER_NAME\",\"password\":\"$BENCH_USER_PASSWORD\"}" |
		python3 -c 'import json, sys
b = json.load(sys.stdin)
print(b["accessToken"], b["refreshToken"])'
}
export -f login_pair
export CLIENT_ID CLIENT_SECRET BENCH_USER_NAME BENCH_USER_PASSWORD

# seed_pairs URL COUNT FILE: COUNT logins (4 at a time, at most 300 s), one
# "<access> <refresh>" line per success into FILE. Each login writes a file
# of its own and FILE is their concatenation: parallel logins appending to
# one file could interleave two lines into one bad pair.
seed_pairs() {
	local url=$1 count=$2 out=$3 dir
	dir=$(mktemp -d "${out}.d.XXXXXX")
	# shellcheck disable=SC2016 # the inner bash expands $SEED_DIR
	seq "$count" | URL=$url SEED_DIR=$dir timeout 300 xargs -P 4 -I{} \
		bash -c 'login_pair >"$SEED_DIR/{}.tmp" 2>/dev/null && mv "$SEED_DIR/{}.tmp" "$SEED_DIR/{}.pair"' ||
		true
	find "$dir" -name '*.pair' -exec cat {} + >"$out"
	rm -rf "$dir"
}
