#!/usr/bin/env bash
# make demo: the whole path on this machine. Starts a reference EASP receiver (the "AI upstream"),
# a private MQTT broker, and the appliance with a demo config under ./var/demo; places one SIPREC
# call with speech from our own SRC; then shows what was recorded, spooled, forwarded and published.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=var/demo
SIP_PORT=${DEMO_SIP_PORT:-15060}
WEB_PORT=${DEMO_WEB_PORT:-18081}
RECV_PORT=${DEMO_RECEIVER_PORT:-18080}
MQTT_PORT=${DEMO_MQTT_PORT:-18830}
BIN=dist/siprec-edge
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing what the demo needs"
bash scripts/ensure-debian-packages.sh mosquitto mosquitto-clients \
  || echo "(mosquitto could not be installed: the demo runs without MQTT events)"
PATH="$PATH:/usr/sbin"
make --no-print-directory build >/dev/null
echo "built $BIN ($($BIN version))"

rm -rf "$DEMO" && mkdir -p "$DEMO/received"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

MQTT_BLOCK=""
if command -v mosquitto >/dev/null 2>&1; then
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MQTT_PORT" >"$DEMO/mosquitto.conf"
  mosquitto -c "$DEMO/mosquitto.conf" >"$DEMO/mosquitto.log" 2>&1 &
  pids+=($!)
  sleep 0.5
  mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -V mqttv5 -v -t 'siprec-edge/#' >"$DEMO/mqtt.txt" 2>&1 &
  pids+=($!)
  MQTT_BLOCK="mqtt: { url: \"mqtt://127.0.0.1:$MQTT_PORT\" }"
fi

cat >"$DEMO/config.yaml" <<EOF
appliance_id: demo-edge
sip: { listen: ["udp:127.0.0.1:$SIP_PORT", "tcp:127.0.0.1:$SIP_PORT"], allow_from: ["127.0.0.0/8"] }
media: { address: 127.0.0.1, port_range: [40000, 40999] }
spool: { path: ./spool.db }
sinks:
  - { name: ai, type: websocket, url: "ws://127.0.0.1:$RECV_PORT/stream", protocol: easp, mode: per-participant, format: PCMU/8000 }
  - { name: stereo, type: websocket, url: "ws://127.0.0.1:$RECV_PORT/stream", protocol: easp, mode: interleaved, format: L16/8000 }
$MQTT_BLOCK
web: { listen: "127.0.0.1:$WEB_PORT" }
EOF

say "Starting the upstream receiver and the appliance"
$BIN receive --listen "127.0.0.1:$RECV_PORT" --out "$DEMO/received" >"$DEMO/receiver.log" 2>&1 &
pids+=($!)
$BIN check-config --config "$DEMO/config.yaml"
$BIN run --config "$DEMO/config.yaml" >"$DEMO/appliance.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  node -e "fetch('http://127.0.0.1:$WEB_PORT/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && break
  sleep 0.2
done
echo "appliance up: SIP udp/tcp 127.0.0.1:$SIP_PORT, status page http://127.0.0.1:$WEB_PORT/"

say "Placing a SIPREC call with speech (agent and customer, ~12 s)"
$BIN simulate-call --to "127.0.0.1:$SIP_PORT" --transport udp --codec PCMU

say "Waiting for the upstream to acknowledge everything"
node scripts/demo-report.mjs "http://127.0.0.1:$WEB_PORT" "$DEMO"

if [ -t 0 ] && [ -z "${CI:-}" ]; then
  say "The appliance keeps running: open http://127.0.0.1:$WEB_PORT/ — press Enter to stop"
  read -r _
fi
